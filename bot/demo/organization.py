"""A realistic demo organization, generated as GitHub REST JSON.

The demo and the benchmarks load it through the importer's own path (the same JSON shapes GitHub's
API returns), so trying the bot out also exercises the code that reads real exports. Everything is
drawn from one seeded `random.Random`: the same seed and `now` give the same organization, byte for
byte. It scales from the 60-repository demo to 100,000 alerts over 2,000 repositories in seconds.

Secrets are never generated: alerts carry no `secret` field, as with the API's `hide_secret=true`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic_core import to_json
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.demo.alerts import generate_alerts
from bot.demo.repositories import (
    Json,
    make_property_values,
    make_repository,
    make_teams,
    repo_names,
    team_name,
    user,
)
from bot.ingest import importer
from bot.ingest.report import ImportReport
from store import repositories as repository_store


@dataclass
class OrgData:
    """A generated organization, as the GitHub REST API would list it."""

    org: str
    now: datetime
    repositories: list[Json] = field(default_factory=list)
    property_values: list[Json] = field(default_factory=list)
    teams: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Team slug → (repository full name, permission)."""
    code_alerts: list[Json] = field(default_factory=list)
    secret_alerts: list[Json] = field(default_factory=list)


def generate_org(
    *,
    org: str = "acme",
    repositories: int = 60,
    alerts: int = 5000,
    seed: int = 7,
    now: datetime,
) -> OrgData:
    """A deterministic organization: same arguments, same data."""
    rng = random.Random(seed)
    moment = now.replace(microsecond=0)
    owner = {**user(org, 5_000), "type": "Organization"}
    repos = [
        make_repository(rng, org, owner, index, name, team, moment)
        for index, (name, team) in enumerate(repo_names(rng, repositories))
    ]
    code, secret = generate_alerts(rng, org, moment, repos, alerts)
    return OrgData(
        org=org,
        now=moment,
        repositories=[repo.json for repo in repos],
        property_values=[make_property_values(rng, repo) for repo in repos],
        teams=make_teams(rng, repos),
        code_alerts=code,
        secret_alerts=secret,
    )


FILE_NAMES = {
    "repositories": "repos.json",
    "property_values": "properties-values.json",
    "code_alerts": "code-scanning-alerts.json",
    "secret_alerts": "secret-scanning-alerts.json",
}


def write_files(data: OrgData, directory: Path) -> list[Path]:
    """Write the organization as the JSON files `campaignbot import` reads (teams have no file)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for attribute, file_name in FILE_NAMES.items():
        path = directory / file_name
        path.write_bytes(to_json(getattr(data, attribute)))
        paths.append(path)
    return paths


def documents(data: OrgData) -> list[tuple[str, object]]:
    """The organization as (name, JSON) pairs for `importer.parse_documents`."""
    return [(f"demo {file_name}", getattr(data, attr)) for attr, file_name in FILE_NAMES.items()]


async def load(engine: AsyncEngine, data: OrgData) -> ImportReport:
    """Import the organization through the importer, and set its teams, in one transaction."""
    batch = importer.parse_documents(documents(data), now=data.now)
    async with engine.begin() as conn:
        report = await importer.write(conn, batch)
        for slug, repos in data.teams.items():
            await repository_store.set_team_repositories(conn, slug, team_name(slug), dict(repos))
    return report
