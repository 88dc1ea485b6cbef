"""Demo alerts: code-scanning and secret-scanning alert JSON spread over the repositories."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from bot.demo.catalog import (
    CODEQL_LANGUAGE,
    EXTENSIONS,
    FILES,
    MODULES,
    PEOPLE,
    RULES,
    SECRET_TYPES,
    Rule,
)
from bot.demo.repositories import Json, Repo, iso, pick, user
from bot.ingest.sarif import security_severity_level


def _sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def _cwe_tag(number: int) -> str:
    """CodeQL spells CWE tags zero-padded to three digits: `external/cwe/cwe-079`."""
    return f"external/cwe/cwe-{number:03d}"


class _Clock:
    """Timestamps as offsets before `now`; ages lean recent but reach back about 18 months."""

    MAX_AGE_DAYS = 540

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now.replace(microsecond=0)

    def age(self) -> timedelta:
        days = self.MAX_AGE_DAYS * (self.rng.random() ** 1.5)
        return timedelta(seconds=int(days * 86400) + 3600)

    def after(self, start: datetime, share: float) -> datetime:
        """A moment between `start` and now, `share` of the way there."""
        span = (self.now - start).total_seconds()
        return start + timedelta(seconds=int(span * share))


class _Alerts:
    """Builds alert JSON for one organization; users and rule objects are built once and shared."""

    def __init__(self, rng: random.Random, org: str, now: datetime) -> None:
        self.rng = rng
        self.clock = _Clock(rng, now)
        self.org = org
        self.users = [user(login, 9_000 + i) for i, login in enumerate(PEOPLE)]
        self.rules = {lang: [self._rule(rule) for rule in rules] for lang, rules in RULES.items()}
        self.secret_weights = list(itertools.accumulate(t[4] for t in SECRET_TYPES))

    @staticmethod
    def _rule(rule: Rule) -> tuple[Json, str]:
        rule_id, description, severity, score, cwes, message = rule
        tags = ["security", *map(_cwe_tag, cwes)] if score is not None else ["maintainability"]
        if score is None:
            tags += ["useless-code", *map(_cwe_tag, cwes)]
        return {
            "id": rule_id,
            "severity": severity,
            "description": description,
            "name": rule_id,
            "tags": tags,
            "security_severity_level": security_severity_level(score),
        }, message

    def _path(self, language: str) -> tuple[str, list[str]]:
        rng, ext = self.rng, EXTENSIONS[language]
        roll = rng.random()
        module, name = rng.choice(MODULES), rng.choice(FILES)
        if roll < 0.08:
            return f"test/{module}/{name}_test.{ext}", ["test"]
        if roll < 0.11:
            return f"generated/{module}/{name}_pb.{ext}", ["generated"]
        if roll < 0.14:
            return f"vendor/{module}/{name}.{ext}", ["library"]
        return f"src/{module}/{name}.{ext}", []

    def code(self, repo: Repo, number: int, created: datetime) -> Json:
        rng, clock = self.rng, self.clock
        rule, message = rng.choice(self.rules[repo.language])
        full_name = repo.json["full_name"]
        roll = rng.random()
        state = "open" if roll < 0.52 else "fixed" if roll < 0.86 else "dismissed"
        closed = clock.after(created, rng.uniform(0.05, 0.95)) if state != "open" else None
        path, classifications = self._path(repo.language)
        if state == "dismissed" and classifications == ["test"]:
            reason = "used in tests"
        elif state == "dismissed":
            reason = pick(
                rng, (("false positive", 0.5), ("won't fix", 0.35), ("used in tests", 0.15))
            )
        else:
            reason = None
        line = rng.randint(3, 900)
        language = CODEQL_LANGUAGE.get(repo.language, repo.language)
        return {
            "number": number,
            "created_at": iso(created),
            "updated_at": iso(closed or clock.after(created, rng.random() * 0.3)),
            "url": f"https://api.github.com/repos/{full_name}/code-scanning/alerts/{number}",
            "html_url": f"https://github.com/{full_name}/security/code-scanning/{number}",
            "instances_url": (
                f"https://api.github.com/repos/{full_name}/code-scanning/alerts/{number}/instances"
            ),
            "state": state,
            "fixed_at": iso(closed) if state == "fixed" and closed else None,
            "dismissed_by": rng.choice(self.users) if state == "dismissed" else None,
            "dismissed_at": iso(closed) if state == "dismissed" and closed else None,
            "dismissed_reason": reason,
            "dismissed_comment": "Reviewed in the security triage." if reason else None,
            "rule": rule,
            "tool": {"name": "CodeQL", "guid": None, "version": "2.20.4"},
            "most_recent_instance": {
                "ref": f"refs/heads/{repo.json['default_branch']}",
                "analysis_key": "dynamic/github-code-scanning/codeql:analyze",
                "environment": f'{{"language":"{language}"}}',
                "category": f"/language:{language}",
                "state": state,
                "commit_sha": _sha(rng),
                "message": {"text": message},
                "location": {
                    "path": path,
                    "start_line": line,
                    "end_line": line,
                    "start_column": rng.randint(1, 40),
                    "end_column": rng.randint(41, 90),
                },
                "classifications": classifications,
            },
            "repository": repo.simple,
            "assignees": [rng.choice(self.users)] if state == "open" and rng.random() < 0.1 else [],
        }

    def _leaked(self, repo: Repo) -> bool:
        """Secrets in public repositories leak far more often."""
        chance = 0.3 if repo.json["visibility"] == "public" else 0.02
        return self.rng.random() < chance

    def secret(self, repo: Repo, number: int, created: datetime) -> Json:
        rng, clock = self.rng, self.clock
        secret_type, display, provider, slug, _ = SECRET_TYPES[
            bisect.bisect_right(self.secret_weights, rng.random() * self.secret_weights[-1])
        ]
        full_name = repo.json["full_name"]
        resolved = rng.random() < 0.45
        resolved_at = clock.after(created, rng.uniform(0.02, 0.9)) if resolved else None
        generic = provider is None
        if resolved:
            resolution = pick(
                rng,
                (("false_positive", 0.45), ("used_in_tests", 0.3), ("wont_fix", 0.25))
                if generic
                else (("revoked", 0.5), ("false_positive", 0.15), ("wont_fix", 0.15),
                      ("used_in_tests", 0.2)),
            )  # fmt: skip
        else:
            resolution = None
        validity = "unknown" if generic else pick(
            rng, (("active", 0.25), ("inactive", 0.4), ("unknown", 0.35))
        )  # fmt: skip
        bypassed = not generic and rng.random() < 0.08
        ext = EXTENSIONS[repo.language]
        path = rng.choice((f"config/settings.{ext}", ".env.example", "deploy/values.yaml",
                           f"src/{rng.choice(MODULES)}/{rng.choice(FILES)}.{ext}"))  # fmt: skip
        commit = _sha(rng)
        blob = _sha(rng)
        return {
            "number": number,
            "created_at": iso(created),
            "updated_at": iso(resolved_at or created),
            "url": f"https://api.github.com/repos/{full_name}/secret-scanning/alerts/{number}",
            "html_url": f"https://github.com/{full_name}/security/secret-scanning/{number}",
            "locations_url": (
                f"https://api.github.com/repos/{full_name}/secret-scanning/alerts/{number}/locations"
            ),
            "state": "resolved" if resolved else "open",
            "resolution": resolution,
            "resolved_at": iso(resolved_at) if resolved_at else None,
            "resolved_by": rng.choice(self.users) if resolved else None,
            "resolution_comment": None,
            "secret_type": secret_type,
            "secret_type_display_name": display,
            "provider": provider,
            "provider_slug": slug,
            "repository": repo.simple,
            "push_protection_bypassed_by": rng.choice(self.users) if bypassed else None,
            "push_protection_bypassed": bypassed,
            "push_protection_bypassed_at": iso(created) if bypassed else None,
            "validity": validity,
            "publicly_leaked": self._leaked(repo),
            "multi_repo": rng.random() < 0.05,
            "is_base64_encoded": False,
            "first_location_detected": {
                "path": path,
                "start_line": (line := rng.randint(1, 200)),
                "end_line": line,
                "start_column": 1,
                "end_column": rng.randint(20, 80),
                "blob_sha": blob,
                "blob_url": f"https://api.github.com/repos/{full_name}/git/blobs/{blob}",
                "commit_sha": commit,
                "commit_url": f"https://api.github.com/repos/{full_name}/git/commits/{commit}",
            },
            "has_more_locations": rng.random() < 0.15,
            "assigned_to": rng.choice(self.users) if not resolved and rng.random() < 0.12 else None,
        }


def generate_alerts(
    rng: random.Random, org: str, now: datetime, repos: Sequence[Repo], count: int
) -> tuple[list[Json], list[Json]]:
    """Spread `count` alerts over the repositories by weight, about a quarter of them secrets."""
    code: list[Json] = []
    secret: list[Json] = []
    for is_secret, alert in iter_alerts(rng, org, now, repos, count):
        (secret if is_secret else code).append(alert)
    return code, secret


def iter_alerts(
    rng: random.Random, org: str, now: datetime, repos: Sequence[Repo], count: int
) -> Iterator[tuple[bool, Json]]:
    """The alerts of `generate_alerts` one at a time, as (is a secret, alert JSON): a million of
    them can be written to files without holding them all."""
    weighted = [repo for repo in repos if repo.weight > 0] or list(repos)
    if not weighted or count <= 0:
        return
    builder = _Alerts(rng, org, now)
    owners = rng.choices(weighted, [max(r.weight, 1e-6) for r in weighted], k=count)
    per_repo: dict[str, tuple[Repo, list[bool]]] = {}
    for repo in owners:
        per_repo.setdefault(repo.json["full_name"], (repo, []))[1].append(rng.random() < 0.25)
    del owners
    for name in sorted(per_repo):
        repo, kinds = per_repo[name]
        for is_secret in (False, True):
            ages = sorted((builder.clock.age() for k in kinds if k is is_secret), reverse=True)
            make = builder.secret if is_secret else builder.code
            for number, age in enumerate(ages, start=1):
                yield is_secret, make(repo, number, builder.clock.now - age)
