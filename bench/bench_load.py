"""A wave's first hour under load (issue 7): 500 citizens answering at once through their
personal links while staff watch the wave's live counts, against gunicorn on PostgreSQL.

Targets (issue 7, this 2-core machine): no errors, every answer stored exactly once, p95
per page under 200 ms, and the throughput in answered pages per second recorded.

Set-up (not timed): a panel with contact addresses, the tests' sample questionnaire and a
wave opened as the scheduler opens it (``bench_answering.open_bench_wave``), three staff
accounts; then gunicorn as in production, with ``gunicorn.conf.py``'s workers (one sync
worker per core unless ``WEB_CONCURRENCY``, ``GUNICORN_WORKER_CLASS`` or
``GUNICORN_THREADS`` say otherwise), its workers timed per request by
``bench/timed_wsgi.py``.

The scenario: ``CITIZENS`` citizens, one thread each across ``PROCESSES`` client processes
(so the clients do not share one GIL), open their links at moments spread over ``RAMP``
seconds (the invitation mail read at different times) and answer the whole questionnaire
as a browser without JavaScript does: before each form they send they pause ``THINK``
seconds on average (0.5-1.5 times it), and they follow each redirect at once. The default,
30 s, is a brisk reader: the demo questionnaire tells citizens it takes about 8 minutes for
5 pages. ``BENCH_LOAD_THINK=10`` is the stress test (twice what two cores serve, see
bench/RESULTS.md). Meanwhile
``STAFF`` staff members, logged in through the login form, reload the wave's page (its live
counts: invited, started, completed per stratum) every ``STAFF_INTERVAL`` seconds.

Figures: per kind of request, the latency the clients saw and the server time in the
workers (count, median, p95, p99, max); the answered pages per second (page POSTs that
saved and moved on) on average and in the busiest 10 seconds; errors; and the database
counted afterwards: one response per invitation, each completed once, every answer once.

Run with ``.venv/bin/python -m bench.bench_load`` (PostgreSQL only; ``BENCH_POSTGRES`` and
``BENCH_POSTGRES_DATABASE`` choose the server and database). ``BENCH_LOAD_CITIZENS``,
``BENCH_LOAD_THINK``, ``BENCH_LOAD_RAMP`` and ``WEB_CONCURRENCY`` change the scenario.
"""

from __future__ import annotations

import multiprocessing
import os
import runpy
import time

import numpy as np
from sqlalchemy import func, select

from bench.bench_answering import check, integrity, open_bench_wave, percentiles
from bench.common import bench_app, databases
from bench.load_clients import Record, run_citizens, watch_wave
from bench.servers import ROOT, served_by_gunicorn
from extensions import db

CITIZENS = int(os.environ.get("BENCH_LOAD_CITIZENS", "500"))
#: Mean pause (seconds) before each form a citizen sends.
THINK = float(os.environ.get("BENCH_LOAD_THINK", "30"))
#: Citizens open their links at moments spread evenly over this many seconds.
RAMP = float(os.environ.get("BENCH_LOAD_RAMP", "30"))
PROCESSES = 2
STAFF = 3
STAFF_INTERVAL = 3.0
#: gunicorn.conf.py's workers, as in production (it reads the same environment variables).
PRODUCTION = runpy.run_path(os.path.join(ROOT, "gunicorn.conf.py"))
WORKERS = int(PRODUCTION["workers"])
WORKER_CLASS = str(PRODUCTION["worker_class"])
THREADS = int(PRODUCTION["threads"])
P95_TARGET = 0.200
STAFF_PASSWORD = "bench staff password"  # noqa: S105  (a throwaway account of the benchmark)


def staff_accounts() -> list[tuple[str, str]]:
    from panel.auth import hash_password
    from panel.staff.models import Role, StaffUser

    accounts = [(f"bench-staff{i}@region.example.dk", STAFF_PASSWORD) for i in range(STAFF)]
    for email, password in accounts:
        hashed = hash_password(password)
        db.session.add(StaffUser(email=email, name=email, role=Role.STAFF, password_hash=hashed))
    db.session.commit()
    return accounts


def latest_wave_id() -> int:
    from surveys.waves.models import Wave

    wave_id = int(db.session.scalar(select(func.max(Wave.id))) or 0)
    db.session.remove()
    return wave_id


def run(url: str) -> dict:
    with bench_app(url) as app:
        tokens = open_bench_wave(respondents=CITIZENS, panel_size=max(3_000, 3 * CITIZENS))
        with app.app_context():
            wave_id = latest_wave_id()
            accounts = staff_accounts()
        with served_by_gunicorn(url, WORKERS, WORKER_CLASS, THREADS) as server:
            stop, staff, threads = watch_wave(server.port, accounts, wave_id, STAFF_INTERVAL)
            server.clear()  # the staff logins are not part of the figures
            shares = [tokens[i::PROCESSES] for i in range(PROCESSES)]
            start = time.time()
            with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
                jobs = [
                    pool.apply_async(run_citizens, (server.port, share, THINK, RAMP, seed))
                    for seed, share in enumerate(shares)
                ]
                outcomes = [job.get() for job in jobs]
            wall = time.time() - start
            stop.set()
            for thread in threads:
                thread.join()
            samples = server.samples()
        with app.app_context():
            checks = integrity()
    records = [r for records, _ in outcomes for r in records]
    errors = [e for _, errors in outcomes for e in errors]
    errors += [e for member in staff for e in member.errors]
    staff_records = [r for member in staff for r in member.records]
    return {
        "records": records,
        "staff": staff_records,
        "samples": samples,
        "errors": errors,
        "checks": checks,
        "start": start,
        "wall": wall,
    }


def page_rate(records: list[Record], start: float) -> tuple[int, float]:
    """Answered pages (page POSTs that saved and moved on, answered with a redirect) and the
    most in any 10 seconds, per second."""
    saved = [end for kind, _, end, status in records if kind == "POST page" and status == 302]
    ends = np.array(saved) - start
    if not len(ends):
        return 0, 0.0
    counts = np.bincount((ends // 10).astype(int))
    return len(ends), float(counts.max()) / 10


def report(result: dict) -> None:
    records, samples = result["records"], result["samples"]
    wall = result["wall"]
    print(
        f"\nPostgreSQL, gunicorn {WORKERS} {WORKER_CLASS} workers x {THREADS} threads: "
        f"{CITIZENS} citizens (links opened over {RAMP:g} s, ~{THINK:g} s before each form), "
        f"{STAFF} staff reloading the wave page "
        f"every ~{STAFF_INTERVAL:g} s; {wall:.0f} s wall, {len(records) / wall:.0f} req/s"
    )
    print(f"{'ms':<28} {'count':>6} {'median':>8} {'p95':>8} {'p99':>8} {'max':>8}")
    for kind in sorted({k for k, _, _, _ in records}):
        print(f"{'client ' + kind:<28} {percentiles([s for k, s, _, _ in records if k == kind])}")
    print(f"{'client, every citizen request':<28} {percentiles([s for _, s, _, _ in records])}")
    if result["staff"]:
        print(
            f"{'client, staff wave page':<28} {percentiles([s for _, s, _, _ in result['staff']])}"
        )
    for kind in sorted({k for k, _ in samples}):
        print(f"{'server ' + kind:<28} {percentiles([s for k, s in samples if k == kind])}")
    print(f"{'server, every request':<28} {percentiles([s for _, s in samples])}")
    pages = [s for k, s, _, _ in records if k in ("GET page", "POST page")]
    p95 = float(np.percentile(pages, 95)) if pages else float("nan")
    verdict = "met" if p95 < P95_TARGET else "MISSED"
    print(f"client p95 per page (GET and POST) {p95 * 1000:.1f} ms (target < 200 ms: {verdict})")
    answered, busiest = page_rate(records, result["start"])
    print(
        f"answered pages: {answered}, {answered / wall:.1f} per second on average, "
        f"{busiest:.1f} per second in the busiest 10 s"
    )
    print(f"errors: {len(result['errors'])}")
    for error in result["errors"][:10]:
        print(f"  {error}")
    print(f"check ({CITIZENS} respondents): {check(result['checks'], CITIZENS)}")


def main() -> None:
    url = dict(databases()).get("PostgreSQL")
    if url is None:
        print("bench_load runs on PostgreSQL only: skipped (BENCH_SKIP_POSTGRES=1)")
        return
    print(f"PostgreSQL: {CITIZENS} citizens answering under gunicorn ...", flush=True)
    report(run(url))


if __name__ == "__main__":
    main()
