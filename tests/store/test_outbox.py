"""The outbox table: keys written once, fair claims, leases that exclude each other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core import notices
from bot.core.notices import NoticeState
from store import outbox

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LEASE = NOW + timedelta(seconds=60)


def reports(channel: str, count: int) -> list[notices.Notice]:
    """Reports asked for over the last minutes: distinct keys, all due now."""
    return [
        notices.report(1, channel, NOW - timedelta(minutes=n), "U1").model_copy(
            update={"created_at": NOW, "not_before": NOW}
        )
        for n in range(count)
    ]


async def test_a_claim_takes_a_few_rows_per_channel_so_channels_go_out_together(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await outbox.enqueue(conn, [*reports("CBUSY", 20), *reports("CQUIET", 3)])
        claimed = await outbox.claim(conn, "one", NOW, LEASE, limit=200)

    by_channel = [n.target for n in claimed]
    assert by_channel.count("CBUSY") == outbox.PER_TARGET and by_channel.count("CQUIET") == 3


async def test_a_leased_row_is_not_claimed_again_until_the_lease_runs_out(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await outbox.enqueue(conn, reports("C1", 1))
        [first] = await outbox.claim(conn, "one", NOW, LEASE, limit=10)
        assert await outbox.claim(conn, "two", NOW, LEASE, limit=10) == []
        later = LEASE + timedelta(seconds=1)
        [again] = await outbox.claim(conn, "two", later, later + timedelta(minutes=1), limit=10)
        late = await outbox.mark_sent(conn, first.id or 0, "one", NOW, "C1", "1.0")

    assert again.uncertain and again.attempts == 2
    assert late is False  # the first holder lost its lease: it cannot record over the second
    async with engine.connect() as conn:
        [row] = await outbox.all_notices(conn)
    assert row.state is NoticeState.SENDING


async def test_enqueue_adds_only_new_keys_in_batches_and_counts_them(engine: AsyncEngine) -> None:
    many = reports("CMANY", 1_200)  # more than one INSERT's worth
    async with engine.begin() as conn:
        assert await outbox.enqueue(conn, many[:700]) == 700
    async with engine.begin() as conn:
        # Keys already there and keys twice in one call are each written once.
        assert await outbox.enqueue(conn, [*many, *many[1_100:]]) == 500
        assert await outbox.enqueue(conn, many) == 0
        assert (await outbox.stats(conn)).pending == 1_200
