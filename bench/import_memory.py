"""Peak memory and wall time of `campaignbot import` on a ~100 MB org code-scanning alert list.

    python -m bench.import_memory [--mb 100] [--keep DIR]

Generates an organization code-scanning alert list (the shape `tests/fakes/github_data.py` builds,
as `GET /orgs/{org}/code-scanning/alerts` returns it), imports it with `python -m bot import` in a
child process against a fresh SQLite database, and prints the child's peak RSS (`ru_maxrss`, from
`wait4`) and its wall time. A second run imports the same file again (updates).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.fakes.github_data import GitHubData

RULES = ["js/xss", "py/sql-injection", "java/path-injection", "go/unsafe-quoting", "js/redos"]


class _Data(GitHubData):
    @property
    def url(self) -> str:
        return "https://api.github.com"


def generate(path: Path, megabytes: float) -> int:
    """Write the alert list; return how many alerts it holds."""
    data = _Data(org="acme", clock=lambda: datetime(2026, 11, 2, 9, tzinfo=UTC))
    repos = [f"service-{i:03}" for i in range(200)]
    for name in repos:
        data.add_repo(name, topics=["team-a"] if hash(name) % 2 else [])
    target = int(megabytes * 1024 * 1024)
    written = 0
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        while written < target:
            repo = repos[count % len(repos)]
            alert = data.add_code_alert(
                repo,
                rule_id=RULES[count % len(RULES)],
                state=("open", "fixed", "dismissed")[count % 3],
                path=f"src/module_{count % 97}/file_{count}.py",
                start_line=count % 500 + 1,
                assignees=["octocat"] if count % 7 == 0 else (),
            )
            text = json.dumps(alert)
            out.write(("," if count else "") + text)
            written += len(text) + 1
            count += 1
    with path.open("a", encoding="utf-8") as out:
        out.write("]")
    return count


def run_import(path: Path, db: Path) -> tuple[float, int, str]:
    """Import in a child process; (seconds, peak RSS in KiB, its output)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "CAMPAIGN_ADMINS": "U0MANAGER",
    }
    start = time.perf_counter()
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bot", "import", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # The child's own maximum resident set size, from the kernel when it is reaped (KiB).
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    peak = usage.ru_maxrss
    output = child.stdout.read() if child.stdout else ""
    seconds = time.perf_counter() - start
    if child.returncode:
        raise SystemExit(f"import failed ({child.returncode}):\n{output}")
    return seconds, peak, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=100.0)
    parser.add_argument("--keep", type=Path, help="write the file and database here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        path = where / "code-alerts.json"
        if not path.exists():
            count = generate(path, args.mb)
            print(f"generated {count:,} alerts, {path.stat().st_size / 2**20:.1f} MiB")
        db = where / "import.db"
        db.unlink(missing_ok=True)
        for label in ("first import", "re-import"):
            seconds, peak, output = run_import(path, db)
            print(f"{label}: {seconds:.1f} s, peak RSS {peak / 1024:.0f} MiB")
            print("  " + output.strip().replace("\n", "\n  "))


if __name__ == "__main__":
    main()
