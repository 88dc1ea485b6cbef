"""Progress math: burn rate over two weeks, forecast, and the on-track / at-risk verdict."""

from __future__ import annotations

from datetime import date, timedelta

from bot.core import progress
from bot.core.models import ProgressStatus, RepositoryProgress, StatusCounts

TODAY = date(2026, 11, 2)


def days_ago(*days: int) -> list[date]:
    return [TODAY - timedelta(days=day) for day in days]


def test_burn_rate_counts_only_the_last_fourteen_days() -> None:
    closed = days_ago(0, 1, 13, 14, 30)
    assert progress.burn_rate(closed, TODAY) == 3 / 14


def test_campaign_closing_fast_enough_is_on_track() -> None:
    result = progress.compute(
        campaign_id=1,
        counts=StatusCounts(open=10, in_progress=4, closed=14),
        repositories=[],
        closed_dates=days_ago(*range(14)),  # one a day
        due=TODAY + timedelta(days=20),
        today=TODAY,
    )
    assert result.projected_completion == TODAY + timedelta(days=14)
    assert result.status is ProgressStatus.ON_TRACK
    assert result.days_left == 20 and result.closed_in_period == 7


def test_stalled_campaign_is_at_risk_with_no_forecast() -> None:
    result = progress.compute(
        campaign_id=1,
        counts=StatusCounts(open=5),
        repositories=[],
        closed_dates=days_ago(40),
        due=TODAY + timedelta(days=30),
        today=TODAY,
    )
    assert result.burn_rate == 0 and result.projected_completion is None
    assert result.status is ProgressStatus.AT_RISK


def test_slow_campaign_that_misses_due_date_is_at_risk() -> None:
    result = progress.compute(
        campaign_id=1,
        counts=StatusCounts(open=100, closed=7),
        repositories=[],
        closed_dates=days_ago(*range(7)),  # half an alert a day over the window
        due=TODAY + timedelta(days=30),
        today=TODAY,
    )
    assert result.projected_completion == TODAY + timedelta(days=200)
    assert result.status is ProgressStatus.AT_RISK


def test_past_due_date_is_overdue_and_nothing_open_is_done() -> None:
    overdue = progress.status(StatusCounts(open=1), TODAY - timedelta(days=1), TODAY, None)
    done = progress.status(StatusCounts(closed=3), TODAY - timedelta(days=1), TODAY, TODAY)
    assert overdue is ProgressStatus.OVERDUE and done is ProgressStatus.DONE


def test_repositories_with_most_remaining_come_first() -> None:
    result = progress.compute(
        campaign_id=1,
        counts=StatusCounts(open=6),
        repositories=[
            RepositoryProgress(name="acme/b", open=1),
            RepositoryProgress(name="acme/a", open=2, in_progress=3),
            RepositoryProgress(name="acme/c", open=1, closed=9),
        ],
        closed_dates=[],
        due=TODAY + timedelta(days=3),
        today=TODAY,
    )
    assert [repo.name for repo in result.repositories] == ["acme/a", "acme/b", "acme/c"]


def test_progress_bar_shows_closed_in_progress_and_open() -> None:
    result = progress.compute(
        campaign_id=1,
        counts=StatusCounts(open=5, in_progress=5, closed=10),
        repositories=[],
        closed_dates=[],
        due=TODAY + timedelta(days=3),
        today=TODAY,
    )
    assert progress.progress_bar(result, width=20) == "▓" * 10 + "▒" * 5 + "░" * 5
    assert result.percent_closed == 50


def test_a_new_campaign_with_no_close_yet_is_too_early_to_tell() -> None:

    fresh = progress.compute(
        campaign_id=1,
        counts=StatusCounts(open=5, in_progress=0, closed=0),
        repositories=[],
        closed_dates=[],
        due=date(2026, 12, 31),
        today=date(2026, 11, 2),
        started=date(2026, 11, 1),
    )
    week_old = progress.compute(
        campaign_id=1,
        counts=StatusCounts(open=5, in_progress=0, closed=0),
        repositories=[],
        closed_dates=[],
        due=date(2026, 12, 31),
        today=date(2026, 11, 9),
        started=date(2026, 11, 1),
    )
    assert fresh.too_early and not week_old.too_early
    assert week_old.status is ProgressStatus.AT_RISK
