"""Escalation rules (the seed's step 6.3, "establish escalation paths"): when an alert, or a
repository that does not move, is raised to whom. Read once from a TOML file (ESCALATION_RULES),
checked whole at load, so a typo stops `campaignbot run` at start instead of silently never
escalating:

```toml
[[rule]]
name = "leaked-and-active"                  # letters, digits, - _ . (at most 40)
when = "validity:active is:publicly-leaked" # a filter query (ARCHITECTURE §5) over open alerts
to = ["C0SECLEAD", "experts"]

[[rule]]
name = "overdue-week"
overdue_days = 7                            # the campaign is this many days past its due date
to = ["manager"]

[[rule]]
name = "stalled"
stalled_days = 14                           # a repository: no close nor fix link for this long
to = ["team"]

[experts]                                   # by secret type, provider (slug, name or one word
aws = ["U0AWSEXPERT"]                       # of the slug) or code-scanning rule id
github_personal_access_token = ["U0GHEXPERT"]

[teams]                                     # team slug → its channel, for the `team` target
platform = "C0PLATFORM"
```

A rule's targets (`to`) are channel IDs (`C…`, `G…`), user IDs (`U…`, `W…`), or the words
`manager` (the campaign's), `experts` (the alert's, from `[experts]`) and `team` (the channels of
the teams that may write to the repository, from `[teams]`). With ESCALATION_CHANNEL set, the
built-in rule `publicly-leaked-active` sends an active, publicly leaked secret there (and to its
experts) at once; a rule of that name in the file replaces it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.core.errors import CampaignError
from bot.core.models import Alert, AlertKind
from bot.core.query.ast import Query, QueryError
from bot.core.query.parser import parse
from bot.core.settings import Settings

MANAGER, EXPERTS, TEAM = "manager", "experts", "team"
WORDS = (MANAGER, EXPERTS, TEAM)
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,20}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
RULE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
MANUAL = "manual"
"""The rule name of an escalation made with the **Escalate** button (reserved)."""
BUILTIN = "publicly-leaked-active"
BUILTIN_QUERY = "validity:active is:publicly-leaked"
SECTIONS = ("rule", "experts", "teams")
MAX_DAYS = 3650


class EscalationRulesError(CampaignError):
    """The rules file (or ESCALATION_CHANNEL) cannot be used; the message names where and why."""


def is_destination(target: str) -> bool:
    return bool(CHANNEL_ID.match(target) or USER_ID.match(target))


def _destinations(values: Iterable[str], what: str) -> list[str]:
    for value in values:
        if not is_destination(value):
            raise ValueError(
                f"{what}: “{value}” is not a channel ID (C…, G…) or a user ID (U…, W…)"
            )
    return list(dict.fromkeys(values))


class RuleSpec(BaseModel):
    """One `[[rule]]` as written in the file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    when: str | None = None
    overdue_days: int | None = Field(default=None, ge=1, le=MAX_DAYS)
    stalled_days: int | None = Field(default=None, ge=1, le=MAX_DAYS)
    to: list[str] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not RULE_NAME.match(value):
            raise ValueError(
                "a rule's name is 1 to 40 letters, digits, '-', '_' or '.', starting with a "
                "letter or digit"
            )
        if value == MANUAL:
            raise ValueError(f"“{MANUAL}” is reserved for the Escalate button")
        return value

    @field_validator("to")
    @classmethod
    def _targets(cls, values: list[str]) -> list[str]:
        for value in values:
            if value not in WORDS and not is_destination(value):
                raise ValueError(
                    f"“{value}” is not a channel ID (C…, G…), a user ID (U…, W…) or one of "
                    f"{', '.join(WORDS)}"
                )
        return list(dict.fromkeys(values))


class RulesFile(BaseModel):
    """The whole file: rules, experts and team channels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    experts: dict[str, list[str]] = Field(default_factory=dict)
    teams: dict[str, str] = Field(default_factory=dict)

    @field_validator("experts")
    @classmethod
    def _experts(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {_expertise(key): _destinations(people, key) for key, people in value.items()}

    @field_validator("teams")
    @classmethod
    def _teams(cls, value: dict[str, str]) -> dict[str, str]:
        for slug, channel in value.items():
            if not CHANNEL_ID.match(channel):
                raise ValueError(f"{slug}: “{channel}” is not a channel ID (C…, G…)")
        return {slug.lower(): channel for slug, channel in value.items()}


@dataclass(frozen=True)
class EscalationRule:
    """A checked rule: `query` parsed from `when`; alert rules, or a stalled-repository rule."""

    name: str
    to: tuple[str, ...]
    when: str | None = None
    query: Query | None = None
    overdue_days: int | None = None
    stalled_days: int | None = None

    @property
    def about_repositories(self) -> bool:
        return self.stalled_days is not None


@dataclass(frozen=True)
class EscalationRules:
    rules: tuple[EscalationRule, ...] = ()
    experts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)
    leadership: str | None = None
    """ESCALATION_CHANNEL: where the built-in rule and every **Escalate** click also go."""

    def experts_for(self, alert: Alert) -> list[str]:
        """The experts for an alert's secret type, then its provider (or a code rule's id)."""
        found: list[str] = []
        for key in _expertise_keys(alert):
            found += self.experts.get(key, ())
        return list(dict.fromkeys(found))

    def team_channels(self, slugs: Iterable[str]) -> list[str]:
        return list(dict.fromkeys(self.teams[s.lower()] for s in slugs if s.lower() in self.teams))


def _expertise(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(" ", "_")


def _expertise_keys(alert: Alert) -> list[str]:
    """What an `[experts]` key may name: the secret type, the provider's slug or name, a word of
    the slug (`aws` of `amazon_aws`), a code alert's rule id."""
    if alert.kind is AlertKind.CODE:
        return [_expertise(alert.rule_id)] if alert.rule_id else []
    keys = [alert.secret_type or ""]
    for provider in (alert.provider_slug, alert.provider):
        if provider:
            keys.append(_expertise(provider))
            keys += _expertise(provider).split("_")
    return [key for key in dict.fromkeys(_expertise(k) for k in keys) if key]


def builtin_rule(channel: str) -> EscalationRule:
    """An active, publicly leaked secret: to the leadership channel and its experts, at once."""
    return EscalationRule(
        name=BUILTIN, to=(channel, EXPERTS), when=BUILTIN_QUERY, query=parse(BUILTIN_QUERY)
    )


def load_rules(path: Path | None, settings: Settings) -> EscalationRules:
    """The rules of `path` (none without one) plus the built-in rule when ESCALATION_CHANNEL is
    set; raises `EscalationRulesError` naming the file, the rule and what is wrong."""
    leadership = settings.escalation_channel
    if leadership is not None and not CHANNEL_ID.match(leadership):
        raise EscalationRulesError(
            f"ESCALATION_CHANNEL: “{leadership}” is not a channel ID (C…, G…)"
        )
    rules: list[EscalationRule] = []
    experts: dict[str, tuple[str, ...]] = {}
    teams: dict[str, str] = {}
    if path is not None:
        raw = _read(path)
        rules = _rules(path, raw.pop("rule", []))
        try:
            parsed = RulesFile.model_validate(raw)
        except ValidationError as exc:
            raise EscalationRulesError(f"{path}: {_first_problem(exc)}") from None
        experts = {key: tuple(people) for key, people in parsed.experts.items()}
        teams = parsed.teams
        for rule in rules:
            if TEAM in rule.to and not teams:
                raise EscalationRulesError(
                    f"{path}: rule “{rule.name}”: the team target needs a [teams] table "
                    "mapping team slugs to channels"
                )
    if leadership is not None and all(rule.name != BUILTIN for rule in rules):
        rules.insert(0, builtin_rule(leadership))
    return EscalationRules(tuple(rules), experts, teams, leadership)


def rules_problems(settings: Settings) -> list[str]:
    """For `campaignbot run`'s start-up check: the rules' problem, if any, as one line."""
    try:
        load_rules(settings.escalation_rules, settings)
    except EscalationRulesError as exc:
        message = exc.message
        return [message if message.startswith("ESCALATION_") else f"ESCALATION_RULES: {message}"]
    return []


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EscalationRulesError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise EscalationRulesError(f"{path}: not UTF-8 text") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise EscalationRulesError(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise EscalationRulesError(
            f"{path}: unknown table “{unknown[0]}”; a rules file has [[rule]], [experts] "
            "and [teams]"
        )
    return raw


def _rules(path: Path, items: object) -> list[EscalationRule]:
    if not isinstance(items, list):
        raise EscalationRulesError(f"{path}: write each rule as a [[rule]] table")
    rules: list[EscalationRule] = []
    for number, item in enumerate(items, start=1):
        label = f"rule {number}"
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            label = f"rule “{item['name']}”"
        try:
            spec = RuleSpec.model_validate(item)
            rule = _checked(spec)
        except ValidationError as exc:
            raise EscalationRulesError(f"{path}: {label}: {_first_problem(exc)}") from None
        except QueryError as exc:
            raise EscalationRulesError(f"{path}: {label}: when: {exc.message}") from None
        except ValueError as exc:
            raise EscalationRulesError(f"{path}: {label}: {exc}") from None
        if any(known.name == rule.name for known in rules):
            raise EscalationRulesError(f"{path}: {label}: two rules have this name")
        rules.append(rule)
    return rules


def _checked(spec: RuleSpec) -> EscalationRule:
    """What the file's syntax cannot say: a rule has a condition; a repository has no experts."""
    if spec.when is None and spec.overdue_days is None and spec.stalled_days is None:
        raise ValueError("give it a condition: when, overdue_days or stalled_days")
    if spec.stalled_days is not None:
        if spec.when is not None or spec.overdue_days is not None:
            raise ValueError(
                "stalled_days is about a repository, not an alert: make it a rule of its own "
                "(without when and overdue_days)"
            )
        if EXPERTS in spec.to:
            raise ValueError("experts are told about alerts; a stalled repository has none")
    query = parse(spec.when) if spec.when is not None else None
    return EscalationRule(
        name=spec.name,
        to=tuple(spec.to),
        when=spec.when,
        query=query,
        overdue_days=spec.overdue_days,
        stalled_days=spec.stalled_days,
    )


def _first_problem(error: ValidationError) -> str:
    """Pydantic's first error as `field: message` (a rule file has one problem at a time)."""
    item = error.errors()[0]
    where = ".".join(str(part) for part in item["loc"])
    message = str(item["msg"]).removeprefix("Value error, ")
    if item["type"] == "extra_forbidden":
        message = "unknown field"
    return f"{where}: {message}" if where else message
