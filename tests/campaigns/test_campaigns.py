"""The campaign service: every rule of ARCHITECTURE §4, and the audit trail of each change."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.service import AssignmentService
from bot.campaigns.requests import EditRequest
from bot.campaigns.service import CampaignService
from bot.core.errors import CampaignError, Conflict, NotFound, PermissionDenied
from bot.core.models import AlertStatus, CampaignState
from bot.core.settings import Settings
from tests.campaigns.conftest import ADMIN, DEV, DUE, MANAGER, request


async def test_security_manager_creates_campaign_from_query(svc: CampaignService) -> None:
    created = await svc.create(ADMIN, request())
    campaign = created.campaign
    assert campaign.alert_count == 4 and created.left_out == 0
    assert campaign.kind.value == "code" and campaign.state is CampaignState.ACTIVE
    progress = await svc.progress(campaign)
    assert (progress.counts.open, progress.counts.in_progress, progress.counts.closed) == (4, 0, 0)
    assert progress.days_left == (DUE - date(2026, 11, 2)).days
    [event] = await svc.history(campaign)
    assert event.action == "created" and event.actor == ADMIN
    assert event.after is not None and event.after["alerts"] == 4


async def test_campaign_from_template_uses_its_query(svc: CampaignService) -> None:
    created = await svc.create(ADMIN, request(query=None, template="critical"))
    assert created.campaign.template == "critical"
    assert created.campaign.query.startswith("is:open autofilter:true")


async def test_developer_cannot_create_campaign(svc: CampaignService) -> None:
    with pytest.raises(PermissionDenied, match="security managers"):
        await svc.create(DEV, request())
    assert await svc.list_campaigns(include_closed=True) == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "x" * 51}, "name", "1 to 50 characters"),
        ({"name": "  "}, "name", "1 to 50 characters"),
        ({"description": "d" * 256}, "description", "1 to 255"),
        ({"due_date": date(2026, 11, 2)}, "due_date", "in the future"),
        ({"due_date": date(2025, 1, 1)}, "due_date", "in the future"),
        ({"manager": DEV}, "manager", "must be a security manager"),
        ({"query": "sevrity:high"}, "query", "sevrity"),
        ({"query": "is:open rule:nothing/matches"}, "query", "selects no alerts"),
        ({"query": "is:open"}, "query", "one kind"),
        ({"query": None, "template": "nope"}, "template", "no template"),
        ({"contact_link": "not a link"}, "contact_link", "https://"),
    ],
)
async def test_bad_campaign_fields_are_refused_on_their_field(
    svc: CampaignService, fields: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(CampaignError, match=message) as caught:
        await svc.create(ADMIN, request(**fields))
    assert caught.value.field == field
    assert await svc.list_campaigns(include_closed=True) == []


async def test_big_selection_needs_continue_then_keeps_recently_pushed(
    inventory: AsyncEngine, now: datetime
) -> None:
    small = Settings(campaign_admins=ADMIN, max_campaign_alerts=2)
    svc = CampaignService(inventory, small, clock=lambda: now)
    with pytest.raises(Conflict, match="big campaign: 4 alerts"):
        await svc.create(ADMIN, request(manager=ADMIN))
    created = await svc.create(ADMIN, request(manager=ADMIN, continue_big=True))
    assert created.left_out == 2
    page, total = await svc.alerts(created.campaign)
    assert total == 2
    assert {item.alert.repository for item in page} == {"acme/web"}


async def test_eleventh_active_campaign_is_refused_and_reopen_counts(
    svc: CampaignService,
) -> None:
    for number in range(3):
        await svc.create(ADMIN, request(name=f"Campaign {number}"))
    with pytest.raises(Conflict, match="already 3 active campaigns"):
        await svc.create(ADMIN, request(name="One too many"))
    await svc.close(MANAGER, "1")
    await svc.create(ADMIN, request(name="Takes the free place"))
    with pytest.raises(Conflict, match="reopen"):
        await svc.reopen(ADMIN, "1")
    assert len(await svc.list_campaigns()) == 3


async def test_double_submission_creates_one_campaign(svc: CampaignService) -> None:
    first = await svc.create(ADMIN, request(request_key="view-1"))
    second = await svc.create(ADMIN, request(request_key="view-1"))
    assert second.replayed and second.campaign.id == first.campaign.id
    assert len(await svc.list_campaigns()) == 1


async def test_manager_edits_and_change_is_audited(svc: CampaignService) -> None:
    created = await svc.create(ADMIN, request())
    edited = await svc.edit(
        MANAGER, "#1", EditRequest(name="Critical, before the audit", due_date=date(2027, 1, 10))
    )
    assert edited.campaign.name == "Critical, before the audit"
    assert set(edited.changes) == {"name", "due_date"}
    events = await svc.history(created.campaign)
    assert events[-1].action == "edited"
    assert events[-1].before == {"name": "Critical alerts", "due_date": "2026-12-15"}


async def test_developer_cannot_edit_close_or_delete(svc: CampaignService) -> None:
    await svc.create(ADMIN, request())
    with pytest.raises(PermissionDenied):
        await svc.edit(DEV, "1", EditRequest(name="mine now"))
    with pytest.raises(PermissionDenied):
        await svc.close(DEV, "1")
    with pytest.raises(PermissionDenied):
        await svc.delete(DEV, "1", confirm_name="Critical alerts")
    assert (await svc.resolve("1")).name == "Critical alerts"


async def test_close_reopen_and_delete_lifecycle(svc: CampaignService) -> None:
    await svc.create(ADMIN, request())
    closed = await svc.close(MANAGER, "Critical")
    assert closed.state is CampaignState.CLOSED and closed.closed_at is not None
    with pytest.raises(Conflict, match="already closed"):
        await svc.close(MANAGER, "1")
    with pytest.raises(Conflict, match="closed; reopen"):
        await svc.edit(MANAGER, "1", EditRequest(name="x"))
    reopened = await svc.reopen(MANAGER, "1")
    assert reopened.state is CampaignState.ACTIVE
    with pytest.raises(CampaignError, match="type the campaign's name"):
        await svc.delete(ADMIN, "1", confirm_name="critical")
    await svc.delete(ADMIN, "1", confirm_name="Critical alerts")
    with pytest.raises(NotFound):
        await svc.resolve("1")


async def test_campaign_reference_by_prefix_must_be_unique(svc: CampaignService) -> None:
    await svc.create(ADMIN, request(name="Critical web"))
    await svc.create(ADMIN, request(name="Critical api"))
    with pytest.raises(CampaignError, match="matches several"):
        await svc.resolve("crit")
    assert (await svc.resolve("critical a")).name == "Critical api"
    with pytest.raises(NotFound):
        await svc.resolve("nothing")
    with pytest.raises(NotFound):
        await svc.resolve("#99")


async def test_developer_assigns_self_but_not_others(
    svc: CampaignService, assign: AssignmentService
) -> None:
    await svc.create(ADMIN, request())
    await assign.assign(DEV, "1", "web#code-1", DEV)
    with pytest.raises(PermissionDenied):
        await assign.assign(DEV, "1", "web#code-2", MANAGER)
    page, _ = await svc.alerts(await svc.resolve("1"), assignee=DEV)
    assert [item.alert.reference for item in page] == ["acme/web#code-1"]


async def test_assignment_refused_by_github_is_not_kept(
    svc: CampaignService, assign: AssignmentService
) -> None:
    await svc.create(ADMIN, request())
    with pytest.raises(CampaignError, match="no write access"):
        await assign.assign(ADMIN, "1", "acme/web#code-1", "UOUTSIDER")
    page, _ = await svc.alerts(await svc.resolve("1"))
    assert all(item.assignee is None for item in page)
    events = await svc.history(await svc.resolve("1"))
    assert [event.action for event in events] == ["created"]


async def test_unknown_or_foreign_alert_references_are_refused(
    svc: CampaignService, assign: AssignmentService
) -> None:
    await svc.create(ADMIN, request())
    with pytest.raises(CampaignError, match="not an alert reference"):
        await assign.assign(ADMIN, "1", "web-1", DEV)
    with pytest.raises(NotFound, match="no alert"):
        await assign.assign(ADMIN, "1", "web#code-99", DEV)
    with pytest.raises(NotFound, match="not in campaign"):
        await assign.assign(ADMIN, "1", "web#code-3", DEV)


async def test_developer_unassigns_self(svc: CampaignService, assign: AssignmentService) -> None:
    await svc.create(ADMIN, request())
    await assign.assign(MANAGER, "1", "api#code-1", DEV)
    campaign, alert, previous = await assign.unassign(DEV, "1", "api#code-1")
    assert previous == DEV
    with pytest.raises(Conflict, match="no assignee"):
        await assign.unassign(DEV, "1", "api#code-1")
    page, total = await svc.alerts(campaign, status=AlertStatus.OPEN)
    assert total == 4 and alert.reference in {item.alert.reference for item in page}
    assert all(item.assignee is None for item in page)
