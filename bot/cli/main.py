"""The command line (ARCHITECTURE §3): `campaignbot` and `python -m bot`.

Each module registers its commands on the one Typer app; importing them here builds the CLI.
"""

from __future__ import annotations

from bot.cli import campaigns, identities, inventory, jobs, review
from bot.cli.common import app

__all__ = ["app", "campaigns", "identities", "inventory", "jobs", "main", "review"]


def main() -> None:
    app()
