"""CWE tags: CodeQL zero-pads the number (`cwe-079`), people do not (`cwe-79`)."""

from __future__ import annotations

import re

_CWE = re.compile(r"(^|/)cwe-0*([0-9]+)$", re.ASCII)
_ANY_CWE = re.compile(r"^(?:external/cwe/)?cwe[-_: ]?0*([0-9]{1,5})(?:$|[^0-9])", re.ASCII | re.I)
"""A CWE as scanners spell it: CodeQL `external/cwe/cwe-079`, Semgrep `CWE-522: Insufficiently
Protected Credentials`, Bandit and Trivy `CWE-78`, or a plain `cwe-79`."""


def canonical_cwe_tag(tag: str) -> str | None:
    """GitHub's spelling (`external/cwe/cwe-079`) of a tag that names a CWE, else None."""
    match = _ANY_CWE.match(tag.strip())
    return f"external/cwe/cwe-{int(match.group(1)):03d}" if match else None


def with_canonical_cwe(tags: list[str]) -> list[str]:
    """The tags as given, plus GitHub's spelling of each CWE they name (once), so that
    `tag:external/cwe/cwe-522` finds a Semgrep finding tagged `CWE-522: …`."""
    found = [canonical for tag in tags if (canonical := canonical_cwe_tag(tag))]
    lowered = {tag.lower() for tag in tags}
    return [*tags, *(tag for tag in dict.fromkeys(found) if tag not in lowered)]


def normalize_cwe(tag: str) -> str:
    """`external/cwe/cwe-079` → `external/cwe/cwe-79`: CodeQL pads CWE numbers, people don't."""
    return _CWE.sub(r"\1cwe-\2", tag)


def cwe_spellings(tag: str) -> tuple[str, ...]:
    """The stored spellings a canonical tag may have: itself and its zero-padded CWE forms."""
    match = _CWE.search(tag)
    if not match:
        return (tag,)
    number = match.group(2)
    stem = tag[: match.start(2) - len("cwe-")]
    # The short form (`cwe-79`) also means GitHub's (`external/cwe/cwe-79`).
    stems = (stem,) if stem else ("", "external/cwe/")
    padded = [number.zfill(width) for width in range(len(number), 5)]
    return tuple(dict.fromkeys(f"{s}cwe-{digits}" for s in stems for digits in padded))
