"""Security managers: CAMPAIGN_ADMINS, plus the members of CAMPAIGN_ADMIN_GROUP (cached)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.clock import Clock, system_clock

log = logging.getLogger(__name__)

GROUP_TTL = timedelta(minutes=5)
ZONE_TTL = timedelta(hours=12)
ONE_BY_ONE = 10
"""Up to this many unknown people are asked one by one (`users.info`); more, and the member list
is read a page of 200 at a time instead (`users.list`): 2,000 people cost 10 calls, not 2,000."""
PAGE = 200


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

    async def timezones_of(self, user_ids: Sequence[str]) -> dict[str, str]:
        """Each person's Slack time zone (cached for 12 hours); people Slack does not know, or
        cannot be asked about now, are left out (their reminders follow the campaign)."""
        now = self.clock()
        fresh = {
            user: zone
            for user in user_ids
            if (cached := self._zones.get(user)) is not None and now - cached[1] < ZONE_TTL
            for zone in (cached[0],)
        }
        missing = [user for user in user_ids if user not in fresh]
        if len(missing) > ONE_BY_ONE:
            await self._read_member_list(now)
        else:
            for user in missing:
                await self.timezone_of(user, "")
        found = {user: self._zones[user][0] for user in user_ids if user in self._zones}
        return {user: zone for user, zone in found.items() if zone}

    async def _read_member_list(self, now: datetime) -> None:
        cursor: str | None = None
        try:
            while True:
                page = await self.client.users_list(limit=PAGE, cursor=cursor)
                for member in page.get("members") or []:
                    if member.get("id") and member.get("tz") and not member.get("deleted"):
                        self._zones[str(member["id"])] = (str(member["tz"]), now)
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    return
        except SlackApiError as exc:  # what was read is kept; the rest follow their campaign
            log.warning("could not read the member list: %s", exc.response.get("error"))

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
        zone = str((response.get("user") or {}).get("tz") or "")
        self._zones[user_id] = (zone, now)
        return zone or default
