"""Demo repositories, their custom property values and team access, as the REST API lists them."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.demo.catalog import (
    COMPONENTS,
    DOMAINS,
    EXTRA_TOPICS,
    LANGUAGES,
    PRIORITIES,
    SECURITY_TEAM,
)

Json = dict[str, Any]


def team_name(slug: str) -> str:
    """A team's display name from its slug (`web-devs` → `Web Devs`)."""
    return slug.replace("-", " ").title()


# --- small helpers --------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([item for item, _ in weighted], [w for _, w in weighted])[0]


def user(login: str, user_id: int) -> Json:
    return {
        "login": login,
        "id": user_id,
        "node_id": f"U_demo{user_id}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": f"https://api.github.com/users/{login}",
        "html_url": f"https://github.com/{login}",
        "type": "User",
        "site_admin": False,
    }


@dataclass
class Repo:
    json: Json
    simple: Json
    language: str
    team: str
    weight: float


def repo_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    combos = [
        (f"{prefix}-{component}", team) for prefix, team in DOMAINS for component in COMPONENTS
    ]
    rng.shuffle(combos)
    names: list[tuple[str, str]] = []
    for round_ in itertools.count(1):
        for name, team in combos:
            if len(names) == count:
                return names
            names.append((name if round_ == 1 else f"{name}-{round_}", team))
    return names


def make_repository(
    rng: random.Random, org: str, owner: Json, index: int, name: str, team: str, now: datetime
) -> Repo:
    language = pick(rng, LANGUAGES)
    archived = rng.random() < 0.05
    visibility = pick(rng, (("private", 0.65), ("internal", 0.25), ("public", 0.10)))
    pushed_days = rng.uniform(200, 700) if archived else 365 * rng.random() ** 2
    pushed_at = now - timedelta(seconds=int(pushed_days * 86400) + 600)
    created_at = pushed_at - timedelta(days=rng.randint(30, 2000))
    topics = sorted({language, name.split("-")[0], *rng.sample(EXTRA_TOPICS, rng.randint(0, 2))})
    full_name = f"{org}/{name}"
    repo_id = 600_000_000 + index * 7919
    simple = {
        "id": repo_id,
        "node_id": f"R_demo{repo_id}",
        "name": name,
        "full_name": full_name,
        "owner": owner,
        "private": visibility != "public",
        "html_url": f"https://github.com/{full_name}",
        "description": f"{name.replace('-', ' ').capitalize()} ({team_name(team)} team)",
        "fork": False,
        "url": f"https://api.github.com/repos/{full_name}",
    }
    full = {
        **simple,
        "language": language,
        "default_branch": "main" if rng.random() < 0.85 else "master",
        "topics": topics,
        "archived": archived,
        "disabled": False,
        "visibility": visibility,
        "pushed_at": iso(pushed_at),
        "created_at": iso(created_at),
        "updated_at": iso(pushed_at),
    }
    weight = 0.0 if rng.random() < 0.12 else min(rng.paretovariate(1.3), 40.0)
    if archived:
        weight *= 0.3
    return Repo(json=full, simple=simple, language=language, team=team, weight=weight)


def make_property_values(rng: random.Random, repo: Repo) -> Json:
    topics = repo.json["topics"]
    priority = pick(rng, PRIORITIES)
    if "pci" in topics or "customer-facing" in topics:
        priority = "Urgent" if rng.random() < 0.3 else "High"
    compliance = [tag for topic, tag in (("pci", "PCI-DSS"), ("gdpr", "GDPR")) if topic in topics]
    return {
        "repository_id": repo.json["id"],
        "repository_name": repo.json["name"],
        "repository_full_name": repo.json["full_name"],
        "properties": [
            {"property_name": "BusinessPriority", "value": priority},
            {"property_name": "Team", "value": team_name(repo.team)},
            {"property_name": "Compliance", "value": compliance or None},
        ],
    }


def make_teams(rng: random.Random, repos: Sequence[Repo]) -> dict[str, list[tuple[str, str]]]:
    teams: dict[str, list[tuple[str, str]]] = {}
    for repo in repos:
        permission = pick(rng, (("push", 0.6), ("maintain", 0.3), ("admin", 0.1)))
        teams.setdefault(repo.team, []).append((repo.json["full_name"], permission))
    teams[SECURITY_TEAM] = [(repo.json["full_name"], "triage") for repo in repos]
    return dict(sorted(teams.items()))
