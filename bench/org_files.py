"""The demo organization (`bot.demo.organization.generate_org`) written straight to the JSON files
`campaignbot import` reads, one alert at a time: the same bytes as `generate_org` followed by
`write_files`, without holding a million alerts in memory first."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic_core import to_json

from bot.demo.alerts import iter_alerts
from bot.demo.organization import FILE_NAMES
from bot.demo.repositories import (
    make_property_values,
    make_repository,
    make_teams,
    repo_names,
    user,
)


@dataclass
class OrgFiles:
    directory: Path
    repositories: Path
    property_values: Path
    code_alerts: Path
    secret_alerts: Path
    teams: dict[str, list[tuple[str, str]]]
    """Team slug → (repository full name, permission); teams have no file."""
    code: int
    secret: int

    @property
    def alert_files(self) -> list[Path]:
        return [self.code_alerts, self.secret_alerts]

    @property
    def size_mb(self) -> float:
        return sum(path.stat().st_size for path in self.alert_files) / 2**20


def write_org(
    directory: Path,
    *,
    now: datetime,
    org: str = "acme",
    repositories: int = 2_000,
    alerts: int = 100_000,
    seed: int = 7,
) -> OrgFiles:
    """`generate_org(...)` then `write_files(...)`, streamed: the random draws in the same order."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {name: directory / file_name for name, file_name in FILE_NAMES.items()}
    rng = random.Random(seed)
    moment = now.replace(microsecond=0)
    owner = {**user(org, 5_000), "type": "Organization"}
    repos = [
        make_repository(rng, org, owner, index, name, team, moment)
        for index, (name, team) in enumerate(repo_names(rng, repositories))
    ]
    counts = [0, 0]
    with paths["code_alerts"].open("wb") as code, paths["secret_alerts"].open("wb") as secret:
        files = (code, secret)
        for out in files:
            out.write(b"[")
        for is_secret, alert in iter_alerts(rng, org, moment, repos, alerts):
            out = files[is_secret]
            if counts[is_secret]:
                out.write(b",")
            out.write(to_json(alert))
            counts[is_secret] += 1
        for out in files:
            out.write(b"]")
    paths["repositories"].write_bytes(to_json([repo.json for repo in repos]))
    values = [make_property_values(rng, repo) for repo in repos]
    paths["property_values"].write_bytes(to_json(values))
    return OrgFiles(
        directory=directory,
        repositories=paths["repositories"],
        property_values=paths["property_values"],
        code_alerts=paths["code_alerts"],
        secret_alerts=paths["secret_alerts"],
        teams=make_teams(rng, repos),
        code=counts[0],
        secret=counts[1],
    )
