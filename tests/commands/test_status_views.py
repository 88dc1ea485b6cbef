"""How a campaign's status reads: too early to tell, closed on a date, never overdue once done."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.core.models import (
    AlertKind,
    Campaign,
    CampaignState,
    Progress,
    ProgressStatus,
    StatusCounts,
)
from commands.campaigns.views import campaign_summary


def test_a_closed_campaign_says_when_and_a_new_one_says_too_early() -> None:
    new = _campaign_for_status()
    fresh = _progress_for_status(too_early=True)
    closed = new.model_copy(
        update={
            "state": CampaignState.CLOSED,
            "closed_at": datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        }
    )
    overdue_done = _progress_for_status(status="done", days_left=-20)

    assert "Too early to tell" in campaign_summary(new, fresh, bar_width=10)
    shown = campaign_summary(closed, overdue_done, bar_width=10)
    assert "Closed on 2026-11-20" in shown and "overdue" not in shown and "At risk" not in shown


def _campaign_for_status() -> Campaign:
    moment = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    return Campaign(
        id=3,
        name="New",
        description="d",
        kind=AlertKind.CODE,
        query="is:open",
        due_date=date(2026, 12, 1),
        manager="U1",
        created_by="U1",
        created_at=moment,
        updated_at=moment,
    )


def _progress_for_status(
    *, too_early: bool = False, status: str = "at_risk", days_left: int = 29
) -> Progress:
    return Progress(
        campaign_id=3,
        counts=StatusCounts(open=0 if status == "done" else 4, in_progress=0, closed=4),
        repositories=[],
        days_left=days_left,
        closed_in_period=0,
        period_days=7,
        burn_rate=0.0,
        projected_completion=None,
        status=ProgressStatus(status),
        too_early=too_early,
    )
