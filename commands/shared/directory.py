"""Security managers: CAMPAIGN_ADMINS, plus the members of CAMPAIGN_ADMIN_GROUP (cached)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.clock import Clock, system_clock

log = logging.getLogger(__name__)

GROUP_TTL = timedelta(minutes=5)
ZONE_TTL = timedelta(hours=12)


class SlackDirectory:
    """`is_security_manager` from settings and the Slack user group (refreshed every 5 min)."""

    def __init__(
        self,
        client: AsyncWebClient,
        admins: frozenset[str],
        group: str | None,
        clock: Clock = system_clock,
    ) -> None:
        self.client = client
        self.admins = admins
        self.group = group
        self.clock = clock
        self._members: frozenset[str] = frozenset()
        self._fetched: datetime | None = None
        self._zones: dict[str, tuple[str, datetime]] = {}

    async def is_security_manager(self, user_id: str) -> bool:
        if user_id in self.admins or user_id == "cli":
            return True
        if not self.group:
            return False
        return user_id in await self._group_members(self.group)

    async def _group_members(self, group: str) -> frozenset[str]:
        now = self.clock()
        if self._fetched is not None and now - self._fetched < GROUP_TTL:
            return self._members
        try:
            response = await self.client.usergroups_users_list(usergroup=group)
            self._members = frozenset(response.get("users") or [])
            self._fetched = now
        except SlackApiError as exc:
            # Keep the last known members: a Slack hiccup must not lock managers out.
            log.warning("could not read the admin user group: %s", exc.response.get("error"))
        return self._members

    async def user_for_email(self, email: str) -> str | None:
        """The workspace member with this e-mail (users.lookupByEmail), or None."""
        try:
            response = await self.client.users_lookupByEmail(email=email)
        except SlackApiError as exc:
            if exc.response.get("error") == "users_not_found":
                return None
            raise
        user = response.get("user") or {}
        return str(user["id"]) if user.get("id") else None

    async def timezone_of(self, user_id: str, default: str) -> str:
        """The person's own Slack time zone (`users.info`, cached for 12 hours); `default` when
        Slack does not say or cannot be asked."""
        now = self.clock()
        cached = self._zones.get(user_id)
        if cached is not None and now - cached[1] < ZONE_TTL:
            return cached[0]
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("no time zone for %s: %s", user_id, exc.response.get("error"))
            return default
        zone = str((response.get("user") or {}).get("tz") or default)
        self._zones[user_id] = (zone, now)
        return zone
