"""The read side of campaigns: find one, list them, their progress and alerts, previews.

Reads open their own connection unless handed one, so a mutation can resolve inside its write
transaction and every other caller stays a one-liner.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.campaigns.ports import AdminList, Directory
from bot.core import progress as progress_math
from bot.core.clock import Clock, system_clock
from bot.core.cwe import cwe_spellings
from bot.core.errors import CampaignError, NotFound, PermissionDenied
from bot.core.models import (
    AlertKind,
    AlertStatus,
    Campaign,
    CampaignAlert,
    CampaignState,
    Event,
    Progress,
    Selection,
)
from bot.core.query.ast import QualifierTerm, Query, QueryError
from bot.core.query.parser import parse
from bot.core.settings import Settings
from store import alert_pages, alert_query, events, identities, known_values
from store import campaigns as store
from store import progress as progress_store

LONE_QUALIFIER = re.compile(r"^\s*-?(?P<qualifier>[\w.-]+):\s*$")
VALUES_SHOWN = 30
PERIOD_DAYS = 7
"""Progress reports what closed in the last week."""
MAX_NUMBER_DIGITS = 9
"""Campaign numbers are small; a longer run of digits would overflow the database's integer."""


class Preview(BaseModel):
    selection: Selection
    notes: list[str]
    breakdown: alert_query.Breakdown


class CampaignQueries:
    def __init__(
        self,
        engine: AsyncEngine,
        settings: Settings,
        *,
        directory: Directory | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.directory: Directory = directory or AdminList(settings.admin_ids)
        self.clock = clock

    def today(self, timezone: str | None = None) -> date:
        zone = ZoneInfo(timezone or self.settings.campaign_timezone)
        return self.clock().astimezone(zone).date()

    async def is_security_manager(self, user_id: str) -> bool:
        return await self.directory.is_security_manager(user_id)

    async def may_manage(self, actor: str, campaign: Campaign) -> bool:
        """The campaign's manager or a security manager: who may edit, close and post for it."""
        return actor == campaign.manager or await self.directory.is_security_manager(actor)

    @staticmethod
    def parse_query(text: str) -> Query:
        try:
            return parse(text)
        except QueryError as exc:
            raise CampaignError(str(exc), field="query") from exc

    async def preview(self, text: str) -> Preview:
        """What a filter selects and whether it looks like a big campaign."""
        lone = LONE_QUALIFIER.match(text)
        if lone and known_values.is_data_driven(lone["qualifier"].lower()):
            await self._list_values(lone["qualifier"].lower())
        query = self.parse_query(text)
        now = self.clock()
        async with self.engine.connect() as conn:
            breakdown = await alert_query.breakdown(conn, query, now=now, held=True)
            unmatched = await self._unmatched_values(conn, query, breakdown.counts.alerts)
        elsewhere = breakdown.held
        counts = breakdown.counts
        limit = self.settings.max_campaign_alerts
        mixed = bool(counts.code and counts.secret)
        # A mix of kinds can never become a campaign, so it is refused, never "big" (§4).
        big = not mixed and (
            counts.alerts > limit or counts.repositories >= self.settings.big_campaign_repositories
        )
        kept = min(counts.alerts, limit)
        notes = [*unmatched, *_already_in_campaigns(elsewhere), *query.notes]
        if mixed:
            notes.insert(
                0,
                f"This selects {counts.code} code and {counts.secret} secret alerts; a campaign "
                "holds one kind: add kind:code or kind:secret.",
            )
        selection = Selection(
            query=text,
            alerts=counts.alerts,
            repositories=counts.repositories,
            code=counts.code,
            secret=counts.secret,
            big=big,
            kept=kept,
            left_out=counts.alerts - kept,
        )
        return Preview(selection=selection, notes=notes, breakdown=breakdown)

    async def _list_values(self, qualifier: str) -> None:
        """`provider:` alone: the values the data holds, as the answer (the seed's tip)."""
        async with self.engine.connect() as conn:
            values = await known_values.known_values(conn, qualifier)
        if not values:
            raise CampaignError(f"No alert or repository has a {qualifier} yet.", field="query")
        shown = ", ".join(_quoted(value) for value in values[:VALUES_SHOWN])
        more = f" and {len(values) - VALUES_SHOWN} more" if len(values) > VALUES_SHOWN else ""
        raise CampaignError(f"{qualifier}: takes one of {shown}{more}.", field="query")

    async def _unmatched_values(
        self, conn: AsyncConnection, query: Query, selected: int
    ) -> list[str]:
        """For each data-driven value that matches nothing, the closest values that exist.

        Terms are ANDed: when the query selects something, every single-valued term matched, so
        only the values of terms with several (`provider:a,b`) are looked up."""
        notes: list[str] = []
        for term in query.terms:
            if not isinstance(term, QualifierTerm) or term.negated:
                continue
            qualifier = term.qualifier
            if not known_values.is_data_driven(qualifier):
                continue
            if selected and len(term.values) == 1:
                continue
            existing = await known_values.known_values(conn, qualifier)
            lowered = {value.lower(): value for value in existing}
            also: set[str] = set()
            if qualifier == "provider":
                # `provider:` compares the slug too (`amazon_aws`); suggestions show names.
                also = set(await known_values.known_values(conn, known_values.PROVIDER_SLUG))
            for value in term.values:
                if value in also or _matches(qualifier, value, lowered):
                    continue
                close = _closest(value, lowered)
                hint = f"; closest: {', '.join(_quoted(c) for c in close)}" if close else ""
                notes.append(f"{qualifier}:{value} matches nothing in the data{hint}.")
        return notes

    async def resolve(self, reference: str, conn: AsyncConnection | None = None) -> Campaign:
        """A campaign by number (`3`, `#3`) or by a unique prefix of its name."""
        if conn is None:
            async with self.engine.connect() as own:
                return await self.resolve(reference, own)
        text = reference.strip()
        if not text:
            raise CampaignError("name a campaign: its number (#3) or the start of its name")
        number = text.removeprefix("#")
        if number.isascii() and number.isdigit():
            found = await store.get(conn, int(number)) if len(number) <= MAX_NUMBER_DIGITS else None
            if found is not None:
                return found
            if len(number) <= MAX_NUMBER_DIGITS and await store.was_deleted(conn, int(number)):
                raise NotFound(f"Campaign #{int(number)} was deleted.")
            raise NotFound(f"There is no campaign #{number}. `/campaign list` shows them.")
        matches = await store.by_name_prefix(conn, text)
        exact = [campaign for campaign in matches if campaign.name.lower() == text.lower()]
        if len(exact) == 1:
            return exact[0]
        if not matches:
            raise NotFound(f"No campaign's name starts with “{text}”.")
        if len(matches) > 1:
            names = ", ".join(f"#{m.id} {m.name}" for m in matches[:5])
            raise CampaignError(f"“{text}” matches several campaigns: {names}. Use the number.")
        return matches[0]

    async def get(self, number: int) -> Campaign | None:
        async with self.engine.connect() as conn:
            return await store.get(conn, number)

    async def list_campaigns(
        self, *, include_closed: bool = False, only_closed: bool = False
    ) -> list[Campaign]:
        states: list[CampaignState] | None = [CampaignState.ACTIVE]
        if only_closed:
            states = [CampaignState.CLOSED]
        elif include_closed:
            states = None
        async with self.engine.connect() as conn:
            return await store.list_campaigns(conn, states)

    async def progress(self, campaign: Campaign) -> Progress:
        return (await self.progress_many([campaign]))[0]

    async def progress_many(
        self, campaigns: Sequence[Campaign], *, repositories: bool = True
    ) -> list[Progress]:
        """Progress of several campaigns in one grouped pass over their alerts (one per local
        date when their time zones disagree), not one per campaign.

        `repositories=False` leaves `Progress.repositories` empty and counts per campaign only:
        for lists, which show a campaign's totals and never its repositories."""
        if not campaigns:
            return []
        todays = {campaign.number: self.today(campaign.timezone) for campaign in campaigns}
        facts: dict[int, progress_store.CampaignFacts] = {}
        async with self.engine.connect() as conn:
            for today in sorted(set(todays.values())):
                # A close counts on its UTC date (the burn rate's days end on the local today).
                facts |= await progress_store.campaign_facts(
                    conn,
                    [number for number, day in todays.items() if day == today],
                    recent_since=_utc_midnight(today, 1 - progress_math.BURN_WINDOW_DAYS),
                    period_since=_utc_midnight(today, 1 - PERIOD_DAYS),
                    until=_utc_midnight(today, 1),
                    repositories=repositories,
                )
        return [
            progress_math.compute_counted(
                campaign_id=campaign.number,
                counts=facts[campaign.number].counts,
                repositories=facts[campaign.number].repositories,
                closed_recently=facts[campaign.number].closed_recently,
                closed_in_period=facts[campaign.number].closed_in_period,
                due=campaign.due_date,
                today=todays[campaign.number],
                period_days=PERIOD_DAYS,
                started=campaign.created_at.astimezone(ZoneInfo(campaign.timezone)).date(),
            )
            for campaign in campaigns
        ]

    async def alerts(
        self,
        campaign: Campaign,
        *,
        viewer: str | None = None,
        repository: str | None = None,
        status: AlertStatus | None = None,
        assignee: str | None = None,
        claimable_by: tuple[str, str] | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[list[CampaignAlert], int]:
        """A page of a campaign's alerts. With a `viewer`, a secret campaign's alerts are shown as
        GitHub shows secret alerts: in full to managers, to anyone else only those assigned to
        them (the counts stay visible to everyone)."""
        restricted = viewer is not None and campaign.kind is AlertKind.SECRET
        if restricted and viewer and not await self.may_manage(viewer, campaign):
            async with self.engine.connect() as conn:
                involved = await store.has_assignment(conn, campaign.number, viewer)
            if not involved:
                raise PermissionDenied(
                    "Secret alerts are listed to security managers, the campaign's manager "
                    "and the people assigned to them; the counts are for everyone."
                )
            assignee = viewer
        async with self.engine.connect() as conn:
            return await alert_pages.campaign_alerts(
                conn,
                campaign.number,
                repository=repository,
                status=status,
                assignee=assignee,
                claimable_by=None if restricted and assignee == viewer else claimable_by,
                offset=offset,
                limit=limit,
            )

    async def open_assigned(
        self,
        user: str,
        campaigns: Sequence[Campaign],
        *,
        per_campaign: int,
        limit: int | None = None,
    ) -> list[tuple[Campaign, list[CampaignAlert]]]:
        """A person's open and in-progress alerts in these campaigns, at most `per_campaign` of
        each (in progress first) and, with `limit`, at most that many in all (the campaigns in
        the order given, which must be by number); campaigns where they hold none are left
        out. One query for all the campaigns, not one per campaign."""
        async with self.engine.connect() as conn:
            held = await alert_pages.open_assigned(
                conn,
                user,
                [campaign.number for campaign in campaigns],
                per_campaign=per_campaign,
                limit=limit,
            )
        return [(each, held[each.number]) for each in campaigns if each.number in held]

    async def for_user(self, user_id: str) -> list[Campaign]:
        """Active campaigns that touch the repositories a user works on."""
        async with self.engine.connect() as conn:
            identity = await identities.get(conn, user_id)
            ids = await store.active_campaigns_for_user(
                conn, user_id, identity.github_login if identity else None
            )
            found = [await store.get(conn, campaign_id) for campaign_id in ids]
        return [campaign for campaign in found if campaign is not None]

    async def history(self, campaign: Campaign) -> list[Event]:
        async with self.engine.connect() as conn:
            return await events.for_campaign(conn, campaign.number)


def _utc_midnight(day: date, days_later: int) -> datetime:
    """The start (UTC) of the day `days_later` days after `day`."""
    return datetime.combine(day + timedelta(days=days_later), time(), UTC)


def _matches(qualifier: str, value: str, existing: dict[str, str]) -> bool:
    if qualifier == "tag":
        return any(spelling in existing for spelling in cwe_spellings(value))
    if qualifier == "repo":
        return value in existing or any(name.endswith(f"/{value}") for name in existing)
    if qualifier == "team":
        return value.rsplit("/", 1)[-1] in existing
    return value in existing


def _closest(value: str, existing: dict[str, str]) -> list[str]:
    """Values that contain what was typed (`aws` → `Amazon AWS`), then near spellings."""
    containing = [original for low, original in existing.items() if value in low]
    near = difflib.get_close_matches(value, list(existing), n=3, cutoff=0.6)
    return list(dict.fromkeys([*containing[:3], *(existing[low] for low in near)]))[:3]


def _quoted(value: str) -> str:
    return f'"{value}"' if " " in value else value


def _already_in_campaigns(held: dict[int, int]) -> list[str]:
    """A warning, not a refusal: the same alert in two campaigns splits its follow-up."""
    if not held:
        return []
    where = ", ".join(f"#{number} ({count})" for number, count in held.items())
    total = sum(held.values())
    return [f"{total} of these alerts are already in active campaigns: {where}."]
