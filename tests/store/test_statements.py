"""Statements kept per distinct query (store/statements.py): built once, never served to a query
they do not answer, in particular not to the same time term at another `now`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.query.parser import parse
from store import statements
from store.alert_query import breakdown, count_selection
from tests.conftest import NOW


def test_a_statement_is_built_once_per_key_and_the_oldest_is_dropped() -> None:
    built: list[int] = []

    def build(n: int) -> object:
        built.append(n)
        return object()

    first = statements.reused(("test", 0), lambda: build(0))
    again = statements.reused(("test", 0), lambda: build(0))
    for n in range(1, statements.KEPT + 1):
        statements.reused(("test", n), lambda n=n: build(n))  # type: ignore[misc]
    rebuilt = statements.reused(("test", 0), lambda: build(0))

    assert again is first and built.count(0) == 2 and rebuilt is not first


def test_the_key_holds_now_only_when_a_time_term_reads_it() -> None:
    later = NOW + timedelta(hours=1)
    plain = parse("is:open severity:high")
    timed = parse("is:open age:>30d")
    assert statements.query_key(plain, NOW) == statements.query_key(plain, later)
    assert statements.query_key(timed, NOW) != statements.query_key(timed, later)
    assert statements.query_key(parse("is:open  severity:high"), NOW) == (
        statements.query_key(plain, NOW)
    )


async def test_a_time_term_at_another_now_selects_afresh(org: AsyncEngine) -> None:
    text = "created:*..2100-01-01 age:>100d"
    async with org.connect() as conn:
        today = await breakdown(conn, parse(text), now=NOW)
        years_on = await breakdown(conn, parse(text), now=NOW + timedelta(days=3650))
        today_again = await count_selection(conn, parse(text), now=NOW)
        every = await count_selection(conn, parse("created:*..2100-01-01"), now=NOW)

    assert 0 < today.counts.alerts < years_on.counts.alerts == every.alerts
    assert today_again.alerts == today.counts.alerts
