"""Remediation guides (the second seed's step 6.1): how to revoke or fix, what to update and how
to verify, per secret type, provider and code-rule family (CWE).

The built-in guides are TOML files shipped in `guide_data/`. An organization replaces one by
putting a file of the same name in `PLAYBOOK_GUIDES_DIR`, or adds its own there. A bad file never
stops the bot: it is logged with its file and line, the built-in guide stays, and
`GuideBook.problems` lists it for whoever runs the bot.
"""

from __future__ import annotations

import difflib
import logging
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.core.cwe import canonical_cwe_tag
from bot.core.models import Alert, AlertKind

log = logging.getLogger(__name__)

SECRET_FALLBACK = "api-keys"  # noqa: S105 - a guide id, not a password
"""The guide for a secret no other guide names (by type or provider)."""
CODE_FALLBACK = "code"
"""The guide for a code alert whose CWEs no other guide covers."""

MAX_FILE_BYTES = 64_000
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_CWE = re.compile(r"^(?:external/cwe/)?(?:cwe[-_: ]?)?0*([0-9]{1,5})$", re.ASCII | re.I)
_TOML_PLACE = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)$")

Name = Annotated[str, Field(min_length=1, max_length=100)]
Step = Annotated[str, Field(min_length=1, max_length=600)]
Steps = Annotated[list[Step], Field(max_length=12)]


class GuideError(ValueError):
    """A guide file that cannot be used; the message names the file and, where known, the line."""


def cwe_id(text: str) -> str | None:
    """`cwe-89` for any way people and scanners write it (`CWE-89`, `cwe-089`, `89`,
    `external/cwe/cwe-089`, Semgrep's `CWE-89: Improper …`), else None."""
    text = text.strip()
    match = _CWE.match(text)
    if match:
        return f"cwe-{int(match.group(1))}"
    canonical = canonical_cwe_tag(text)
    return cwe_id(canonical) if canonical else None


def _key(text: str) -> str:
    """How names are compared: case, quotes, `-`, `_` and spaces do not matter."""
    return re.sub(r"[\s_\-]+", " ", text.strip().strip("`'\"“”‘’").lower()).strip()


class GuideLink(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Name
    url: str = Field(max_length=500)

    @field_validator("url")
    @classmethod
    def _https(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.netloc or re.search(r"[\s<>|\"']", url):
            raise ValueError(f"{url!r} is not an https:// link")
        return url


class AppliesTo(BaseModel):
    """What a guide is for: secret types as GitHub names them, providers, CWE ids."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secret_types: list[Name] = Field(default_factory=list)
    providers: list[Name] = Field(default_factory=list)
    cwes: list[Name] = Field(default_factory=list)

    @field_validator("cwes")
    @classmethod
    def _cwe_spelling(cls, cwes: list[str]) -> list[str]:
        found = []
        for value in cwes:
            cwe = cwe_id(value)
            if cwe is None:
                raise ValueError(f"{value!r} is not a CWE (write it like cwe-89)")
            found.append(cwe)
        return found


class Guide(BaseModel):
    """One remediation guide. Secret guides say how to `revoke`; code guides how to `fix`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: AlertKind
    title: Name
    summary: str = Field(min_length=1, max_length=600)
    applies_to: AppliesTo = Field(default_factory=AppliesTo)
    aliases: list[Name] = Field(default_factory=list, max_length=20)
    """Other names people type (`postgres`, `ssh`, `gcp`)."""
    revoke: Steps = Field(default_factory=list)
    fix: Steps = Field(default_factory=list)
    update: Steps = Field(min_length=1)
    verify: Steps = Field(min_length=1)
    links: list[GuideLink] = Field(default_factory=list, max_length=8)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(
                f"{value!r} is not a guide id: lowercase letters, digits, - and _ (≤ 40)"
            )
        return value

    @model_validator(mode="after")
    def _fits_kind(self) -> Guide:
        if self.kind is AlertKind.SECRET:
            if not self.revoke or self.fix:
                raise ValueError("a secret guide has `revoke` steps and no `fix`")
            if self.applies_to.cwes:
                raise ValueError("a secret guide applies to secret types and providers, not CWEs")
        else:
            if not self.fix or self.revoke:
                raise ValueError("a code guide has `fix` steps and no `revoke`")
            if self.applies_to.secret_types or self.applies_to.providers:
                raise ValueError("a code guide applies to CWEs, not secret types or providers")
        return self

    @property
    def first_steps(self) -> list[str]:
        """What to do first: revoke the secret, or fix the code."""
        return self.revoke or self.fix

    @property
    def command(self) -> str:
        return f"/campaign guide {self.id}"


# -- reading files ------------------------------------------------------------------------------


def parse_guide(guide_id: str, text: str, source: str) -> Guide:
    """A guide from TOML text; `GuideError` naming `source` (and the line) when it is not one."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        place = _TOML_PLACE.search(message)
        line = place.group(1) if place else None
        where = f"line {line}" if line else "at the end" if place else "somewhere"
        reason = _TOML_PLACE.sub("", message)
        raise GuideError(f"Guide file {source}, {where}: not valid TOML ({reason})") from None
    if data.get("id", guide_id) != guide_id:
        raise GuideError(
            f"Guide file {source}: id {data['id']!r} differs from its file name ({guide_id!r})"
        )
    try:
        return Guide.model_validate({**data, "id": guide_id})
    except ValidationError as exc:
        raise GuideError(f"Guide file {source}: {_pydantic_problems(exc, text)}") from None


def _pydantic_problems(exc: ValidationError, text: str) -> str:
    found = []
    for error in exc.errors()[:3]:
        field = ".".join(str(part) for part in error["loc"]) or "the guide"
        line = _line_of(text, error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        found.append(f"{f'line {line}, ' if line else ''}field {field}: {message}")
    more = exc.error_count() - len(found)
    return "; ".join(found) + (f" (and {more} more)" if more > 0 else "")


def _line_of(text: str, loc: Sequence[int | str]) -> int | None:
    """Where a field is written (best effort: the first `key =` or `[key]` of each part of its
    location, in order). None for a field the file does not have."""
    lines, start, found = text.splitlines(), 0, None
    for part in (p for p in loc if isinstance(p, str)):
        name = re.escape(part)
        key = re.compile(rf"(?:^\s*\[{{1,2}}\s*|^\s*|[\s{{,.])\"?{name}\"?\s*(?:=|\]|\.)")
        hit = next((n for n in range(start, len(lines)) if key.search(lines[n])), None)
        if hit is None:
            break
        start = found = hit
    return found + 1 if found is not None else None


def _read_folder(folder: Path, builtin_ids: set[str]) -> tuple[list[Guide], list[str]]:
    """An organization's guides, and a message for each file that could not be used."""
    if not folder.is_dir():
        return [], [
            f"Remediation guides folder {folder} (PLAYBOOK_GUIDES_DIR) does not exist or is "
            "not a folder; only the built-in guides are used."
        ]
    guides: list[Guide] = []
    problems: list[str] = []
    for path in sorted(folder.glob("*.toml")):
        guide_id = path.stem.lower()
        kept = "the built-in guide is kept" if guide_id in builtin_ids else "it is skipped"
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise GuideError(f"Guide file {path} is larger than {MAX_FILE_BYTES} bytes")
            text = path.read_text(encoding="utf-8")
            guides.append(parse_guide(guide_id, text, str(path)))
        except UnicodeDecodeError:
            problems.append(f"Guide file {path} is not UTF-8 text; {kept}.")
        except OSError as exc:
            problems.append(f"Guide file {path} cannot be read ({exc.strerror}); {kept}.")
        except GuideError as exc:
            problems.append(f"{exc}; {kept}.")
    return guides, problems


@cache
def builtin_guides() -> tuple[Guide, ...]:
    """The guides shipped in the package (read once; a broken one is a bug, so it raises)."""
    folder = files(__package__ or "bot.playbooks") / "guide_data"
    return tuple(
        parse_guide(entry.name.removesuffix(".toml"), entry.read_text("utf-8"), entry.name)
        for entry in sorted(folder.iterdir(), key=lambda entry: entry.name)
        if entry.name.endswith(".toml")
    )


# -- the book -----------------------------------------------------------------------------------


class GuideBook:
    """Every guide of the installation, looked up by what people type or by an alert.

    `GuideBook()` holds the built-in guides; `GuideBook.load(folder)` adds an organization's.
    Where two guides claim the same name, the earlier one given wins (an organization's first).
    """

    def __init__(self, guides: Iterable[Guide] | None = None, problems: Iterable[str] = ()) -> None:
        self._guides: dict[str, Guide] = {}
        for guide in builtin_guides() if guides is None else guides:
            self._guides.setdefault(guide.id, guide)
        self.problems: list[str] = list(problems)
        """Files of the guides folder that could not be used, one clear message each."""
        self._by_type: dict[str, Guide] = {}
        self._by_provider: dict[str, Guide] = {}
        self._by_cwe: dict[str, Guide] = {}
        self._by_other: dict[str, Guide] = {}
        for guide in self._guides.values():
            for secret_type in guide.applies_to.secret_types:
                self._by_type.setdefault(_key(secret_type), guide)
            for provider in guide.applies_to.providers:
                self._by_provider.setdefault(_key(provider), guide)
            for cwe in guide.applies_to.cwes:
                self._by_cwe.setdefault(cwe, guide)
            for name in (*guide.aliases, guide.title):
                self._by_other.setdefault(_key(name), guide)

    @classmethod
    def load(cls, folder: Path | None) -> GuideBook:
        """The built-in guides, replaced or added to by the TOML files in `folder`."""
        builtins = builtin_guides()
        if folder is None:
            return cls(builtins)
        overrides, problems = _read_folder(folder, {guide.id for guide in builtins})
        for problem in problems:
            log.warning("%s", problem)
        if overrides:
            log.info("Remediation guides: %d from %s", len(overrides), folder)
        replaced = {guide.id for guide in overrides}
        kept = (guide for guide in builtins if guide.id not in replaced)
        return cls([*overrides, *kept], problems)

    def get(self, guide_id: str) -> Guide | None:
        return self._guides.get(guide_id)

    def guides(self) -> list[Guide]:
        """Every guide, secrets first, each kind by title (the order a listing shows)."""
        return sorted(
            self._guides.values(),
            key=lambda guide: (guide.kind is not AlertKind.SECRET, guide.title.lower()),
        )

    def names(self) -> list[str]:
        """Every guide id, in listing order."""
        return [guide.id for guide in self.guides()]

    def find(self, name: str) -> Guide | None:
        """A guide by what someone typed: its id, a secret type, a provider, a CWE (`CWE-89`,
        `cwe-089`, `89`), an alias or its title. Case, `-`, `_` and spaces do not matter."""
        key = _key(name)
        if not key:
            return None
        by_id = self._guides.get(key.replace(" ", "-")) or self._guides.get(key.replace(" ", "_"))
        if by_id is not None:
            return by_id
        for index in (self._by_type, self._by_provider):
            if key in index:
                return index[key]
        cwe = cwe_id(name)
        if cwe is not None and cwe in self._by_cwe:
            return self._by_cwe[cwe]
        return self._by_other.get(key)

    def suggest(self, name: str, limit: int = 3) -> list[Guide]:
        """Guides whose names look like `name`, for an answer to a typo."""
        names: dict[str, Guide] = {}
        for index in (self._by_other, self._by_provider, self._by_type):
            names.update(index)
        names.update({_key(guide_id): guide for guide_id, guide in self._guides.items()})
        close = difflib.get_close_matches(_key(name), list(names), n=limit * 3, cutoff=0.6)
        return list({names[match].id: names[match] for match in close}.values())[:limit]

    def for_alert(self, alert: Alert) -> Guide | None:
        """The guide for an alert. A secret: by its type, then its provider, then the generic
        API key guide. A code alert: by its CWE tags in order, then the generic code guide."""
        if alert.kind is AlertKind.SECRET:
            found = self._by_type.get(_key(alert.secret_type or ""))
            for provider in (alert.provider, alert.provider_slug):
                found = found or self._by_provider.get(_key(provider or ""))
            return found or self._fallback(SECRET_FALLBACK, AlertKind.SECRET)
        for tag in alert.tags:
            cwe = cwe_id(tag) if "cwe" in tag.lower() else None
            if cwe is not None and cwe in self._by_cwe:
                return self._by_cwe[cwe]
        return self._fallback(CODE_FALLBACK, AlertKind.CODE)

    def for_alerts(self, alerts: Iterable[Alert]) -> list[Guide]:
        """The distinct guides some alerts need, the most needed first (ties: first needed)."""
        counts: Counter[str] = Counter()
        for alert in alerts:
            guide = self.for_alert(alert)
            if guide is not None:
                counts[guide.id] += 1
        return [self._guides[guide_id] for guide_id, _ in counts.most_common()]

    def _fallback(self, guide_id: str, kind: AlertKind) -> Guide | None:
        guide = self._guides.get(guide_id)
        return guide if guide is not None and guide.kind is kind else None


@cache
def builtin_book() -> GuideBook:
    """The built-in guides, indexed once (for pure views that have no services at hand)."""
    return GuideBook()


def guide_ids_for(alerts: Iterable[Alert], book: GuideBook | None = None) -> list[str]:
    """Ids of the guides some alerts need, most needed first (e.g. for a launch DM)."""
    return [guide.id for guide in (book or builtin_book()).for_alerts(alerts)]
