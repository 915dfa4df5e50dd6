"""Open a wave of 5,000 completes over 228 strata from a panel of 1,000,000 members.

Targets (issue 4): the sampling functions under 1 s, and the whole "open wave" job, with
invitations inserted and their mails queued in the outbox, under 10 s on PostgreSQL.

The panel is ``bench.common.bulk_members`` (every member active, consent in force) with a
contact address each; the targets are the demo population summed over education, uploaded
as a population table over age x gender x municipality (6 x 2 x 19 = 228 strata); the
questionnaire is the tests' sample questionnaire, marked ready. Two figures per database:

- *functions*: ``surveys.waves.sampling.plan_wave`` (the eligibility query, each member
  placed in a stratum, the population targets, response rates, the allocation) and
  ``stats.allocation.draw_codes``: everything the draw needs, best of 3;
- *open wave*: ``surveys.waves.operations.open_wave`` once, as the scheduler runs it (seed, frame,
  allocation, draw, invitations inserted, one outbox mail queued per invitation).

Run with ``.venv/bin/python -m bench.bench_waves``; ``BENCH_SKIP_POSTGRES=1`` skips
PostgreSQL, ``BENCH_POSTGRES`` names another server.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from functools import partial

import numpy as np
from sqlalchemy import func, select, text

from bench.common import bench_app, best_of, bulk_members, databases
from core.clock import utcnow
from extensions import db
from panel.demo import synthetic_population
from panel.demographics.models import PopulationFigure, PopulationTable
from panel.mail.models import OutboxMessage
from panel.members.bulk import bulk_insert
from panel.members.models import Member, MemberContact
from surveys.waves.models import AllocationMode, Invitation, Wave

PANEL_SIZE = 1_000_000
WANTED = 5_000
STRATIFY_BY = ["age", "gender", "municipality"]


def add_contacts(batch: int = 50_000) -> None:
    """A contact address for every member, so each one can be mailed (set-up, not timed)."""
    ids = db.session.scalars(select(Member.id).order_by(Member.id)).all()
    for start in range(0, len(ids), batch):
        rows = [
            {"member_id": i, "email": f"bench{i:07d}@example.org", "name": f"Person {i}"}
            for i in ids[start : start + batch]
        ]
        bulk_insert(MemberContact, rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # the planner must know the table is big
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE member_contact"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def add_population() -> None:
    """The demo population summed over education: one figure per age x gender x municipality."""
    counts: dict[tuple[str, str, str], int] = {}
    for (band, gender, municipality, _education), count in synthetic_population().items():
        key = (band, gender, municipality)
        counts[key] = counts.get(key, 0) + count
    table = PopulationTable(name="Bench population", attribute_keys=STRATIFY_BY)
    for (band, gender, municipality), count in counts.items():
        cell = {"age": band, "gender": gender, "municipality": municipality}
        table.figures.append(PopulationFigure(cell=cell, count=count))
    db.session.add(table)
    db.session.commit()


def make_wave(now: datetime) -> Wave:
    from surveys.questionnaires.operations import mark_ready
    from tests.questionnaire_sample import sample_questionnaire

    questionnaire = sample_questionnaire()
    mark_ready(questionnaire)
    wave = Wave(
        name="Bench wave",
        questionnaire=questionnaire,
        invite_at=now,
        closes_at=now + timedelta(days=21),
        stratify_by=STRATIFY_BY,
        completes_wanted=WANTED,
        allocation_mode=AllocationMode.PROPORTIONAL_POPULATION,
        default_response_rate=0.4,
    )
    db.session.add(wave)
    db.session.commit()
    return wave


def sampling_functions(wave: Wave, now: datetime) -> tuple[int, int, int]:
    """Frame, allocation and draw as ``open_wave`` does them: (frame, strata, drawn)."""
    from stats.allocation import draw_codes
    from surveys.waves.sampling import plan_wave

    frame, preview = plan_wave(wave, now)
    sizes = np.array([plan.invitations for plan in preview.allocation.strata], dtype=np.intp)
    drawn = draw_codes(frame.ids, frame.codes, sizes, seed=2026)
    return preview.frame_size, len(frame.strata), len(drawn)


def count(model: type[Invitation] | type[OutboxMessage]) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def main() -> None:
    from surveys.waves.operations import open_wave

    results = []
    for name, url in databases():
        with bench_app(url) as app, app.test_request_context():
            start = time.perf_counter()
            bulk_members(PANEL_SIZE)
            add_contacts()
            add_population()
            print(f"{name}: set-up {time.perf_counter() - start:.0f} s", flush=True)
            now = utcnow()
            wave = make_wave(now)

            functions, (frame, strata, drawn) = best_of(3, partial(sampling_functions, wave, now))
            assert frame == PANEL_SIZE and strata == 228, (frame, strata)

            start = time.perf_counter()
            mailed = open_wave(wave, now)
            opened = time.perf_counter() - start
            invitations, outbox = count(Invitation), count(OutboxMessage)
            assert mailed == invitations == outbox == drawn, (mailed, invitations, outbox, drawn)
            results.append((name, functions, opened, drawn))
            print(f"{name}: functions {functions:.3f} s, open wave {opened:.2f} s", flush=True)

    print(f"\nWaves: {PANEL_SIZE:,} members, 228 strata, {WANTED:,} completes wanted")
    print(f"{'database':<11} {'functions (s)':>14} {'open wave (s)':>14} {'invited':>9}")
    print("-" * 51)
    for name, functions, opened, drawn in results:
        print(f"{name:<11} {functions:>14.3f} {opened:>14.2f} {drawn:>9,}", flush=True)


if __name__ == "__main__":
    main()
