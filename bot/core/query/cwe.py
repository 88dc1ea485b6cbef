"""CWE tags: CodeQL zero-pads the number (`cwe-079`), people do not (`cwe-79`)."""

from __future__ import annotations

import re

_CWE = re.compile(r"(^|/)cwe-0*([0-9]+)$", re.ASCII)


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
    padded = (number.zfill(width) for width in range(len(number), 5))
    return tuple(dict.fromkeys(f"{stem}cwe-{digits}" for digits in padded))
