"""What the demo organization is made of: languages, CodeQL rules, secret types, teams, people.

Data only, so the generator reads as logic and the catalogue can grow without touching it.
"""

from __future__ import annotations

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
CODEQL_LANGUAGE = {"typescript": "javascript-typescript", "javascript": "javascript-typescript"}

EXTENSIONS = {
    "javascript": "js",
    "typescript": "ts",
    "python": "py",
    "java": "java",
    "csharp": "cs",
    "go": "go",
    "ruby": "rb",
}
MODULES = ("api", "auth", "billing", "handlers", "lib", "models", "routes", "services", "utils")
FILES = ("client", "config", "export", "handler", "index", "search", "session", "upload", "user")

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
DOMAINS = tuple((prefix, team) for team, prefixes in _TEAM_DOMAINS.items() for prefix in prefixes)
"""(repository name prefix, owning team)."""
COMPONENTS = (
    "api", "service", "web", "worker", "ui", "sdk", "lib", "cli", "jobs", "portal", "proxy",
    "admin", "events", "core", "tools",
)  # fmt: skip
EXTRA_TOPICS = (
    "customer-facing", "internal-tool", "pci", "gdpr", "legacy", "microservice", "frontend",
    "backend", "library", "experimental",
)  # fmt: skip
PEOPLE = (
    "alice", "bruno", "chen", "dara", "emeka", "fatima", "gwen", "hiro", "ines", "jonas", "kofi",
    "lena", "mateo", "nadia", "oskar", "priya", "quinn", "rosa", "sven", "tariq", "uma", "viktor",
    "wei", "ximena", "yusuf", "zoe",
)  # fmt: skip
SECURITY_TEAM = "security"
PRIORITIES = (("Urgent", 0.1), ("High", 0.3), ("Normal", 0.6))
