"""Answering through personal links: bytes per question page, and server time per request
under 50 concurrent clients.

Targets (issue 3): a question page with its stylesheets and scripts under 30 KB, and the
server time per answered page under a load of 50 concurrent clients at p95 under 50 ms, on
SQLite and on PostgreSQL.

Set-up (not timed): a panel of members with contact addresses, the tests' sample
questionnaire (every question type) and a wave opened as the scheduler opens it, which gives
each invited member a personal link. Then, per database:

- *bytes*: one respondent answers the whole questionnaire over HTTP; its page 2 (multiple
  choice, 0-10 scale and grid, with the rating revealed) is the typical question page. Its
  HTML plus every ``<link rel=stylesheet>`` and ``<script src>`` it references are fetched
  and measured uncompressed and gzip-compressed (level 6, what a reverse proxy would send);
- *load*: client threads, in a separate process so that they do not compete with the
  server for its GIL, answer questionnaires through their own links: the introduction,
  start, and every page (GET, then POST valid answers, follow the redirect) to the end page.
  The server records the server time of every request, the response body included; the
  clients record the latency they saw. Three loads: one client alone (the cost of a request
  without queueing); 50 clients answering ``ROUNDS`` questionnaires each back to back (the
  brief's load: a closed loop, so the server is saturated and time per request is mostly
  waiting for a turn); the same with a pause of about ``THINK`` seconds before each request
  (still far brisker than a person reading a page). The three loads run against each
  server, each server on a fresh wave's links:

  - the app in Werkzeug's threaded server inside this process (one process, one pool);
  - gunicorn as in production (``gunicorn.conf.py``, ``bench/servers.py``) with each
    set-up in ``BENCH_GUNICORN`` (default ``sync:5:1,gthread:2:4``: worker class, workers,
    threads), the workers timed by ``bench/timed_wsgi.py``; on SQLite the file is put in
    WAL mode first (the app has no setting for it; the mode is kept in the file);
- *check*: every response completed exactly once, one per invitation, and exactly the
  expected answers stored, none twice (counted in the database).

Run with ``.venv/bin/python -m bench.bench_answering``; ``BENCH_SKIP_POSTGRES=1`` skips
PostgreSQL, ``BENCH_POSTGRES`` names another server, ``BENCH_PROFILE=1`` adds a second
load run under cProfile (CPU time of every server thread) and prints where it goes;
``BENCH_SQLITE_WAL=1`` puts the SQLite file in WAL mode first (the app does not).
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import pstats
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any, Protocol
from urllib.parse import urlsplit

import numpy as np
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import func, select, text

from bench.answer_clients import CLIENTS, Client, load
from bench.common import bench_app, bulk_members, databases
from bench.servers import Timed, served, served_by_gunicorn
from core.clock import utcnow
from extensions import db

ROUNDS = 4
#: Respondents answering one at a time first, to show the cost of a request without queueing.
ALONE = 10
#: Mean pause of each client before each request in the second load: a brisk reader.
THINK = 1.0
#: Respondents answering in the two loads, those answering alone and the one whose page 2 is
#: measured first.
RESPONDENTS = 2 * CLIENTS * ROUNDS + ALONE + 1
#: Room for four waves of ``RESPONDENTS``: in-process, two gunicorn set-ups, the profile.
PANEL_SIZE = 3_000
BYTES_TARGET = 30 * 1024
P95_TARGET = 0.050

#: Answers stored per completed response: q1-q10 (q11 is an information text).
ANSWERS_PER_RESPONSE = 10


# --- set-up --------------------------------------------------------------------------------


def open_bench_wave(
    new_panel: bool = True, respondents: int = RESPONDENTS, panel_size: int = PANEL_SIZE
) -> list[str]:
    """The sample questionnaire in a wave opened an hour ago; ``respondents`` personal links'
    tokens.

    ``new_panel`` first adds ``panel_size`` members; a later wave invites members the earlier
    ones did not.
    """
    from bench.bench_waves import add_contacts
    from surveys.questionnaires.operations import mark_ready
    from surveys.waves.models import AllocationMode, Invitation, Wave
    from surveys.waves.operations import open_wave, personal_token
    from tests.questionnaire_sample import sample_questionnaire

    if new_panel:
        bulk_members(panel_size)
        add_contacts()
    with force_locale("en"):  # validation messages need a locale outside a request
        questionnaire = sample_questionnaire()
        mark_ready(questionnaire)
    now = utcnow()
    wave = Wave(
        name="Bench answering",
        questionnaire=questionnaire,
        invite_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=14),
        stratify_by=["gender"],
        allocation_mode=AllocationMode.PROPORTIONAL_PANEL,
        completes_wanted=respondents + 20,  # the allocation rounds per stratum
        default_response_rate=1.0,
    )
    db.session.add(wave)
    db.session.commit()
    open_wave(wave, now - timedelta(hours=1))
    invitations = db.session.scalars(
        select(Invitation).filter_by(wave_id=wave.id).order_by(Invitation.id)
    ).all()
    assert len(invitations) >= respondents, len(invitations)
    tokens = [personal_token(invitation) for invitation in invitations[:respondents]]
    db.session.remove()  # the server's threads take their own connections
    return tokens


# --- figures -------------------------------------------------------------------------------


class Assets(HTMLParser):
    """The stylesheets and scripts a page references."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and "stylesheet" in (values.get("rel") or "").split() and values["href"]:
            self.urls.append(values["href"])
        elif tag == "script" and values.get("src"):
            self.urls.append(str(values["src"]))


def page_bytes(port: int, token: str) -> list[tuple[str, int, int]]:
    """(what, bytes, gzip bytes) of page 2 and each stylesheet and script it references."""
    client = Client(port)
    html = client.answer(token)[1]
    assert not client.errors, client.errors
    parser = Assets()
    parser.feed(html.decode())
    rows = [("HTML of page 2", html)]  # with the revealed rating: every type on it
    for url in parser.urls:
        _, _, data = client.request("GET", urlsplit(url).path)
        rows.append((urlsplit(url).path, data))
    return [(what, len(data), len(gzip.compress(data, compresslevel=6))) for what, data in rows]


def percentiles(seconds: list[float]) -> str:
    ms = np.array(seconds) * 1000
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return f"{len(ms):>6} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {ms.max():>8.1f}"


def integrity() -> dict[str, int]:
    """Counted in the database after the run."""
    from surveys.answering.models import Answer, Response
    from surveys.waves.models import Invitation

    def scalar(query: Any) -> int:
        return int(db.session.scalar(query) or 0)

    duplicates = (
        select(Answer.response_id, Answer.question_key)
        .group_by(Answer.response_id, Answer.question_key)
        .having(func.count() > 1)
        .subquery()
    )
    figures = {
        "responses": scalar(select(func.count()).select_from(Response)),
        "completed": scalar(select(func.count()).where(Response.completed_at.is_not(None))),
        "invitations answered": scalar(select(func.count(func.distinct(Response.invitation_id)))),
        "invitations completed": scalar(
            select(func.count()).where(Invitation.completed_at.is_not(None))
        ),
        "answers": scalar(select(func.count()).select_from(Answer)),
        "duplicate answers": scalar(select(func.count()).select_from(duplicates)),
    }
    db.session.remove()
    return figures


def profile_summary(timed: Timed, top: int = 25) -> str:
    out = io.StringIO()
    stats = pstats.Stats(timed.profiles[0], stream=out)
    for profile in timed.profiles[1:]:
        stats.add(profile)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


@dataclass
class Run:
    """One load: the server time of each request by kind, and what the clients saw."""

    title: str
    samples: list[tuple[str, float]]
    latencies: list[float]
    errors: list[str]
    wall: float


def load_runs(port: int, sampler: Sampler, tokens: list[str]) -> list[Run]:
    """The three loads on ``tokens`` (one wave's links, the first already answered)."""
    alone, tokens = tokens[1 : ALONE + 1], tokens[ALONE + 1 :]
    size = CLIENTS * ROUNDS
    loads = [
        (f"one client alone, {ALONE} questionnaires", alone, 1, 0.0),
        (f"{CLIENTS} clients x {ROUNDS} questionnaires, back to back", tokens[:size], CLIENTS, 0),
        (
            f"{CLIENTS} clients x {ROUNDS} questionnaires, ~{THINK:g} s pause per request",
            tokens[size:],
            CLIENTS,
            THINK,
        ),
    ]
    runs = []
    for title, share, count, think in loads:
        sampler.clear()
        latencies, errors, wall = load(port, share, count, think)
        runs.append(Run(title, sampler.samples(), latencies, errors, wall))
    return runs


class Sampler(Protocol):
    def samples(self) -> list[tuple[str, float]]: ...
    def clear(self) -> None: ...


class InProcess:
    """The in-process server's samples, read like gunicorn's."""

    def __init__(self, timed: Timed) -> None:
        self.timed = timed

    def samples(self) -> list[tuple[str, float]]:
        return list(self.timed.samples)

    def clear(self) -> None:
        self.timed.samples.clear()


def gunicorn_set_ups() -> list[tuple[str, int, int]]:
    """(worker class, workers, threads) from ``BENCH_GUNICORN``, e.g. ``sync:5:1,gthread:2:4``."""
    spec = os.environ.get("BENCH_GUNICORN", "sync:5:1,gthread:2:4")
    found = []
    for item in filter(None, spec.split(",")):
        kind, workers, threads = item.split(":")
        found.append((kind, int(workers), int(threads)))
    return found


def measure(name: str, url: str) -> list[dict[str, Any]]:
    """The in-process server, then each gunicorn set-up, each on a fresh wave's links."""
    results = []
    with bench_app(url) as app:
        if url.startswith("sqlite") and os.environ.get("BENCH_SQLITE_WAL") == "1":
            db.session.execute(text("PRAGMA journal_mode=WAL"))  # kept in the file
            name = f"{name} (WAL)"
        tokens = open_bench_wave()
        with served(app) as (port, timed):
            sizes = page_bytes(port, tokens[0])
            runs = load_runs(port, InProcess(timed), tokens)
        results.append({"name": f"{name}, in-process Werkzeug", "sizes": sizes, "runs": runs})
        if url.startswith("sqlite") and "WAL" not in name:
            # several processes write to the file: WAL lets readers go on while one writes
            db.session.execute(text("PRAGMA journal_mode=WAL"))
            name = f"{name} (WAL)"
        for kind, workers, threads in gunicorn_set_ups():
            print(f"{name}: gunicorn, {workers} {kind} workers x {threads} ...", flush=True)
            tokens = open_bench_wave(new_panel=False)
            with served_by_gunicorn(url, workers, kind, threads) as server:
                page_bytes(server.port, tokens[0])
                runs = load_runs(server.port, server, tokens)
            shape = f"{workers} {kind} workers" + (f" x {threads} threads" if threads > 1 else "")
            results.append({"name": f"{name}, gunicorn {shape}", "runs": runs})
        with app.app_context():
            checks = integrity()
        results[-1]["checks"] = (checks, RESPONDENTS * (1 + len(gunicorn_set_ups())))
        if os.environ.get("BENCH_PROFILE") == "1":
            results[-1]["profile"] = profiled_run(app)
    return results


def profiled_run(app: Flask) -> str:
    """Another back-to-back load on fresh links of the same database, under cProfile."""
    with app.app_context():
        tokens = open_bench_wave(new_panel=False)
    with served(app) as (port, timed):
        timed.profiling = True
        load(port, tokens[: CLIENTS * ROUNDS])
    return profile_summary(timed)


def report(result: dict[str, Any]) -> None:
    name = result["name"]
    if "sizes" in result:
        print(f"\n{name}: bytes of a question page (page 2: multiple choice, rating, 0-10, grid)")
        print(f"{'':<22} {'bytes':>8} {'gzip':>8}")
        for what, raw, packed in result["sizes"]:
            print(f"{what:<22} {raw:>8,} {packed:>8,}")
        raw = sum(r for _, r, _ in result["sizes"])
        packed = sum(p for _, _, p in result["sizes"])
        verdict = "met" if raw < BYTES_TARGET else "MISSED"
        print(f"{'total':<22} {raw:>8,} {packed:>8,}   target < 30 KB uncompressed: {verdict}")
    for run in result["runs"]:
        report_run(name, run)
    if "checks" in result:
        checks, want = result["checks"]
        print(f"\n{name.split(',')[0]}: check ({want} respondents in all): {check(checks, want)}")
    if result.get("profile"):
        print(f"\n{name}: cProfile (CPU) of the server threads\n{result['profile']}")


def check(checks: dict[str, int], want: int) -> str:
    """The figures counted in the database, and whether each respondent counted once."""
    ok = (
        checks["responses"] == checks["completed"] == want
        and checks["invitations answered"] == checks["invitations completed"] == want
        and checks["answers"] == want * ANSWERS_PER_RESPONSE
        and checks["duplicate answers"] == 0
    )
    shown = ", ".join(f"{k} {v}" for k, v in checks.items())
    return f"{shown}: {'OK' if ok else 'FAILED'}"


def report_run(name: str, run: Run) -> None:
    print(f"\n{name}: {run.title}, {run.wall:.1f} s wall, {len(run.samples) / run.wall:.0f} req/s")
    print(f"{'ms':<24} {'count':>6} {'median':>8} {'p95':>8} {'p99':>8} {'max':>8}")
    for kind in sorted({k for k, _ in run.samples}):
        print(f"{'server ' + kind:<24} {percentiles([s for k, s in run.samples if k == kind])}")
    server = [s for _, s in run.samples]
    print(f"{'server, every request':<24} {percentiles(server)}")
    print(f"{'client latency':<24} {percentiles(run.latencies)}")
    p95 = float(np.percentile(server, 95))
    verdict = "met" if p95 < P95_TARGET else "MISSED"
    print(f"server p95 {p95 * 1000:.1f} ms (target < 50 ms: {verdict}); errors {len(run.errors)}")
    for error in run.errors[:5]:
        print(f"  {error}")


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    for name, url in databases():
        print(f"{name}: measuring ...", flush=True)
        for result in measure(name, url):
            report(result)


if __name__ == "__main__":
    main()
