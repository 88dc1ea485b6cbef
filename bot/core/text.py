"""Words people read, whatever the surface: counts with the right plural."""

from __future__ import annotations


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """`1 repository`, `2 repositories`, `0 alerts`."""
    word = singular if number == 1 else (plural or f"{singular}s")
    return f"{number} {word}"
