"""A realistic demo organization, generated as GitHub REST JSON.

The demo and the benchmarks load it through the importer's own path (the same JSON shapes GitHub's
API returns), so trying the bot out also exercises the code that reads real exports. Everything is
drawn from one seeded `random.Random`: the same seed and `now` give the same organization, byte for
byte. It scales from the 60-repository demo to 100,000 alerts over 2,000 repositories in seconds.

Secrets are never generated: alerts carry no `secret` field, as with the API's `hide_secret=true`.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic_core import to_json
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ingest import importer
from store import repositories as repository_store

Json = dict[str, Any]

# --- catalogs -------------------------------------------------------------------------------------

LANGUAGES: tuple[tuple[str, float], ...] = (
    ("javascript", 0.22),
    ("typescript", 0.13),
    ("python", 0.25),
    ("java", 0.15),
    ("csharp", 0.10),
    ("go", 0.10),
    ("ruby", 0.05),
)
"""Repository languages and their share; TypeScript repositories use the JavaScript rules."""

Rule = tuple[str, str, str, float | None, tuple[int, ...], str]
"""(id, description, severity, security-severity score or None for quality rules, CWEs, message)."""

_RULE_TABLE = """
js | js/xss | Client-side cross-site scripting | error | 6.1 | 79 116 | Cross-site scripting vulnerability due to a user-provided value.
js | js/reflected-xss | Reflected cross-site scripting | error | 6.1 | 79 116 | Cross-site scripting vulnerability due to a user-provided value.
js | js/sql-injection | Database query built from user-controlled sources | error | 8.8 | 89 90 943 | This query string depends on a user-provided value.
js | js/path-injection | Uncontrolled data used in path expression | error | 7.5 | 22 23 36 73 99 | This path depends on a user-provided value.
js | js/prototype-pollution | Prototype-polluting merge call | warning | 6.1 | 78 79 94 400 471 915 | Prototype pollution caused by merging a user-controlled value.
js | js/prototype-pollution-utility | Prototype-polluting function | warning | 6.1 | 78 79 94 400 471 915 | Properties are copied recursively without a guard.
js | js/code-injection | Code injection | error | 9.3 | 94 95 79 116 | This code execution depends on a user-provided value.
js | js/command-line-injection | Uncontrolled command line | error | 9.8 | 78 88 | This command line depends on a user-provided value.
js | js/request-forgery | Server-side request forgery | error | 9.1 | 918 | The URL of this request depends on a user-provided value.
js | js/polynomial-redos | Polynomial regular expression used on uncontrolled data | warning | 7.5 | 1333 730 400 | This regular expression may run slow on crafted strings.
js | js/insecure-randomness | Insecure randomness | warning | 7.8 | 338 | A cryptographically insecure random number is used in a security context.
js | js/clear-text-logging | Clear-text logging of sensitive information | error | 7.5 | 312 359 532 | This logs sensitive data returned by an access to a password.
js | js/missing-rate-limiting | Missing rate limiting | warning | 7.5 | 770 307 400 | This route handler performs a database access, but is not rate-limited.
js | js/incomplete-sanitization | Incomplete string escaping or encoding | warning | 7.8 | 20 80 116 | This replaces only the first occurrence of a character.
js | js/hardcoded-credentials | Hard-coded credentials | warning | 9.8 | 259 321 798 | The hard-coded value is used as a password.
js | js/log-injection | Log injection | error | 7.8 | 117 | Log entry depends on a user-provided value.
js | js/unused-local-variable | Unused variable, import, function or class | note | - | 563 | Unused variable.
py | py/sql-injection | SQL query built from user-controlled sources | error | 8.8 | 89 | This SQL query depends on a user-provided value.
py | py/path-injection | Uncontrolled data used in path expression | error | 7.5 | 22 23 36 73 99 | This path depends on a user-provided value.
py | py/command-line-injection | Uncontrolled command line | error | 9.8 | 78 88 | This command line depends on a user-provided value.
py | py/reflective-xss | Reflected server-side cross-site scripting | error | 6.1 | 79 116 | Cross-site scripting vulnerability due to a user-provided value.
py | py/code-injection | Code injection | error | 9.3 | 94 95 116 | This code execution depends on a user-provided value.
py | py/unsafe-deserialization | Deserialization of user-controlled data | error | 9.8 | 502 | Unsafe deserialization depends on a user-provided value.
py | py/full-ssrf | Full server-side request forgery | error | 9.1 | 918 | The full URL of this request depends on a user-provided value.
py | py/clear-text-logging-sensitive-data | Clear-text logging of sensitive information | error | 7.5 | 312 359 532 | This expression logs sensitive data (password) as clear text.
py | py/log-injection | Log Injection | error | 7.8 | 117 | This log entry depends on a user-provided value.
py | py/flask-debug | Flask app is run in debug mode | error | 7.5 | 215 489 | A Flask app appears to be run in debug mode.
py | py/weak-sensitive-data-hashing | Use of a broken or weak cryptographic hashing algorithm on sensitive data | warning | 7.5 | 327 328 916 | Sensitive data (password) is used in a hashing algorithm (MD5).
py | py/stack-trace-exposure | Information exposure through an exception | error | 5.4 | 209 497 | Stack trace information flows to this location.
py | py/incomplete-url-substring-sanitization | Incomplete URL substring sanitization | warning | 7.8 | 20 | The string may be at an arbitrary position in the sanitized URL.
py | py/unused-import | Unused import | note | - | - | Import of 'os' is not used.
java | java/log-injection | Log Injection | error | 7.8 | 117 | This log entry depends on a user-provided value.
java | java/sql-injection | Query built from user-controlled sources | error | 8.8 | 89 564 | This query depends on a user-provided value.
java | java/path-injection | Uncontrolled data used in path expression | error | 7.5 | 22 23 36 73 | This path depends on a user-provided value.
java | java/xss | Cross-site scripting | error | 6.1 | 79 | Cross-site scripting vulnerability due to a user-provided value.
java | java/unsafe-deserialization | Deserialization of user-controlled data | error | 9.8 | 502 | Unsafe deserialization depends on a user-provided value.
java | java/xxe | Resolving XML external entity in user-controlled data | error | 9.1 | 611 776 827 | XML parsing depends on a user-provided value without guarding against XXE.
java | java/ssrf | Server-side request forgery | error | 9.1 | 918 | Potential server-side request forgery due to a user-provided value.
java | java/weak-cryptographic-algorithm | Use of a broken or risky cryptographic algorithm | warning | 7.5 | 327 328 | Cryptographic algorithm DES is weak and should not be used.
java | java/spring-disabled-csrf-protection | Disabled Spring CSRF protection | error | 8.8 | 352 | CSRF vulnerability due to protection being disabled.
java | java/stack-trace-exposure | Information exposure through a stack trace | error | 5.4 | 209 497 | Error information can be exposed to an external user.
cs | cs/sql-injection | SQL query built from user-controlled sources | error | 8.8 | 89 | This query depends on a user-provided value.
cs | cs/web/xss | Cross-site scripting | error | 6.1 | 79 116 | Cross-site scripting vulnerability due to a user-provided value.
cs | cs/path-injection | Uncontrolled data used in path expression | error | 7.5 | 22 23 36 73 99 | This path depends on a user-provided value.
cs | cs/log-forging | Log entries created from user input | warning | 7.8 | 117 | This log entry depends on a user-provided value.
cs | cs/unsafe-deserialization-untrusted-input | Deserialization of untrusted data | error | 9.8 | 502 | Unsafe deserializer is used on data from a user-provided value.
cs | cs/web/missing-x-frame-options | Missing X-Frame-Options HTTP header | error | 7.5 | 451 829 | Configuration file is missing the X-Frame-Options setting.
cs | cs/hardcoded-credentials | Hard-coded credentials | error | 9.8 | 259 321 798 | The hard-coded value is used as a password.
go | go/sql-injection | Database query built from user-controlled sources | error | 8.8 | 89 | This query depends on a user-provided value.
go | go/path-injection | Uncontrolled data used in path expression | error | 7.5 | 22 23 36 73 99 | This path depends on a user-provided value.
go | go/command-injection | Command built from user-controlled sources | error | 9.8 | 78 | This command depends on a user-provided value.
go | go/log-injection | Log entries created from user input | error | 7.8 | 117 | This log entry depends on a user-provided value.
go | go/reflected-xss | Reflected cross-site scripting | error | 6.1 | 79 116 | Cross-site scripting vulnerability due to a user-provided value.
go | go/request-forgery | Uncontrolled data used in network request | error | 9.1 | 918 | The URL of this request depends on a user-provided value.
go | go/disabled-certificate-check | Disabled TLS certificate check | warning | 7.5 | 295 | InsecureSkipVerify should not be used in production code.
go | go/incorrect-integer-conversion | Incorrect conversion between integer types | warning | 8.1 | 190 681 | Incorrect conversion of an integer with architecture-dependent bit size.
rb | rb/sql-injection | SQL query built from user-controlled sources | error | 8.8 | 89 | This SQL query depends on a user-provided value.
rb | rb/reflected-xss | Reflected server-side cross-site scripting | error | 6.1 | 79 116 | Cross-site scripting vulnerability due to a user-provided value.
rb | rb/command-line-injection | Uncontrolled command line | error | 9.8 | 78 88 | This command depends on a user-provided value.
rb | rb/unsafe-deserialization | Deserialization of user-controlled data | warning | 9.8 | 502 | Unsafe deserialization depends on a user-provided value.
"""  # noqa: E501 - a table reads best one rule a line
"""CodeQL queries by language: `language | id | description | severity | security-severity | CWEs |
message`. Scores follow the queries' `@security-severity` metadata; `-` marks a quality query."""


def _rules_by_language() -> dict[str, tuple[Rule, ...]]:
    found: dict[str, list[Rule]] = {}
    for line in _RULE_TABLE.strip().splitlines():
        lang, rule_id, description, severity, score, cwes, message = (
            cell.strip() for cell in line.split(" | ")
        )
        cwe_numbers = tuple(int(n) for n in cwes.split()) if cwes != "-" else ()
        rule = (rule_id, description, severity, None if score == "-" else float(score))
        found.setdefault(lang, []).append((*rule, cwe_numbers, message))
    by_prefix = {prefix: tuple(rules) for prefix, rules in found.items()}
    return {
        "javascript": by_prefix["js"],
        "typescript": by_prefix["js"],
        "python": by_prefix["py"],
        "java": by_prefix["java"],
        "csharp": by_prefix["cs"],
        "go": by_prefix["go"],
        "ruby": by_prefix["rb"],
    }


RULES = _rules_by_language()
_CODEQL_LANGUAGE = {"typescript": "javascript-typescript", "javascript": "javascript-typescript"}

_EXTENSIONS = {
    "javascript": "js",
    "typescript": "ts",
    "python": "py",
    "java": "java",
    "csharp": "cs",
    "go": "go",
    "ruby": "rb",
}
_MODULES = ("api", "auth", "billing", "handlers", "lib", "models", "routes", "services", "utils")
_FILES = ("client", "config", "export", "handler", "index", "search", "session", "upload", "user")

SecretType = tuple[str, str, str | None, str | None, float]
"""(secret_type, display name, provider, provider_slug, weight)."""

SECRET_TYPES: tuple[SecretType, ...] = (
    ("aws_access_key_id", "AWS Access Key ID", "Amazon AWS", "amazon_aws", 9),
    ("aws_secret_access_key", "AWS Secret Access Key", "Amazon AWS", "amazon_aws", 6),
    ("azure_storage_account_key", "Azure Storage Account Key", "Azure", "azure", 6),
    ("github_personal_access_token", "GitHub Personal Access Token", "GitHub", "github", 10),
    (
        "github_app_installation_access_token",
        "GitHub App Installation Access Token",
        "GitHub",
        "github",
        3,
    ),
    ("slack_api_token", "Slack API Token", "Slack", "slack", 7),
    ("slack_incoming_webhook_url", "Slack Incoming Webhook URL", "Slack", "slack", 5),
    ("stripe_api_key", "Stripe API Key", "Stripe", "stripe", 4),
    ("google_api_key", "Google API Key", "Google", "google", 8),
    ("npm_access_token", "npm Access Token", "npm", "npm", 3),
    ("openai_api_key", "OpenAI API Key", "OpenAI", "openai", 3),
    # Generic (non-provider and AI-detected) results: no provider, no validity check.
    ("password", "Password", None, None, 12),
    ("rsa_private_key", "RSA Private Key", None, None, 4),
    ("postgres_connection_string", "PostgreSQL Connection String", None, None, 4),
    ("http_basic_authentication_header", "HTTP Basic Authentication Header", None, None, 3),
    ("mongodb_connection_string", "MongoDB Connection String", None, None, 2),
)

_TEAM_DOMAINS = {
    "payments": ("payments", "checkout", "billing", "ledger"),
    "identity": ("identity", "auth", "accounts"),
    "storefront": ("storefront", "catalog", "cart"),
    "search": ("search", "recommendations"),
    "fulfillment": ("inventory", "shipping", "warehouse"),
    "platform": ("notifications", "gateway", "config"),
    "data": ("analytics", "reporting", "etl"),
    "mobile": ("mobile", "android", "ios"),
    "infrastructure": ("terraform", "k8s", "observability"),
    "growth": ("growth", "pricing", "support"),
}
_DOMAINS = tuple((prefix, team) for team, prefixes in _TEAM_DOMAINS.items() for prefix in prefixes)
"""(repository name prefix, owning team)."""
_COMPONENTS = (
    "api", "service", "web", "worker", "ui", "sdk", "lib", "cli", "jobs", "portal", "proxy",
    "admin", "events", "core", "tools",
)  # fmt: skip
_EXTRA_TOPICS = (
    "customer-facing", "internal-tool", "pci", "gdpr", "legacy", "microservice", "frontend",
    "backend", "library", "experimental",
)  # fmt: skip
_PEOPLE = (
    "alice", "bruno", "chen", "dara", "emeka", "fatima", "gwen", "hiro", "ines", "jonas", "kofi",
    "lena", "mateo", "nadia", "oskar", "priya", "quinn", "rosa", "sven", "tariq", "uma", "viktor",
    "wei", "ximena", "yusuf", "zoe",
)  # fmt: skip
_SECURITY_TEAM = "security"
_PRIORITIES = (("Urgent", 0.1), ("High", 0.3), ("Normal", 0.6))


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


def team_name(slug: str) -> str:
    return slug.replace("-", " ").title()


# --- small helpers --------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([item for item, _ in weighted], [w for _, w in weighted])[0]


def _sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def _cwe_tag(number: int) -> str:
    """CodeQL spells CWE tags zero-padded to three digits: `external/cwe/cwe-079`."""
    return f"external/cwe/cwe-{number:03d}"


def _user(login: str, user_id: int) -> Json:
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


# --- repositories ---------------------------------------------------------------------------------


@dataclass
class _Repo:
    json: Json
    simple: Json
    language: str
    team: str
    weight: float


def _repo_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    combos = [
        (f"{prefix}-{component}", team) for prefix, team in _DOMAINS for component in _COMPONENTS
    ]
    rng.shuffle(combos)
    names: list[tuple[str, str]] = []
    for round_ in itertools.count(1):
        for name, team in combos:
            if len(names) == count:
                return names
            names.append((name if round_ == 1 else f"{name}-{round_}", team))
    return names


def _repository(
    rng: random.Random, org: str, owner: Json, index: int, name: str, team: str, now: datetime
) -> _Repo:
    language = _pick(rng, LANGUAGES)
    archived = rng.random() < 0.05
    visibility = _pick(rng, (("private", 0.65), ("internal", 0.25), ("public", 0.10)))
    pushed_days = rng.uniform(200, 700) if archived else 365 * rng.random() ** 2
    pushed_at = now - timedelta(seconds=int(pushed_days * 86400) + 600)
    created_at = pushed_at - timedelta(days=rng.randint(30, 2000))
    topics = sorted({language, name.split("-")[0], *rng.sample(_EXTRA_TOPICS, rng.randint(0, 2))})
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
        "pushed_at": _iso(pushed_at),
        "created_at": _iso(created_at),
        "updated_at": _iso(pushed_at),
    }
    weight = 0.0 if rng.random() < 0.12 else min(rng.paretovariate(1.3), 40.0)
    if archived:
        weight *= 0.3
    return _Repo(json=full, simple=simple, language=language, team=team, weight=weight)


def _property_values(rng: random.Random, repo: _Repo) -> Json:
    topics = repo.json["topics"]
    priority = _pick(rng, _PRIORITIES)
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


def _teams(rng: random.Random, repos: Sequence[_Repo]) -> dict[str, list[tuple[str, str]]]:
    teams: dict[str, list[tuple[str, str]]] = {}
    for repo in repos:
        permission = _pick(rng, (("push", 0.6), ("maintain", 0.3), ("admin", 0.1)))
        teams.setdefault(repo.team, []).append((repo.json["full_name"], permission))
    teams[_SECURITY_TEAM] = [(repo.json["full_name"], "triage") for repo in repos]
    return dict(sorted(teams.items()))


# --- alerts ---------------------------------------------------------------------------------------


class _Alerts:
    """Builds alert JSON for one organization; users and rule objects are built once and shared."""

    def __init__(self, rng: random.Random, org: str, now: datetime) -> None:
        self.rng = rng
        self.clock = _Clock(rng, now)
        self.org = org
        self.users = [_user(login, 9_000 + i) for i, login in enumerate(_PEOPLE)]
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
            "security_severity_level": importer.security_severity_level(score),
        }, message

    def _path(self, language: str) -> tuple[str, list[str]]:
        rng, ext = self.rng, _EXTENSIONS[language]
        roll = rng.random()
        module, name = rng.choice(_MODULES), rng.choice(_FILES)
        if roll < 0.08:
            return f"test/{module}/{name}_test.{ext}", ["test"]
        if roll < 0.11:
            return f"generated/{module}/{name}_pb.{ext}", ["generated"]
        if roll < 0.14:
            return f"vendor/{module}/{name}.{ext}", ["library"]
        return f"src/{module}/{name}.{ext}", []

    def code(self, repo: _Repo, number: int, created: datetime) -> Json:
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
            reason = _pick(
                rng, (("false positive", 0.5), ("won't fix", 0.35), ("used in tests", 0.15))
            )
        else:
            reason = None
        line = rng.randint(3, 900)
        language = _CODEQL_LANGUAGE.get(repo.language, repo.language)
        return {
            "number": number,
            "created_at": _iso(created),
            "updated_at": _iso(closed or clock.after(created, rng.random() * 0.3)),
            "url": f"https://api.github.com/repos/{full_name}/code-scanning/alerts/{number}",
            "html_url": f"https://github.com/{full_name}/security/code-scanning/{number}",
            "instances_url": (
                f"https://api.github.com/repos/{full_name}/code-scanning/alerts/{number}/instances"
            ),
            "state": state,
            "fixed_at": _iso(closed) if state == "fixed" and closed else None,
            "dismissed_by": rng.choice(self.users) if state == "dismissed" else None,
            "dismissed_at": _iso(closed) if state == "dismissed" and closed else None,
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

    def _leaked(self, repo: _Repo) -> bool:
        """Secrets in public repositories leak far more often."""
        chance = 0.3 if repo.json["visibility"] == "public" else 0.02
        return self.rng.random() < chance

    def secret(self, repo: _Repo, number: int, created: datetime) -> Json:
        rng, clock = self.rng, self.clock
        secret_type, display, provider, slug, _ = SECRET_TYPES[
            bisect.bisect_right(self.secret_weights, rng.random() * self.secret_weights[-1])
        ]
        full_name = repo.json["full_name"]
        resolved = rng.random() < 0.45
        resolved_at = clock.after(created, rng.uniform(0.02, 0.9)) if resolved else None
        generic = provider is None
        if resolved:
            resolution = _pick(
                rng,
                (("false_positive", 0.45), ("used_in_tests", 0.3), ("wont_fix", 0.25))
                if generic
                else (("revoked", 0.5), ("false_positive", 0.15), ("wont_fix", 0.15),
                      ("used_in_tests", 0.2)),
            )  # fmt: skip
        else:
            resolution = None
        validity = "unknown" if generic else _pick(
            rng, (("active", 0.25), ("inactive", 0.4), ("unknown", 0.35))
        )  # fmt: skip
        bypassed = not generic and rng.random() < 0.08
        ext = _EXTENSIONS[repo.language]
        path = rng.choice((f"config/settings.{ext}", ".env.example", "deploy/values.yaml",
                           f"src/{rng.choice(_MODULES)}/{rng.choice(_FILES)}.{ext}"))  # fmt: skip
        commit = _sha(rng)
        blob = _sha(rng)
        return {
            "number": number,
            "created_at": _iso(created),
            "updated_at": _iso(resolved_at or created),
            "url": f"https://api.github.com/repos/{full_name}/secret-scanning/alerts/{number}",
            "html_url": f"https://github.com/{full_name}/security/secret-scanning/{number}",
            "locations_url": (
                f"https://api.github.com/repos/{full_name}/secret-scanning/alerts/{number}/locations"
            ),
            "state": "resolved" if resolved else "open",
            "resolution": resolution,
            "resolved_at": _iso(resolved_at) if resolved_at else None,
            "resolved_by": rng.choice(self.users) if resolved else None,
            "resolution_comment": None,
            "secret_type": secret_type,
            "secret_type_display_name": display,
            "provider": provider,
            "provider_slug": slug,
            "repository": repo.simple,
            "push_protection_bypassed_by": rng.choice(self.users) if bypassed else None,
            "push_protection_bypassed": bypassed,
            "push_protection_bypassed_at": _iso(created) if bypassed else None,
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


def _alerts(
    rng: random.Random, org: str, now: datetime, repos: Sequence[_Repo], count: int
) -> tuple[list[Json], list[Json]]:
    """Spread `count` alerts over the repositories by weight, about a quarter of them secrets."""
    weighted = [repo for repo in repos if repo.weight > 0] or list(repos)
    if not weighted or count <= 0:
        return [], []
    builder = _Alerts(rng, org, now)
    owners = rng.choices(weighted, [max(r.weight, 1e-6) for r in weighted], k=count)
    per_repo: dict[str, tuple[_Repo, list[bool]]] = {}
    for repo in owners:
        per_repo.setdefault(repo.json["full_name"], (repo, []))[1].append(rng.random() < 0.25)
    code: list[Json] = []
    secret: list[Json] = []
    for name in sorted(per_repo):
        repo, kinds = per_repo[name]
        for is_secret, target in ((False, code), (True, secret)):
            ages = sorted((builder.clock.age() for k in kinds if k is is_secret), reverse=True)
            make = builder.secret if is_secret else builder.code
            for number, age in enumerate(ages, start=1):
                target.append(make(repo, number, builder.clock.now - age))
    return code, secret


# --- public API -----------------------------------------------------------------------------------


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
    owner = {**_user(org, 5_000), "type": "Organization"}
    repos = [
        _repository(rng, org, owner, index, name, team, moment)
        for index, (name, team) in enumerate(_repo_names(rng, repositories))
    ]
    code, secret = _alerts(rng, org, moment, repos, alerts)
    return OrgData(
        org=org,
        now=moment,
        repositories=[repo.json for repo in repos],
        property_values=[_property_values(rng, repo) for repo in repos],
        teams=_teams(rng, repos),
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


async def load(engine: AsyncEngine, data: OrgData) -> importer.ImportReport:
    """Import the organization through the importer, and set its teams, in one transaction."""
    batch = importer.parse_documents(documents(data), now=data.now)
    async with engine.begin() as conn:
        report = await importer.write(conn, batch)
        for slug, repos in data.teams.items():
            await repository_store.set_team_repositories(conn, slug, team_name(slug), dict(repos))
    return report
