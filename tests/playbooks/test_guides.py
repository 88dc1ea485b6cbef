"""Remediation guides: the built-in ones, lookups, an organization's folder, bad files, and the
pure views (the `/campaign guide` answer, the Guide button, the launch DM's links line)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bot.core.models import Alert, AlertKind, AlertStatus, Campaign, CampaignAlert
from bot.core.settings import Settings
from bot.playbooks.guides import (
    CODE_FALLBACK,
    SECRET_FALLBACK,
    GuideBook,
    builtin_guides,
    guide_ids_for,
)
from commands.playbooks.guide_views import (
    guide_button,
    guide_links_line,
    guide_message,
    guide_modal,
    unknown_guide_blocks,
)
from commands.shared import ids
from tests.builders import T0, code_alert, secret_alert

SECRET_GUIDES = {
    "aws",
    "github",
    "azure",
    "google-cloud",
    "slack",
    "api-keys",
    "database",
    "private-keys",
}
CODE_GUIDES = {
    "sql-injection",
    "xss",
    "path-traversal",
    "command-injection",
    "hardcoded-credentials",
    "log-injection",
    "ssrf",
    "deserialization",
    "code",
}

GOOD = """
kind = "secret"
title = "AWS (Acme way)"
summary = "Call the cloud team first."
revoke = ["Page #cloud-oncall."]
update = ["Vault path secret/aws."]
verify = ["Ask the cloud team."]

[applies_to]
secret_types = ["aws_access_key_id"]

[[links]]
title = "Runbook"
url = "https://wiki.acme.example/aws"
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def unnamed_secret() -> Alert:
    """A secret of a type and provider no guide names."""
    return secret_alert(secret_type="acme_key", provider=None, provider_slug=None)


def campaign(**fields: object) -> Campaign:
    values: dict[str, object] = {
        "id": 3,
        "name": "Leaked <secrets>",
        "description": "d",
        "kind": AlertKind.SECRET,
        "query": "kind:secret",
        "due_date": T0.date(),
        "manager": "U0MANAGER",
        "created_by": "U0MANAGER",
        "created_at": T0,
        "updated_at": T0,
    }
    return Campaign.model_validate(values | fields)


# -- the built-in guides ------------------------------------------------------------------------


def test_the_built_in_guides_cover_the_seed_and_the_common_cwes() -> None:
    guides = {guide.id: guide for guide in builtin_guides()}
    assert set(guides) == SECRET_GUIDES | CODE_GUIDES
    assert {g.id for g in guides.values() if g.kind is AlertKind.SECRET} == SECRET_GUIDES
    for guide in guides.values():
        assert guide.first_steps and guide.update and guide.verify, guide.id
        assert all(link.url.startswith("https://") for link in guide.links), guide.id
        assert guide.links, guide.id
    assert guides[SECRET_FALLBACK].kind is AlertKind.SECRET
    assert guides[CODE_FALLBACK].kind is AlertKind.CODE


def test_a_book_without_arguments_holds_the_built_in_guides() -> None:
    book = GuideBook()
    assert set(book.names()) == SECRET_GUIDES | CODE_GUIDES
    assert book.problems == []
    assert GuideBook.load(None).names() == book.names()
    # Listing order: secrets first, then code, each by title.
    kinds = [book.get(name).kind for name in book.names()]  # type: ignore[union-attr]
    assert kinds == sorted(kinds, key=lambda kind: kind is not AlertKind.SECRET)


@pytest.mark.parametrize(
    ("asked", "found"),
    [
        ("aws", "aws"),
        ("AWS", "aws"),
        (" `Google-Cloud` ", "google-cloud"),
        ("aws_access_key_id", "aws"),
        ("AWS Access Key ID", "aws"),  # GitHub's display name
        ("github_personal_access_token", "github"),
        ("github_oauth_access_token", "github"),
        ("slack_incoming_webhook_url", "slack"),
        ("azure_storage_account_key", "azure"),
        ("google_api_key", "google-cloud"),
        ("google_cloud_private_key_id", "google-cloud"),
        ("postgres_connection_string", "database"),
        ("rsa_private_key", "private-keys"),
        ("Amazon AWS", "aws"),
        ("amazon_aws", "aws"),
        ("GitHub", "github"),
        ("azure", "azure"),
        ("CWE-89", "sql-injection"),
        ("cwe-89", "sql-injection"),
        ("cwe-089", "sql-injection"),
        ("89", "sql-injection"),
        ("external/cwe/cwe-079", "xss"),
        ("CWE-22", "path-traversal"),
        ("cwe-78", "command-injection"),
        ("CWE-798", "hardcoded-credentials"),
        ("cwe-117", "log-injection"),
        ("CWE-918", "ssrf"),
        ("cwe-502", "deserialization"),
        ("SQL injection", "sql-injection"),
        ("postgres", "database"),
        ("ssh", "private-keys"),
        ("gcp", "google-cloud"),
    ],
)
def test_find_by_id_secret_type_provider_cwe_alias_or_title(asked: str, found: str) -> None:
    guide = GuideBook().find(asked)
    assert guide is not None and guide.id == found


@pytest.mark.parametrize("asked", ["", "   ", "nothing-like-it", "cwe-1", "12345"])
def test_find_answers_none_for_what_no_guide_covers(asked: str) -> None:
    assert GuideBook().find(asked) is None


def test_suggestions_for_a_typo() -> None:
    assert next(guide.id for guide in GuideBook().suggest("sql injecton")) == "sql-injection"
    assert "aws" in [guide.id for guide in GuideBook().suggest("awz")]
    assert GuideBook().suggest("zzzzzzzz") == []


# -- an alert's guide ---------------------------------------------------------------------------


def test_a_secret_alert_gets_its_guide_by_type_then_provider_then_the_generic_one() -> None:
    book = GuideBook()
    by_type = secret_alert(secret_type="slack_api_token", provider=None, provider_slug=None)
    by_provider = secret_alert(secret_type="aws_brand_new_key", provider="Amazon AWS")
    by_slug = secret_alert(secret_type="azure_new_key", provider=None, provider_slug="azure")
    unknown = secret_alert(secret_type="acme_key", provider="Acme", provider_slug="acme")
    assert book.for_alert(by_type).id == "slack"  # type: ignore[union-attr]
    assert book.for_alert(by_provider).id == "aws"  # type: ignore[union-attr]
    assert book.for_alert(by_slug).id == "azure"  # type: ignore[union-attr]
    assert book.for_alert(unknown).id == SECRET_FALLBACK  # type: ignore[union-attr]


def test_a_code_alert_gets_its_guide_by_cwe_tag_then_the_generic_code_guide() -> None:
    book = GuideBook()
    xss = code_alert()  # tagged external/cwe/cwe-079, as CodeQL pads it
    several = code_alert(tags=["security", "external/cwe/cwe-020", "external/cwe/cwe-089"])
    semgrep = code_alert(tags=["CWE-918: Server-Side Request Forgery (SSRF)"])
    untagged = code_alert(tags=["security", "correctness"])
    uncovered = code_alert(tags=["external/cwe/cwe-020"])
    assert book.for_alert(xss).id == "xss"  # type: ignore[union-attr]
    assert book.for_alert(several).id == "sql-injection"  # type: ignore[union-attr]
    assert book.for_alert(semgrep).id == "ssrf"  # type: ignore[union-attr]
    assert book.for_alert(untagged).id == CODE_FALLBACK  # type: ignore[union-attr]
    assert book.for_alert(uncovered).id == CODE_FALLBACK  # type: ignore[union-attr]


def test_guide_ids_for_lists_each_needed_guide_once_most_needed_first() -> None:
    alerts = [
        secret_alert(secret_type="slack_api_token"),
        code_alert(),
        secret_alert(),  # aws
        secret_alert(secret_type="aws_secret_access_key"),
        code_alert(),
        code_alert(),
    ]
    assert guide_ids_for(alerts) == ["xss", "aws", "slack"]
    assert guide_ids_for([]) == []
    own = GuideBook([g for g in builtin_guides() if g.id != SECRET_FALLBACK])
    assert guide_ids_for([unnamed_secret()], own) == []


# -- an organization's folder -------------------------------------------------------------------


def test_a_file_with_a_built_in_id_replaces_it_and_a_new_id_adds_a_guide(tmp_path: Path) -> None:
    write(tmp_path, "aws.toml", GOOD)
    write(
        tmp_path,
        "vendor-x.toml",
        GOOD.replace("AWS (Acme way)", "Vendor X keys")
        .replace('"aws_access_key_id"', '"vendor_x_key"')
        .replace("[applies_to]", 'aliases = ["vx"]\n\n[applies_to]'),
    )
    write(tmp_path, "notes.txt", "not a guide")

    book = GuideBook.load(tmp_path)

    assert book.problems == []
    assert book.find("aws").title == "AWS (Acme way)"  # type: ignore[union-attr]
    assert book.for_alert(secret_alert()).title == "AWS (Acme way)"  # type: ignore[union-attr]
    assert book.find("vx").id == "vendor-x"  # type: ignore[union-attr]
    assert book.find("vendor_x_key").id == "vendor-x"  # type: ignore[union-attr]
    assert len(book.names()) == len(SECRET_GUIDES | CODE_GUIDES) + 1
    # The replaced guide no longer claims what only the built-in one listed.
    assert book.find("aws_session_token") is None


def test_an_added_guide_wins_over_a_built_in_one_for_the_same_secret_type(tmp_path: Path) -> None:
    write(tmp_path, "acme-slack.toml", GOOD.replace("aws_access_key_id", "slack_api_token"))
    book = GuideBook.load(tmp_path)
    alert = secret_alert(secret_type="slack_api_token", provider="Slack")
    assert book.for_alert(alert).id == "acme-slack"  # type: ignore[union-attr]
    assert book.find("slack").id == "slack"  # type: ignore[union-attr]  # ids still win


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('kind = "secret"\ntitle = "x"\nsummary = "y"\nrevoke = ["a"\nupdate = ["b"]\n', "line 5"),
        ('kind = "secret"\ntitle = = "x"\n', "line 2: not valid TOML"),
        (GOOD.replace("https://wiki", "http://wiki"), "line 14, field links.0.url"),
        (GOOD.replace("revoke =", "revok ="), "field revok: Extra inputs are not permitted"),
        (GOOD.replace('title = "AWS (Acme way)"\n', ""), "field title: Field required"),
        (GOOD.replace('"aws_access_key_id"', '"x"]\ncwes = ["sql"'), "line 11, field applies_to"),
        (GOOD.replace('kind = "secret"', 'kind = "code"'), "a code guide has `fix` steps"),
        (GOOD.replace('kind = "secret"', 'kind = "other"'), "line 2, field kind"),
        ('id = "gcp"\n' + GOOD, "differs from its file name"),
    ],
)
def test_a_bad_file_is_reported_with_its_line_and_the_built_in_guide_is_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, text: str, said: str
) -> None:
    path = write(tmp_path, "aws.toml", text)
    caplog.set_level(logging.WARNING, logger="bot.playbooks.guides")

    book = GuideBook.load(tmp_path)

    [problem] = book.problems
    assert str(path) in problem and said in problem, problem
    assert problem.endswith("the built-in guide is kept.")
    assert book.find("aws").title == "AWS credentials"  # type: ignore[union-attr]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [problem]


def test_a_bad_new_guide_is_skipped_and_good_files_still_load(tmp_path: Path) -> None:
    write(tmp_path, "broken.toml", 'title = "unterminated\nkind = 1\n')
    write(tmp_path, "Bad Name.toml", GOOD)
    write(tmp_path, "latin1.toml", "")
    (tmp_path / "latin1.toml").write_bytes(b'title = "caf\xe9"\n')
    write(tmp_path, "huge.toml", "# " + "x" * 70_000)
    write(tmp_path, "mine.toml", GOOD.replace("aws_access_key_id", "mine_key"))

    book = GuideBook.load(tmp_path)

    problems = "\n".join(book.problems)
    assert len(book.problems) == 4, problems
    assert "broken.toml, line 1: not valid TOML" in problems
    assert "Bad Name.toml: line" not in problems and "is not a guide id" in problems
    assert "latin1.toml is not UTF-8 text; it is skipped." in problems
    assert "huge.toml is larger than" in problems
    assert all(p.endswith("it is skipped.") for p in book.problems)
    assert book.find("mine_key").id == "mine"  # type: ignore[union-attr]
    assert book.find("broken") is None


def test_a_missing_folder_is_one_clear_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.playbooks.guides")
    missing = tmp_path / "nowhere"

    book = GuideBook.load(missing)

    assert [r.getMessage() for r in caplog.records] == book.problems
    [problem] = book.problems
    assert str(missing) in problem and "PLAYBOOK_GUIDES_DIR" in problem
    assert set(book.names()) == SECRET_GUIDES | CODE_GUIDES


def test_the_setting_names_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYBOOK_GUIDES_DIR", str(tmp_path))
    write(tmp_path, "aws.toml", GOOD)
    folder = Settings().playbook_guides_dir  # type: ignore[call-arg]
    assert folder == tmp_path
    assert GuideBook.load(folder).find("aws").title == "AWS (Acme way)"  # type: ignore[union-attr]


# -- the views ----------------------------------------------------------------------------------


def test_every_guide_renders_within_slacks_limits() -> None:
    book = GuideBook()
    for guide in book.guides():
        blocks = guide_message(guide)  # slack_sdk's validators run in to_dict()
        assert len(blocks) <= 50
        text = json.dumps(blocks)
        assert guide.title in text and guide.command in text
        assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
        alert = secret_alert() if guide.kind is AlertKind.SECRET else code_alert()
        modal = guide_modal(guide, campaign(), alert)
        assert modal["type"] == "modal" and len(modal["blocks"]) <= 100


def test_guide_text_is_escaped_but_its_links_are_links(tmp_path: Path) -> None:
    write(tmp_path, "aws.toml", GOOD.replace("Page #cloud-oncall.", "Ping <!channel> & <@U1>"))
    guide = GuideBook.load(tmp_path).find("aws")
    assert guide is not None
    text = json.dumps(guide_message(guide))
    assert "&lt;!channel&gt; &amp; &lt;@U1&gt;" in text and "<!channel>" not in text
    assert "<https://wiki.acme.example/aws|Runbook>" in text


def test_unknown_guide_lists_every_guide_and_escapes_what_was_asked() -> None:
    book = GuideBook()
    blocks = unknown_guide_blocks("<@U1> sqll", book.guides(), book.suggest("sqll"))
    text = json.dumps(blocks, ensure_ascii=False)
    assert "&lt;@U1&gt; sqll" in text and "<@U1>" not in text
    assert all(f"`{name}`" in text for name in book.names())
    assert "/campaign help" in text


def test_guide_button_on_open_alerts_of_active_campaigns_only() -> None:
    item = CampaignAlert(campaign_id=3, alert=secret_alert("acme/web", 7), status=AlertStatus.OPEN)
    button = guide_button(campaign(), item)
    assert button is not None
    assert button.to_dict()["action_id"] == ids.GUIDE
    assert button.to_dict()["value"] == "3:acme/web#secret-7"
    assert button.to_dict()["text"]["text"] == "Guide"
    closed = item.model_copy(update={"status": AlertStatus.CLOSED})
    assert guide_button(campaign(), closed) is None
    assert guide_button(campaign(state="closed"), item) is None
    long = item.model_copy(update={"alert": secret_alert("acme/" + "w" * 2000, 7)})
    assert guide_button(campaign(), long) is None
    no_fallback = GuideBook([g for g in builtin_guides() if g.id != SECRET_FALLBACK])
    odd = item.model_copy(update={"alert": unnamed_secret()})
    assert guide_button(campaign(), odd, no_fallback) is None


def test_guide_links_line_names_each_guide_and_its_command() -> None:
    book = GuideBook()
    aws, xss = book.find("aws"), book.find("xss")
    assert aws is not None and xss is not None
    assert guide_links_line([aws, xss]) == (
        "Guides: *AWS credentials* (`/campaign guide aws`) · "
        "*Cross-site scripting (XSS)* (`/campaign guide xss`)"
    )
    assert guide_links_line([]) == ""
    every = guide_links_line(book.guides() * 10)
    assert len(every) <= 1600 and every.endswith("…")
