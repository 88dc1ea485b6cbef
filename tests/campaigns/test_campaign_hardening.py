"""Rules that held only by luck before: races on one database, reused numbers, bounded queries,
links that could break out of Slack markup."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.campaigns.requests import EditRequest
from bot.campaigns.service import CampaignService
from bot.core.errors import CampaignError, Conflict, FieldErrors, NotFound
from bot.core.notices import NoticeKind
from bot.core.query.parser import MAX_QUERY_CHARACTERS, MAX_TERMS
from bot.core.settings import Settings
from store import alert_query, outbox
from tests.campaigns.conftest import ADMIN, MANAGER, request


async def _kinds(engine: AsyncEngine) -> list[NoticeKind]:
    async with engine.connect() as conn:
        return [notice.kind for notice in await outbox.all_notices(conn)]


async def test_concurrent_creates_never_pass_the_active_limit(
    inventory: AsyncEngine, settings: Settings, now: object
) -> None:
    limited = settings.model_copy(update={"max_active_campaigns": 3})
    service = CampaignService(inventory, limited, clock=lambda: now)  # type: ignore[arg-type,return-value]
    await service.create(ADMIN, request(name="first"))
    await service.create(ADMIN, request(name="second"))

    results = await asyncio.gather(
        *(service.create(ADMIN, request(name=f"racer {n}")) for n in range(6)),
        return_exceptions=True,
    )

    created = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(created) == 1 and len(refused) == 5
    assert all("most allowed (3)" in r.message for r in refused)
    assert len(await service.list_campaigns()) == 3


async def test_two_concurrent_closes_close_once_and_announce_once(svc: CampaignService) -> None:
    await svc.create(ADMIN, request(channel="C0SEC"))

    results = await asyncio.gather(
        svc.close(ADMIN, "1"), svc.close(MANAGER, "1"), return_exceptions=True
    )

    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert (await _kinds(svc.engine)).count(NoticeKind.CLOSED) == 1
    events = await svc.history(await svc.resolve("1"))
    assert [e.action for e in events] == ["created", "closed"]


async def test_an_edit_racing_a_close_never_lands_on_the_closed_campaign(
    svc: CampaignService,
) -> None:
    await svc.create(ADMIN, request())

    await asyncio.gather(
        svc.close(ADMIN, "1"),
        svc.edit(MANAGER, "1", EditRequest(name="renamed")),
        return_exceptions=True,
    )

    events = await svc.history(await svc.resolve("1"))
    actions = [e.action for e in events]
    # Either the edit came first (and then the close), or it was refused: never after.
    assert actions in (["created", "closed"], ["created", "edited", "closed"])


async def test_numbers_are_never_reused_and_old_ones_say_deleted(svc: CampaignService) -> None:
    first = (await svc.create(ADMIN, request(name="first"))).campaign
    await svc.delete(ADMIN, str(first.number), confirm_name="first")

    second = (await svc.create(ADMIN, request(name="second"))).campaign

    assert second.number == first.number + 1
    with pytest.raises(NotFound, match=f"Campaign #{first.number} was deleted"):
        await svc.close(ADMIN, str(first.number))
    assert (await svc.resolve(str(second.number))).name == "second"


@pytest.mark.parametrize("reference", ["²", "#٣", "99999999999999999999", "#00000000000000000001"])
async def test_odd_numbers_get_a_clear_answer(svc: CampaignService, reference: str) -> None:
    with pytest.raises(NotFound):
        await svc.resolve(reference)


async def test_a_query_too_long_or_with_too_many_terms_names_the_limit(
    svc: CampaignService,
) -> None:
    with pytest.raises(CampaignError, match=f"the most is {MAX_QUERY_CHARACTERS}"):
        await svc.preview("repo:" + "a" * MAX_QUERY_CHARACTERS)
    many = " ".join(f"-repo:r{n}" for n in range(MAX_TERMS + 1))
    with pytest.raises(CampaignError, match=f"the most is {MAX_TERMS}"):
        await svc.preview(many)
    values = "repo:" + ",".join(f"r{n}" for n in range(300))
    with pytest.raises(CampaignError, match="values; the most is"):
        await svc.preview(values)


@pytest.mark.parametrize(
    "link",
    [
        "https://ok.example><!channel><https://evil.example",
        "https://ok.example|Click for prize",
        "http://intranet.example/security",
        "https://",
        "https://user@evil.example",
        "https://ok.example:99999/x",
        "https://ok .example",
        "javascript:alert(1)",
    ],
)
async def test_contact_links_are_parsed_https_urls(svc: CampaignService, link: str) -> None:
    with pytest.raises(CampaignError, match="https://") as refused:
        await svc.create(ADMIN, request(contact_link=link))
    assert refused.value.field == "contact_link"


async def test_a_good_contact_link_is_kept(svc: CampaignService) -> None:
    created = await svc.create(ADMIN, request(contact_link="https://wiki.example/sec?x=1#top"))
    assert created.campaign.contact_link == "https://wiki.example/sec?x=1#top"


async def test_a_mix_of_kinds_is_never_offered_as_a_big_campaign(svc: CampaignService) -> None:
    preview = await svc.preview("is:open")

    assert preview.selection.code and preview.selection.secret
    assert preview.selection.big is False
    assert "add kind:code or kind:secret" in preview.notes[0]


async def test_every_wrong_field_is_told_at_once(svc: CampaignService) -> None:
    with pytest.raises(FieldErrors) as refused:
        await svc.create(
            ADMIN,
            request(name="x" * 60, contact_link="http://x.example", query="sevrity:high"),
        )
    assert set(refused.value.errors) == {"name", "contact_link", "query"}


async def test_the_active_limit_is_said_before_the_form_opens(
    inventory: AsyncEngine, settings: Settings, now: object
) -> None:
    limited = settings.model_copy(update={"max_active_campaigns": 1})
    service = CampaignService(inventory, limited, clock=lambda: now)  # type: ignore[arg-type,return-value]
    await service.check_can_create(ADMIN)
    await service.create(ADMIN, request())

    with pytest.raises(Conflict, match="most allowed"):
        await service.check_can_create(ADMIN)


async def test_a_value_that_matches_nothing_names_the_closest_that_exist(
    svc: CampaignService,
) -> None:
    preview = await svc.preview("kind:secret provider:aws")
    typo = await svc.preview("kind:code tool:codeql rule:js/xs")

    assert preview.selection.alerts == 0
    assert 'provider:aws matches nothing in the data; closest: "Amazon AWS".' in preview.notes
    assert any("rule:js/xs matches nothing" in note and "js/xss" in note for note in typo.notes)
    assert not any("tool:codeql" in note for note in typo.notes)  # values compare by case


async def test_a_qualifier_alone_lists_the_values_the_data_holds(svc: CampaignService) -> None:
    with pytest.raises(CampaignError, match=r'provider: takes one of "Amazon AWS"\.'):
        await svc.preview("provider:")
    with pytest.raises(CampaignError, match="repo: takes one of acme/api, acme/legacy, acme/web"):
        await svc.preview("repo:")


async def test_the_preview_warns_when_alerts_are_already_in_an_active_campaign(
    svc: CampaignService,
) -> None:
    await svc.create(ADMIN, request(query="is:open severity:critical repo:web"))

    preview = await svc.preview("is:open severity:critical")

    assert "2 of these alerts are already in active campaigns: #1 (2)." in preview.notes


@pytest.mark.parametrize("named_up_to", [alert_query.HELD_WITHIN_AT_MOST, 0])
async def test_held_alerts_are_counted_per_campaign_whether_or_not_the_repositories_are_named(
    svc: CampaignService, monkeypatch: pytest.MonkeyPatch, named_up_to: int
) -> None:
    # Past `HELD_WITHIN_AT_MOST` repositories SQLite tests every campaign alert instead of those
    # in the selection's repositories: both ways must count the same.
    monkeypatch.setattr(alert_query, "HELD_WITHIN_AT_MOST", named_up_to)
    await svc.create(ADMIN, request(query="is:open severity:critical repo:web"))
    await svc.create(ADMIN, request(name="Back end", query="is:open severity:critical -repo:web"))

    everywhere = await svc.preview("is:open severity:critical")
    one_repository = await svc.preview("is:open severity:critical repo:api")
    elsewhere = await svc.preview("is:open severity:low")

    assert everywhere.breakdown.held == {1: 2, 2: 2}
    assert "4 of these alerts are already in active campaigns: #1 (2), #2 (2)." in (
        everywhere.notes
    )
    assert one_repository.breakdown.held == {2: 1}  # #1's alerts lie in another repository
    assert elsewhere.breakdown.held == {}


async def test_a_provider_named_by_its_slug_is_not_said_to_match_nothing(
    svc: CampaignService,
) -> None:
    by_slug = await svc.preview("kind:secret provider:amazon_aws")
    one_wrong = await svc.preview("kind:secret provider:amazon_aws,nope")

    assert by_slug.selection.alerts > 0
    assert not any("matches nothing" in note for note in by_slug.notes)
    assert one_wrong.selection.alerts == by_slug.selection.alerts
    assert [note for note in one_wrong.notes if "matches nothing" in note] == [
        "provider:nope matches nothing in the data."
    ]
