"""Peak memory and wall time of `campaignbot import` on a ~100 MB code-scanning alert list.

    python -m bench.import_memory [--mb 100] [--keep DIR]

Writes the demo organization's code-scanning alert list (`bench.org_files`, as
`GET /orgs/{org}/code-scanning/alerts` returns it) sized to `--mb`, imports it with the command
line (`python -m bench.import_memory --child …` runs `campaignbot import` and then reports its
own `VmHWM`) in a fresh process against a fresh SQLite database, and prints the child's peak RSS
and wall time. A second run imports the same file again (updates).

The peak is read from `/proc/self/status` (`VmHWM`) inside the child: `ru_maxrss` from `wait4`
would report at least the parent's size at the fork, which the child inherits.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.org_files import write_org

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CODE_ALERT_BYTES = 1_880
"""About what one demo code alert takes in the file."""
PEAK = "VmHWM-KiB:"


def generate(directory: Path, megabytes: float) -> tuple[Path, int]:
    """The code alert list of a demo organization sized to about `megabytes`; (path, alerts)."""
    code = int(megabytes * 2**20 / CODE_ALERT_BYTES)
    org = write_org(directory, now=NOW, alerts=int(code / 0.75), repositories=2_000)
    return org.code_alerts, org.code


def _vm_hwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def child(arguments: list[str]) -> None:
    """`campaignbot ARGUMENTS`, then this process's peak RSS on stderr (last line)."""
    from bot.cli.main import main

    sys.argv = ["campaignbot", *arguments]
    try:
        main()
    finally:
        print(f"{PEAK} {_vm_hwm_kib()}", file=sys.stderr, flush=True)


def run_import(path: Path, db: Path) -> tuple[float, int, str]:
    """Import in a child process; (seconds, peak RSS in KiB, its output)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "CAMPAIGN_ADMINS": "U0MANAGER",
    }
    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.import_memory", "--child", "import", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    peaks = [line for line in done.stderr.splitlines() if line.startswith(PEAK)]
    if done.returncode or not peaks:
        raise SystemExit(f"import failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return seconds, int(peaks[-1].split()[1]), done.stdout


def measure(megabytes: float, where: Path) -> list[tuple[str, float, int, str]]:
    """(label, seconds, peak KiB, output) of a first import and a re-import of the file."""
    path = where / "code-scanning-alerts.json"
    if not path.exists():
        generate(where, megabytes)
    db = where / "import.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return [(label, *run_import(path, db)) for label in ("first import", "re-import")]


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=100.0)
    parser.add_argument("--keep", type=Path, help="write the file and database here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        for label, seconds, peak, output in measure(args.mb, where):
            size = (where / "code-scanning-alerts.json").stat().st_size / 2**20
            print(f"{label} of {size:.0f} MiB: {seconds:.1f} s, peak RSS {peak / 1024:.0f} MiB")
            print("  " + output.strip().replace("\n", "\n  "))


if __name__ == "__main__":
    main()
