"""Predefined campaign templates: the most common selections, grouped Code / Secrets.

Code templates carry `is:open autofilter:true` as GitHub's do: a campaign asks developers to fix
application code, not tests or vendored libraries.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.core.models import AlertKind

CODE_BASE = "is:open autofilter:true"


class Template(BaseModel):
    model_config = ConfigDict(frozen=True)

    slug: str
    name: str
    kind: AlertKind
    description: str
    query: str


def _code(slug: str, name: str, description: str, terms: str) -> Template:
    return Template(
        slug=slug,
        name=name,
        kind=AlertKind.CODE,
        description=description,
        query=f"{CODE_BASE} {terms}",
    )


def _secret(slug: str, name: str, description: str, terms: str) -> Template:
    return Template(
        slug=slug, name=name, kind=AlertKind.SECRET, description=description, query=terms
    )


TEMPLATES: tuple[Template, ...] = (
    _code(
        "critical",
        "Critical security alerts",
        "Open code alerts of critical security severity, in application code.",
        "severity:critical",
    ),
    _code(
        "critical-high",
        "Critical and high severity",
        "Open code alerts of critical or high security severity.",
        "severity:critical,high",
    ),
    _code(
        "xss",
        "Cross-site scripting (CWE-79)",
        "Untrusted input rendered into pages without escaping.",
        "tag:external/cwe/cwe-079",
    ),
    _code(
        "sql-injection",
        "SQL injection (CWE-89)",
        "Queries built from user input instead of parameters.",
        "tag:external/cwe/cwe-089",
    ),
    _code(
        "log-injection",
        "Log injection (CWE-117)",
        "User input written to logs without neutralizing line breaks.",
        "tag:external/cwe/cwe-117",
    ),
    _code(
        "path-traversal",
        "Path traversal (CWE-22)",
        "File paths built from user input that can escape their directory.",
        "tag:external/cwe/cwe-022",
    ),
    _code(
        "command-injection",
        "Command injection (CWE-78)",
        "Shell commands built from user input.",
        "tag:external/cwe/cwe-078",
    ),
    _code(
        "ssrf",
        "Server-side request forgery (CWE-918)",
        "Outgoing requests whose target a user controls.",
        "tag:external/cwe/cwe-918",
    ),
    _code(
        "hardcoded-credentials",
        "Hard-coded credentials (CWE-798)",
        "Passwords and keys written into the source.",
        "tag:external/cwe/cwe-798",
    ),
    _secret(
        "active-secrets",
        "Active secrets",
        "Open secret alerts whose secret the provider still accepts.",
        "is:open validity:active",
    ),
    _secret(
        "publicly-leaked",
        "Publicly leaked secrets",
        "Open secrets also found in public places: revoke them first.",
        "is:open is:publicly-leaked",
    ),
    _secret(
        "multi-repository",
        "Secrets in several repositories",
        "Open secrets leaked in more than one repository.",
        "is:open is:multi-repository",
    ),
    _secret(
        "aws",
        "AWS credentials",
        "Open Amazon Web Services keys and tokens.",
        "is:open provider:amazon_aws",
    ),
    _secret(
        "azure",
        "Azure credentials",
        "Open Microsoft Azure keys, connection strings and tokens.",
        "is:open provider:azure",
    ),
    _secret(
        "github-tokens",
        "GitHub tokens",
        "Open GitHub personal access, OAuth and app tokens.",
        "is:open provider:github",
    ),
    _secret(
        "push-protection-bypassed",
        "Push protection bypassed",
        "Open secrets someone pushed past push protection.",
        "is:open bypassed:true",
    ),
)

BY_SLUG = {template.slug: template for template in TEMPLATES}


def find(name: str) -> Template | None:
    """A template by slug or by name, case-insensitively."""
    wanted = name.strip().lower()
    return BY_SLUG.get(wanted) or next(
        (template for template in TEMPLATES if template.name.lower() == wanted), None
    )


def by_kind(kind: AlertKind) -> list[Template]:
    return [template for template in TEMPLATES if template.kind is kind]
