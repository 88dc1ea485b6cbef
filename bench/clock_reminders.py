"""2. The clock bench's reminders figures (bench/clock_bench.py runs them), at Wednesday
2 December 09:00 UTC, the due date: every campaign's channel slot `due-0` and everyone's DM slot
`due-0` are due.

`ClockJobs(...).reminders(now, write=False)` (decide), then `write=True` on an outbox without
reminders (decide and write), then once more (writes nothing), and at a quiet hour (Monday
30 November 14:00, no slot due). Floor (bench/clock_floors.py): one query grouping the open
assigned alerts per assignee and campaign, plus one `executemany` INSERT of as many rows into a
scratch table (one per channel, one per person). Checked: every DM's campaigns and counts equal
the floor's grouping.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.clock_floors import Floor, ScratchRow
from bench.clock_world import World, ms
from bench.delivery_bench import Figure
from bot.core.notices import Notice, NoticeKind
from bot.scheduler.jobs import ClockJobs
from store import schema

REMIND_AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
"""The due date at 09:00 UTC: channel slot `due-0` (of 7,1,0) and DM slot `due-0` (of 3,0)."""
QUIET_AT = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
"""No slot within its 24 h window: due-7 was 5 days ago, due-3 (a Sunday: Friday 27) 3 days ago."""
REMINDER_KINDS = (NoticeKind.REMINDER.value, NoticeKind.REMINDER_DM.value)


class CountingZones:
    """The campaign's zone, as with `zones=None`; counts the people asked about (the app asks
    Slack for all of them at once: `users.info` up to 10 unknown people, else `users.list` a
    page of 200, cached 12 hours, in `campaignbot run`)."""

    def __init__(self) -> None:
        self.asked = 0
        self.questions = 0

    async def timezones_of(self, user_ids: Sequence[str]) -> dict[str, str]:
        self.questions += 1
        self.asked += len(user_ids)
        return {}


async def clear_reminders(engine: AsyncEngine) -> None:
    o = schema.outbox
    async with engine.begin() as conn:
        await conn.execute(delete(o).where(o.c.kind.in_(REMINDER_KINDS)))


def floor_rows(world: World, work: Sequence[tuple[str, int, int]]) -> list[ScratchRow]:
    """What the floor writes: one row per campaign channel, one per person with open work."""
    day = REMIND_AT.date().isoformat()
    found: list[ScratchRow] = [
        (
            f"reminder:{c.number}:{c.channel}:due-0",
            "reminder",
            c.number,
            str(c.channel),
            json.dumps({"slot": "due-0"}),
            "pending",
            REMIND_AT,
            REMIND_AT,
        )
        for c in world.campaigns
    ]
    mine: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for person, campaign_id, count in work:
        mine[person].append({"campaign": campaign_id, "slot": "due-0", "open": count})
    found += [
        (
            f"dm:{person}:{day}",
            "dm",
            None,
            person,
            json.dumps({"campaigns": items, "day": day}),
            "pending",
            REMIND_AT,
            REMIND_AT,
        )
        for person, items in mine.items()
    ]
    return found


def wrong_dms(told: Sequence[Notice], work: Sequence[tuple[str, int, int]]) -> int:
    """DMs whose campaigns or open counts are not the floor's grouping, and people missed."""
    wanted: dict[str, dict[int, int]] = defaultdict(dict)
    for person, campaign_id, count in work:
        wanted[person][campaign_id] = count
    got = {
        notice.target: {
            int(item["campaign"]): int(item["open"]) + int(item["in_progress"])
            for item in notice.payload["campaigns"]
        }
        for notice in told
        if notice.kind is NoticeKind.REMINDER_DM
    }
    return sum(got.get(person) != items for person, items in wanted.items()) + len(
        set(got) - set(wanted)
    )


async def measure_reminders(world: World, floor: Floor, runs: int) -> list[Figure]:
    jobs = ClockJobs(world.engine, world.service, world.settings, zones=None, clock=world.clock)
    world.clock.now = REMIND_AT
    await clear_reminders(world.engine)

    decide, told = [], []
    for _ in range(runs):
        start = time.perf_counter()
        told = await jobs.reminders(REMIND_AT, write=False)
        decide.append(time.perf_counter() - start)
    kinds = Counter(notice.kind for notice in told)

    write, written = [], []
    for _ in range(runs):
        await clear_reminders(world.engine)
        start = time.perf_counter()
        written = await jobs.reminders(REMIND_AT, write=True)
        write.append(time.perf_counter() - start)
    again = []
    for _ in range(runs):
        start = time.perf_counter()
        repeated = await jobs.reminders(REMIND_AT, write=True)
        again.append(time.perf_counter() - start)
    dry_after = await jobs.reminders(REMIND_AT, write=False)
    quiet = []
    for _ in range(runs):
        world.clock.now = QUIET_AT
        start = time.perf_counter()
        nothing = await jobs.reminders(QUIET_AT, write=True)
        quiet.append(time.perf_counter() - start)
    world.clock.now = REMIND_AT

    zones = CountingZones()
    counted = ClockJobs(world.engine, world.service, world.settings, zones, clock=world.clock)
    await counted.reminders(QUIET_AT, write=False)

    floor_query, floor_write, scratch = [], [], []
    work: list[tuple[str, int, int]] = []
    for _ in range(runs):
        await floor.clear()
        start = time.perf_counter()
        work = await floor.work()
        middle = time.perf_counter()
        scratch = floor_rows(world, work)
        await floor.insert(scratch)
        floor_query.append(middle - start)
        floor_write.append(time.perf_counter() - start)

    people = len({person for person, _, _ in work})
    channels = len(world.campaigns)
    d50, d95 = ms(decide)
    w50, w95 = ms(write)
    q50, q95 = ms(floor_query)
    fw50, fw95 = ms(floor_write)
    label = f"reminders {channels} campaigns/{len(world.people)} assignees"
    return [
        Figure(f"{label}: decide (write=False) p50", d50, "ms", floor=q50,
               note=f"floor: one {floor.label} GROUP BY assignee, campaign"),
        Figure(f"{label}: decide p95", d95, "ms", floor=q95),
        Figure(f"{label}: decide + write p50", w50, "ms", floor=fw50,
               note=f"fresh outbox; floor: query + executemany of {len(scratch)} rows"),
        Figure(f"{label}: decide + write p95", w95, "ms", floor=fw95),
        Figure(f"{label}: channel reminders decided", kinds[NoticeKind.REMINDER], "",
               note=f"expected {channels}"),
        Figure(f"{label}: reminder DMs decided", kinds[NoticeKind.REMINDER_DM], "",
               note=f"expected {people} (people with open work, one DM each)"),
        Figure(f"{label}: notices written", len(written), "",
               note=f"expected {channels + people}; floor wrote {len(scratch)}"),
        Figure(f"{label}: DMs unlike the floor's grouping", wrong_dms(written, work), "",
               zero=True),
        Figure(f"{label}: second run: time", ms(again)[0], "ms", note="p50; writes nothing"),
        Figure(f"{label}: second run: notices written", len(repeated), "", zero=True),
        Figure(f"{label}: dry run after: would write", len(dry_after), "", zero=True),
        Figure(f"{label}: quiet hour (nothing due) p50", ms(quiet)[0], "ms",
               floor=q50, note=f"{len(nothing)} written; floor: the query alone"),
        Figure(f"{label}: time-zone questions per run", zones.questions, "",
               note=f"one, about {zones.asked} people (those with open work), even when quiet"),
    ]  # fmt: skip
