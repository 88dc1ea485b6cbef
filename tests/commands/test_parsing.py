"""The slash-command parser: pure, so tested exhaustively and fuzzed, with no server."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.core.errors import CampaignError
from bot.core.models import AlertStatus
from commands import AREA_SUBCOMMANDS
from commands.alerts.views import AlertPage
from commands.campaigns.command import CampaignCommands
from commands.campaigns.modal_views import CampaignMeta, CreateModalMeta
from commands.campaigns.parsing import SUBCOMMANDS, Command, parse_command
from commands.campaigns.views import help_blocks


def test_every_subcommand_routes_to_a_handler_and_has_help() -> None:
    for row in SUBCOMMANDS.values():
        routed = AREA_SUBCOMMANDS.get(row.handler) or getattr(CampaignCommands, row.handler)
        assert callable(routed), row.name
        assert row.usage.startswith(f"/campaign {row.name}") and row.summary


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Command(name="help")),
        ("HELP", Command(name="help")),
        ("list", Command(name="list")),
        ("list closed", Command(name="list", list_scope="closed")),
        ("new", Command(name="new")),
        ("new is:open severity:high", Command(name="new", query="is:open severity:high")),
        ('new template "xss"', Command(name="new", template="xss")),
        ("show #3", Command(name="show", campaign="#3")),
        (
            'show "My campaign" group:none',
            Command(name="show", campaign="My campaign", group_none=True),
        ),
        (
            "show 3 repo:web status:in-progress",
            Command(
                name="show",
                campaign="3",
                repository="web",
                status=AlertStatus.IN_PROGRESS,
                group_none=True,
            ),
        ),
        ("report 3 <#C0SEC|security>", Command(name="report", campaign="3", channel="C0SEC")),
        ("close 3", Command(name="close", campaign="3")),
        ("preview tag:cwe-79 &amp; more", Command(name="preview", query="tag:cwe-79 & more")),
    ],
)
def test_commands_parse_into_typed_requests(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("show", "Name a campaign"),
        ("close 3 4", "Too many arguments"),
        ("show 3 status:done", "not a status"),
        ("show 3 colour:blue", "Unknown filter"),
        ("report 3 general", "is not a channel"),
        ("list everything", "Unknown list"),
        ("templates please", "takes no arguments"),
        ('show "unbalanced', "Unbalanced quotes"),
        ("preview", "Usage: `/campaign preview QUERY`"),
        ("new template", "Name the template"),
    ],
)
def test_bad_commands_say_what_fits(text: str, message: str) -> None:
    with pytest.raises(CampaignError) as raised:
        parse_command(text)
    assert message in raised.value.message


def test_an_unknown_subcommand_gets_help_with_a_note() -> None:
    command = parse_command("frobnicate 3")
    assert command.name == "help" and command.note and "frobnicate" in command.note


def test_help_shows_managing_subcommands_to_managers_only() -> None:
    everyone = json.dumps(help_blocks(manager=False))
    managers = json.dumps(help_blocks(manager=True))
    assert "/campaign new" not in everyone and "/campaign delete" not in everyone
    assert "/campaign new" in managers and "/campaign show" in everyone


@given(st.text(max_size=300))
def test_any_text_parses_or_is_refused_with_a_message(text: str) -> None:
    try:
        command = parse_command(text)
    except CampaignError as refused:
        assert refused.message
    else:
        assert command.name in SUBCOMMANDS


@given(st.text(max_size=400))
def test_any_button_value_or_private_metadata_parses_or_is_a_validation_error(
    text: str,
) -> None:
    """Forged values reach the listener as a ValidationError (answered "out of date or
    damaged"), never as any other exception."""
    for model in (AlertPage, CampaignMeta, CreateModalMeta):
        with contextlib.suppress(ValidationError):
            model.model_validate_json(text or "{}")
