"""``flask demo`` as a newcomer runs it (issue 17: under 10 s), on SQLite and PostgreSQL.

``make demo`` migrates an empty database, builds the demo panel (2,400 members, population
figures, staff accounts, the demo questionnaire and its waves with synthetic answers, the
closed waves counted and weighted) and then serves it. Each command runs here as its own
process, as ``make demo`` runs it, on a fresh database each time, so the figures include
what a newcomer waits for: Python starting, the app's imports and the factory. The app
alone starting (``flask routes``) is printed too, as part of every command's time.

Run with ``.venv/bin/python -m bench.bench_demo`` (``BENCH_POSTGRES_DATABASE`` chooses the
PostgreSQL database, ``BENCH_SKIP_POSTGRES=1`` leaves it out).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench.common import databases
from bench.servers import ROOT

REPEAT = 3
FLASK = [sys.executable, "-m", "flask", "--app", "app"]


def timed(command: list[str], url: str) -> float:
    """Seconds one ``flask`` command takes as its own process on the database at ``url``."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-demo-secret",
        "MAIL_FILE_DIR": tempfile.mkdtemp(prefix="borgerpanel-bench-demo-mail-"),
    }
    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603  (our own interpreter and fixed arguments)
        [*FLASK, *command], cwd=ROOT, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"flask {' '.join(command)} failed:\n{done.stderr}")
    return seconds


#: What ``make demo`` runs before it serves, and the app starting alone.
STEPS = {"db upgrade": ["db", "upgrade"], "app start (routes)": ["routes"], "demo": ["demo"]}


def main() -> None:
    print(f"flask demo on a fresh database, each command its own process; {REPEAT} runs")
    figures: dict[tuple[str, str], list[float]] = {}
    for _ in range(REPEAT):
        for name, url in databases():  # a new SQLite file, PostgreSQL emptied
            for step, command in STEPS.items():
                figures.setdefault((name, step), []).append(timed(command, url))
    header = f"{'database':<12} {'step':<22} {'best':>8} {'median':>8}"
    print(header)
    print("-" * len(header))
    for (name, step), seconds in figures.items():
        print(f"{name:<12} {step:<22} {min(seconds):>7.2f}s {statistics.median(seconds):>7.2f}s")


if __name__ == "__main__":
    main()
