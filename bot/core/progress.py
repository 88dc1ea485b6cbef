"""Progress math: counts, burn rate, forecast, on-track or at-risk. Pure: `today` comes in.

The store gives raw facts (status counts, per-repository counts, close dates); this module turns
them into what people read: how much is left, how fast it is going, and whether it will make it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta

from bot.core.models import Progress, ProgressStatus, RepositoryProgress, StatusCounts

TREND_DAYS = 7
"""A campaign needs a week (or a first close) before its pace says anything."""

BURN_WINDOW_DAYS = 14
"""The burn rate looks at the last two weeks: long enough to smooth a quiet day, short enough to
notice a stall."""


def burn_rate(closed_dates: Sequence[date], today: date, window: int = BURN_WINDOW_DAYS) -> float:
    """Alerts closed per day over the `window` days ending today."""
    start = today - timedelta(days=window)
    recent = sum(1 for day in closed_dates if start < day <= today)
    return recent / window


def projected_completion(remaining: int, rate: float, today: date) -> date | None:
    """When the remaining alerts would be closed at `rate`; None when nothing is moving."""
    if remaining == 0:
        return today
    if rate <= 0:
        return None
    return today + timedelta(days=math.ceil(remaining / rate))


def status(counts: StatusCounts, due: date, today: date, projected: date | None) -> ProgressStatus:
    """Done when nothing is open; overdue past the due date; at risk when the forecast misses it."""
    if counts.open + counts.in_progress == 0:
        return ProgressStatus.DONE
    if today > due:
        return ProgressStatus.OVERDUE
    if projected is None or projected > due:
        return ProgressStatus.AT_RISK
    return ProgressStatus.ON_TRACK


def compute(
    *,
    campaign_id: int,
    counts: StatusCounts,
    repositories: Sequence[RepositoryProgress],
    closed_dates: Sequence[date],
    due: date,
    today: date,
    period_days: int = 7,
    started: date | None = None,
) -> Progress:
    """Everything a progress view or digest needs, from the store's raw facts."""
    period_start = today - timedelta(days=period_days)
    return compute_counted(
        campaign_id=campaign_id,
        counts=counts,
        repositories=repositories,
        closed_recently=sum(
            1 for day in closed_dates if today - timedelta(days=BURN_WINDOW_DAYS) < day <= today
        ),
        closed_in_period=sum(1 for day in closed_dates if period_start < day <= today),
        due=due,
        today=today,
        period_days=period_days,
        started=started,
    )


def compute_counted(
    *,
    campaign_id: int,
    counts: StatusCounts,
    repositories: Sequence[RepositoryProgress],
    closed_recently: int,
    closed_in_period: int,
    due: date,
    today: date,
    period_days: int = 7,
    started: date | None = None,
) -> Progress:
    """`compute` from the closes already counted: `closed_recently` within the burn window
    (the `BURN_WINDOW_DAYS` days ending today), `closed_in_period` within the `period_days`
    days ending today (the store counts them in the same pass as the statuses)."""
    rate = closed_recently / BURN_WINDOW_DAYS
    remaining = counts.open + counts.in_progress
    projected = projected_completion(remaining, rate, today)
    ordered = sorted(
        repositories, key=lambda repo: (-(repo.open + repo.in_progress), repo.name.lower())
    )
    return Progress(
        campaign_id=campaign_id,
        counts=counts,
        repositories=ordered,
        days_left=(due - today).days,
        closed_in_period=closed_in_period,
        period_days=period_days,
        burn_rate=round(rate, 3),
        projected_completion=projected,
        status=status(counts, due, today, projected),
        too_early=(
            started is not None
            and remaining > 0
            and rate == 0
            and (today - started).days < TREND_DAYS
            and today <= due
        ),
    )


def progress_bar(progress: Progress, width: int = 20) -> str:
    """A text bar: closed ▓, in progress ▒, open ░ — readable in Slack and a terminal alike."""
    total = progress.counts.total
    if total == 0:
        return "░" * width
    closed = round(width * progress.counts.closed / total)
    in_progress = min(width - closed, round(width * progress.counts.in_progress / total))
    return "▓" * closed + "▒" * in_progress + "░" * (width - closed - in_progress)
