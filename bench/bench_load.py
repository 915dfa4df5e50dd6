"""Citizens answering under load against gunicorn on PostgreSQL, as in production: how many
answered pages a second the two cores serve, what a citizen waits, and what the server's
CPU spends per answered page.

Targets (issue 17, this 2-core machine): under 15 ms of server CPU per answered page, and
200 citizens answering back to back served at 60 or more answered pages a second with the
p95 per page under 1 s. (Issue 7, the ``reading`` scenario: no errors, every answer stored
exactly once, p95 per page under 200 ms.)

Set-up (not timed): a panel with contact addresses, the tests' sample questionnaire and a
wave opened as the scheduler opens it (``bench_answering.open_bench_wave``); then gunicorn
with ``gunicorn.conf.py``'s workers (one sync worker per core unless ``WEB_CONCURRENCY``,
``GUNICORN_WORKER_CLASS`` or ``GUNICORN_THREADS`` say otherwise), each worker recording
every request (``bench/timed_wsgi.py``). A few questionnaires are answered one at a time
first, so each worker has compiled its templates and loaded the questionnaire, as a server
that has been up a while has; they are not in the figures.

Scenarios (``BENCH_LOAD_SCENARIO``):

- ``back-to-back`` (the default): ``CITIZENS`` (200) citizens start at once and each answers
  ``ROUNDS`` (5) questionnaires one after another through fresh personal links, sending
  each request as soon as the last one came back: no pause before a form. A closed loop,
  so the server is saturated throughout. The clients are threads with plain sockets in one
  process (``bench/quick_clients.py``: half the CPU of ``http.client``), because they share
  the cores with the server; their CPU time is printed.
- ``reading``: a wave's first hour. ``CITIZENS`` (500) citizens, one thread each across two
  client processes (``bench/load_clients.py``), open their links at moments spread over
  ``RAMP`` (30) seconds and answer page by page as a browser without JavaScript does:
  before each form they pause ``THINK`` seconds on average (0.5-1.5 times it; default 30,
  a brisk reader; ``BENCH_LOAD_THINK=10`` is the stress test); they follow each redirect at
  once. Meanwhile ``STAFF`` (3) staff members, logged in through the login form, reload the
  wave's page with its live counts every ``STAFF_INTERVAL`` seconds.

Figures:

- *answered pages*: page POSTs that saved and moved on (answered with a redirect; 3 per
  questionnaire), per second over the whole load (from its first request to its last
  answer) and in the busiest 10 seconds;
- *per page, as the client saw it*: the latency of the question pages' GETs and POSTs
  (count, median, p95, p99, max), and every kind of request apart;
- *per request, in the workers*: server time, the serving thread's CPU time and the SQL
  statements sent, per kind of request (a page POST that saved and moved on apart from
  one shown again for a revealed question or an error);
- *CPU per answered page* (the issue's figure): the worker's CPU time of the page POST
  that saved and moved on plus that of the GET of the page it redirects to (the next
  question page, or the end page after the last), inside the app;
- *where the CPU went*, per answered page: the gunicorn workers in all (every request,
  introductions and end pages included, and gunicorn's own work around the app), the
  PostgreSQL backends of the benchmark's database, the clients, and the machine in all
  (anything else running on it included); with the 1-minute load average before, the
  share of the machine other work took (the machine is shared), and the answered pages a
  second the cores would serve at the measured cost with nothing else on them;
- *Little's law* for the back-to-back loop: the citizens always waiting, divided by the
  requests served a second, is the time each request takes; set beside the measured mean;
- *stored once*: the database counted afterwards: one response per invitation, each
  completed once, every answer once.

Run with ``.venv/bin/python -m bench.bench_load`` (PostgreSQL only; ``BENCH_POSTGRES`` and
``BENCH_POSTGRES_DATABASE`` choose the server and database, ``BENCH_GUNICORN_PORT`` the
port). ``BENCH_LOAD_CITIZENS``, ``BENCH_LOAD_ROUNDS``, ``BENCH_LOAD_THINK``,
``BENCH_LOAD_RAMP``, ``BENCH_LOAD_STAFF`` and ``WEB_CONCURRENCY`` change the scenario;
``BENCH_LOAD_PROFILE=1`` profiles every request in the workers (sync workers only) and
prints the top of each kind's profile (the figures are then slower).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import pstats
import resource
import runpy
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from glob import glob
from io import StringIO
from typing import Any

import numpy as np
from sqlalchemy import func, select

from bench.bench_answering import check, integrity, open_bench_wave, percentiles
from bench.common import bench_app, databases
from bench.cpu_use import CpuMeter
from bench.load_clients import Record, run_citizens, watch_wave
from bench.quick_clients import run_back_to_back
from bench.servers import ROOT, ServerSample, served_by_gunicorn
from extensions import db

SCENARIO = os.environ.get("BENCH_LOAD_SCENARIO", "back-to-back")
if SCENARIO not in ("back-to-back", "reading"):
    raise SystemExit(f"BENCH_LOAD_SCENARIO: back-to-back or reading, not {SCENARIO!r}")
BACK_TO_BACK = SCENARIO == "back-to-back"
CITIZENS = int(os.environ.get("BENCH_LOAD_CITIZENS", "200" if BACK_TO_BACK else "500"))
#: Questionnaires each citizen answers, one after another (back to back).
ROUNDS = int(os.environ.get("BENCH_LOAD_ROUNDS", "5" if BACK_TO_BACK else "1"))
#: Mean pause (seconds) before each form a citizen sends (reading).
THINK = float(os.environ.get("BENCH_LOAD_THINK", "0" if BACK_TO_BACK else "30"))
#: Citizens open their links at moments spread evenly over this many seconds (reading).
RAMP = float(os.environ.get("BENCH_LOAD_RAMP", "0" if BACK_TO_BACK else "30"))
PROCESSES = 1 if BACK_TO_BACK else 2
STAFF = int(os.environ.get("BENCH_LOAD_STAFF", "0" if BACK_TO_BACK else "3"))
STAFF_INTERVAL = 3.0
PROFILE = os.environ.get("BENCH_LOAD_PROFILE") == "1"
#: Questionnaires answered one at a time before the load, not measured.
WARM_UP = 10
#: gunicorn.conf.py's workers, as in production (it reads the same environment variables).
PRODUCTION = runpy.run_path(os.path.join(ROOT, "gunicorn.conf.py"))
WORKERS = int(PRODUCTION["workers"])
WORKER_CLASS = str(PRODUCTION["worker_class"])
THREADS = int(PRODUCTION["threads"])
P95_TARGET = 1.0 if BACK_TO_BACK else 0.200
PAGES_TARGET = 60.0
CPU_TARGET = 0.015
#: Requests per questionnaire: intro GET and POST, 3 pages' GET and POST, 2 pages shown
#: again (a revealed question), the end page.
REQUESTS_PER_QUESTIONNAIRE = 11
ANSWERED_PER_QUESTIONNAIRE = 3
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


def reading_citizens(
    port: int, tokens: list[str], seed: int
) -> tuple[list[Record], list[str], float]:
    """``run_citizens`` (the reading scenario) with this client process's CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    records, errors = run_citizens(port, tokens, THINK, RAMP, seed)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return records, errors, cpu


def client_jobs(port: int, tokens: list[str]) -> list[tuple[Any, tuple[Any, ...]]]:
    """(function, arguments) per client process."""
    if BACK_TO_BACK:
        shares = [tokens[i::CITIZENS] for i in range(CITIZENS)]  # ROUNDS links per citizen
        return [(run_back_to_back, (port, shares[i::PROCESSES])) for i in range(PROCESSES)]
    return [(reading_citizens, (port, tokens[i::PROCESSES], i)) for i in range(PROCESSES)]


def run(url: str) -> dict[str, Any]:
    respondents = CITIZENS * ROUNDS
    with bench_app(url) as app:
        tokens = open_bench_wave(
            respondents=respondents + WARM_UP, panel_size=max(3_000, 3 * respondents)
        )
        warm_up, tokens = tokens[:WARM_UP], tokens[WARM_UP:]
        with app.app_context():
            wave_id = latest_wave_id()
            accounts = staff_accounts()
        profile_dir = tempfile.mkdtemp(prefix="borgerpanel-profile-") if PROFILE else ""
        with served_by_gunicorn(url, WORKERS, WORKER_CLASS, THREADS, profile_dir) as server:
            run_back_to_back(server.port, [[token] for token in warm_up[: WARM_UP // 2]])
            run_back_to_back(server.port, [warm_up[WARM_UP // 2 :]])
            stop, staff, threads = watch_wave(server.port, accounts, wave_id, STAFF_INTERVAL)
            for path in glob(os.path.join(profile_dir, "*.prof")):
                os.remove(path)
            meter = CpuMeter(url, server.processes)
            load_average = os.getloadavg()[0]
            server.clear()  # the warm-up and the staff logins are not part of the figures
            meter.start()
            start = time.time()
            with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
                jobs = [pool.apply_async(f, args) for f, args in client_jobs(server.port, tokens)]
                outcomes = [job.get() for job in jobs]
            wall = time.time() - start
            cpu = meter.stop()
            stop.set()
            for thread in threads:
                thread.join()
            samples = server.records()
        with app.app_context():
            checks = integrity()
    cpu["clients"] = sum(c for _, _, c in outcomes)
    errors = [e for _, errors, _ in outcomes for e in errors]
    errors += [e for member in staff for e in member.errors]
    records = [r for records, _, _ in outcomes for r in records]
    # the load itself: from its first request to its last answer (the client processes'
    # start-up is left out); the CPU was metered over all of it, start-up included
    first = min((end - seconds for _, seconds, end, _ in records), default=start)
    last = max((end for _, _, end, _ in records), default=start + wall)
    return {
        "records": records,
        "staff": [r for member in staff for r in member.records],
        "samples": samples,
        "errors": errors,
        "checks": checks,
        "start": first,
        "wall": last - first,
        "metered": wall,
        "cpu": cpu,
        "load average": load_average,
        "profiles": profiles(profile_dir) if PROFILE else "",
    }


def profiles(directory: str, top: int = 30) -> str:
    """The top of each kind's profile (CPU time), summed over the workers."""
    out = StringIO()
    kinds = sorted({os.path.basename(p).split(".", 1)[1] for p in glob(f"{directory}/*.prof")})
    for kind in kinds:
        stats = pstats.Stats(*glob(os.path.join(directory, f"*.{kind}")), stream=out)
        out.write(f"\n--- {kind.removesuffix('.prof').replace('_', ' ')} ---\n")
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


# --- figures -------------------------------------------------------------------------------


def server_kind(sample: ServerSample) -> str:
    """A page POST that saved and moved on (302) apart from one shown again (200)."""
    if sample.kind == "POST page":
        return "POST page, saved" if sample.status == "302" else "POST page, shown again"
    return sample.kind


def answered_page_pairs(samples: Iterable[ServerSample]) -> list[tuple[ServerSample, ServerSample]]:
    """Each page POST that saved and moved on with the GET its redirect led to: the same
    citizen's next request (their requests follow one another)."""
    by_link: dict[str, list[ServerSample]] = defaultdict(list)
    for sample in samples:
        if sample.path.startswith("/a/"):
            by_link[sample.path.split("/")[2]].append(sample)
    pairs = []
    for requests in by_link.values():
        requests.sort(key=lambda s: s.end)
        for post, following in itertools.pairwise(requests):
            if server_kind(post) == "POST page, saved" and following.kind.startswith("GET"):
                pairs.append((post, following))
    return pairs


def page_rate(records: list[Record], start: float) -> tuple[int, float, float]:
    """Answered pages (page POSTs that saved and moved on, answered with a redirect), and
    per second from the load's start to the last of them and in the busiest 10 seconds."""
    saved = [end for kind, _, end, status in records if kind == "POST page" and status == 302]
    ends = np.array(saved) - start
    if not len(ends):
        return 0, 0.0, 0.0
    counts = np.bincount((ends // 10).astype(int))
    return len(ends), len(ends) / float(ends.max()), float(counts.max()) / 10


def milliseconds(values: Iterable[float]) -> str:
    """Mean, median and p95 in ms."""
    ms = np.array(list(values)) * 1000
    p50, p95 = np.percentile(ms, [50, 95])
    return f"mean {ms.mean():.1f} ms, median {p50:.1f} ms, p95 {p95:.1f} ms"


def scenario_line(result: dict[str, Any]) -> str:
    wall = result["wall"]
    shape = f"{WORKERS} {WORKER_CLASS} workers" + (f" x {THREADS} threads" if THREADS > 1 else "")
    if BACK_TO_BACK:
        who = (
            f"{CITIZENS} citizens answering back to back ({ROUNDS} questionnaires each, no "
            f"pause, {len(result['records'])} requests)"
        )
    else:
        who = (
            f"{CITIZENS} citizens (links opened over {RAMP:g} s, ~{THINK:g} s before each "
            f"form), {STAFF} staff reloading the wave page every ~{STAFF_INTERVAL:g} s"
        )
    return (
        f"\nPostgreSQL, gunicorn {shape}: {who}; {wall:.0f} s wall, "
        f"{len(result['records']) / wall:.0f} req/s; 1-minute load average before "
        f"{result['load average']:.2f}"
    )


def report_latency(result: dict[str, Any]) -> None:
    records, samples = result["records"], result["samples"]
    print(f"{'ms':<34} {'count':>6} {'median':>8} {'p95':>8} {'p99':>8} {'max':>8}")
    for kind in sorted({k for k, _, _, _ in records}):
        print(f"{'client ' + kind:<34} {percentiles([s for k, s, _, _ in records if k == kind])}")
    print(f"{'client, every citizen request':<34} {percentiles([s for _, s, _, _ in records])}")
    if result["staff"]:
        staff = [s for _, s, _, _ in result["staff"]]
        print(f"{'client, staff wave page':<34} {percentiles(staff)}")
    kinds = sorted({server_kind(s) for s in samples})
    for kind in kinds:
        times = [s.seconds for s in samples if server_kind(s) == kind]
        print(f"{'server time ' + kind:<34} {percentiles(times)}")
    print(f"{'server time, every request':<34} {percentiles([s.seconds for s in samples])}")
    for kind in kinds:
        cpu = [s.cpu for s in samples if server_kind(s) == kind]
        print(f"{'server CPU ' + kind:<34} {percentiles(cpu)}")
    print("SQL statements per request (mean): " + ", ".join(
        f"{kind} {np.mean([s.statements for s in samples if server_kind(s) == kind]):.1f}"
        for kind in kinds
    ))  # fmt: skip


def report_cpu(result: dict[str, Any], answered: int) -> None:
    pairs = answered_page_pairs(result["samples"])
    if pairs:
        cpu = [post.cpu + get.cpu for post, get in pairs]
        statements = np.mean([post.statements + get.statements for post, get in pairs])
        verdict = "met" if np.mean(cpu) < CPU_TARGET else "MISSED"
        print(
            f"CPU per answered page (worker CPU of the page POST that saved and moved on + "
            f"the GET it redirects to, inside the app; {len(pairs)} pages): {milliseconds(cpu)} "
            f"(target mean < 15 ms: {verdict}); SQL statements {statements:.1f}"
        )
        print(f"  of which the POST {milliseconds(p.cpu for p, _ in pairs)}")
        print(f"  of which the GET  {milliseconds(g.cpu for _, g in pairs)}")
    used = result["cpu"]
    if answered:
        print(
            "Where the CPU went, per answered page (every request of the load counted, "
            "over the answered pages):"
        )
        app = sum(s.cpu for s in result["samples"])
        for what, seconds in [
            ("app, every request (inside the app)", app),
            ("gunicorn workers in all (app + gunicorn)", used["server"]),
            ("PostgreSQL backends of the database", used["database"]),
            (f"clients ({PROCESSES} process{'es' if PROCESSES > 1 else ''})", used["clients"]),
            ("the machine in all, every process", used["machine busy"]),
        ]:
            print(f"  {what:<44} {seconds / answered * 1000:6.1f} ms  ({seconds:.1f} s)")
        cores = used["machine"] / result["metered"]
        ours = used["server"] + used["database"] + used["clients"]
        rest = used["machine busy"] - ours
        print(
            f"  the machine had {used['machine']:.0f} CPU s ({cores:.1f} cores x "
            f"{result['metered']:.0f} s), busy {used['machine busy'] / used['machine']:.0%}; "
            f"this load's processes took {ours / used['machine']:.0%} of it, everything else "
            f"(other work, PostgreSQL's background writers) {rest / used['machine']:.0%}"
        )
        print(
            f"  at {ours / answered * 1000:.1f} ms of the workers', database's and clients' "
            f"CPU per answered page, {cores:.0f} cores to themselves would serve "
            f"{cores * answered / ours:.0f} answered pages a second"
        )


def report(result: dict[str, Any]) -> None:
    records = result["records"]
    print(scenario_line(result))
    report_latency(result)
    pages = [s for k, s, _, _ in records if k in ("GET page", "POST page")]
    p95 = float(np.percentile(pages, 95)) if pages else float("nan")
    verdict = "met" if p95 < P95_TARGET else "MISSED"
    print(
        f"client p95 per page (question pages' GETs and POSTs) {p95 * 1000:.1f} ms "
        f"(target < {P95_TARGET * 1000:.0f} ms: {verdict})"
    )
    answered, rate, busiest = page_rate(records, result["start"])
    verdict = "met" if rate >= PAGES_TARGET else "MISSED"
    print(
        f"answered pages (page POSTs that saved and moved on): {answered}, {rate:.1f} per "
        f"second from the first request to the last answered page"
        + (f" (target >= {PAGES_TARGET:g}: {verdict})" if BACK_TO_BACK else "")
        + f", {busiest:.1f} per second in the busiest 10 s"
    )
    if BACK_TO_BACK and records:
        # Little's law for the closed loop: citizens in the system = throughput x latency
        mean = float(np.mean([s for _, s, _, _ in records]))
        per_second = len(records) / result["wall"]
        needed = PAGES_TARGET * REQUESTS_PER_QUESTIONNAIRE / ANSWERED_PER_QUESTIONNAIRE
        print(
            f"Little's law: {CITIZENS} citizens always waiting / {per_second:.0f} requests a "
            f"second = {CITIZENS / per_second * 1000:.0f} ms per request (measured mean "
            f"{mean * 1000:.0f} ms); {PAGES_TARGET:g} answered pages a second are "
            f"{needed:.0f} requests a second, {CITIZENS / needed * 1000:.0f} ms each"
        )
    report_cpu(result, answered)
    print(f"errors: {len(result['errors'])}")
    for error in result["errors"][:10]:
        print(f"  {error}")
    want = CITIZENS * ROUNDS + WARM_UP
    print(f"check ({want} respondents, warm-up included): {check(result['checks'], want)}")
    if result["profiles"]:
        print(f"\ncProfile (CPU time) of the workers, per kind of request\n{result['profiles']}")


def main() -> None:
    url = dict(databases()).get("PostgreSQL")
    if url is None:
        print("bench_load runs on PostgreSQL only: skipped (BENCH_SKIP_POSTGRES=1)")
        return
    print(f"PostgreSQL: {SCENARIO}, {CITIZENS} citizens answering under gunicorn ...", flush=True)
    report(run(url))


if __name__ == "__main__":
    main()
