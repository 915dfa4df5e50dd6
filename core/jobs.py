"""What runs when: the scheduled jobs, their schedules, and the record of every run.

There is one notion of "due". Each job has a schedule that maps a moment to its *slot*
(the latest scheduled time at or before it: this minute, today at 08:00 Copenhagen
time, ...). A job is due when no run for the current slot has succeeded, is running or
has failed ``MAX_ATTEMPTS`` times; the record is the ``job_run`` table, not anyone's
memory. ``run_due(now)`` runs what is due and is the only way a job runs: both
``flask --app app jobs tick --now ...`` and the long-running scheduler (whose single
APScheduler job calls ``run_due(utcnow())`` every minute) go through it, always while
holding the runner lock (``core.scheduler``). Because only the current slot counts,
a job missed for days while everything was down runs once when it comes back, not once
per missed slot.

Jobs take ``now`` so a tick or a test states the time, commit their own work, and are
idempotent: running one twice for the same moment changes nothing the second time.
Each area registers its own jobs from its ``init_app`` (``panel.jobs``,
``surveys.waves.jobs``, ``api.webhooks``); the registry holds code, not state.
"""

from __future__ import annotations

import enum
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    DateTime,
    Index,
    Integer,
    String,
    Text,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from extensions import Base, db, value_enum

log = logging.getLogger(__name__)

#: A job that failed this many times in one slot waits for the next slot.
MAX_ATTEMPTS = 3


class JobOutcome(enum.StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    #: The runner stopped (crashed, lost its lock) before the job finished.
    ABANDONED = "abandoned"


class JobRun(Base):
    """One run of one scheduled job: what ran when, for which slot, and how it went."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_job_slot", "job_id", "slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The registered job's id, e.g. "deliver_mail".
    job_id: Mapped[str] = mapped_column(String(80))
    #: The scheduled time (naive UTC) this run is for; at most one successful run per slot.
    slot: Mapped[datetime] = mapped_column(DateTime)
    #: The "now" the job was given (the tick's ``--now``, or the real time).
    as_of: Mapped[datetime] = mapped_column(DateTime)
    #: Real wall-clock times, whatever ``as_of`` says.
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[JobOutcome] = mapped_column(
        value_enum(JobOutcome, "job_outcome"),
        default=JobOutcome.RUNNING,
    )
    #: What the job reported, e.g. "sent 12, failed 0".
    summary: Mapped[str | None] = mapped_column(String(500))
    #: The exception, when it failed.
    error: Mapped[str | None] = mapped_column(Text)
    #: Which process ran it (host:pid:random), to tell runners apart in the record.
    runner: Mapped[str] = mapped_column(String(120))


class Schedule(Protocol):
    def slot(self, now: datetime, zone: ZoneInfo) -> datetime:
        """The latest scheduled time at or before ``now``; both naive UTC."""
        ...


@dataclass(frozen=True)
class Every:
    """Every ``interval``, counted from the Unix epoch so slots do not drift."""

    interval: timedelta

    def slot(self, now: datetime, zone: ZoneInfo) -> datetime:
        return now - (now - datetime(1970, 1, 1)) % self.interval


@dataclass(frozen=True)
class DailyAt:
    """Once a day at a local wall-clock time (in the scheduler's time zone)."""

    at: time

    def slot(self, now: datetime, zone: ZoneInfo) -> datetime:
        local = now.replace(tzinfo=UTC).astimezone(zone)
        moment = datetime.combine(local.date(), self.at, tzinfo=zone)
        if moment > local:
            moment = datetime.combine(local.date() - timedelta(days=1), self.at, tzinfo=zone)
        return moment.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class ScheduledJob:
    id: str
    schedule: Schedule
    #: Does the work as at ``now``, commits it, and returns a one-line summary.
    run: Callable[[datetime], str]
    #: Lower runs first within a tick; mail delivery runs last, so mail queued by the
    #: other jobs of the same tick leaves in that tick.
    order: int = 50


_jobs: dict[str, ScheduledJob] = {}


def register(job: ScheduledJob) -> ScheduledJob:
    """Add ``job`` to what ``run_due`` considers (replacing one with the same id)."""
    _jobs[job.id] = job
    return job


def registered_jobs() -> list[ScheduledJob]:
    return sorted(_jobs.values(), key=lambda job: job.order)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["SCHEDULER_TIMEZONE"])


def is_due(job: ScheduledJob, now: datetime) -> bool:
    slot = job.schedule.slot(now, _zone())
    outcomes = db.session.scalars(
        select(JobRun.outcome).where(JobRun.job_id == job.id, JobRun.slot == slot)
    ).all()
    if JobOutcome.OK in outcomes or JobOutcome.RUNNING in outcomes:
        return False
    return len(outcomes) < MAX_ATTEMPTS


def run_due(
    now: datetime, runner: str, keep_going: Callable[[], bool] = lambda: True
) -> list[JobRun]:
    """Run every job due at ``now``, once each; the caller must hold the runner lock.

    ``keep_going`` is asked before each job, so a runner that lost its lock stops.
    A run still marked running can only be left over from a runner that died (the lock
    lets one runner at a time in), so it is marked abandoned and counts as a failure.
    """
    db.session.execute(
        update(JobRun)
        .where(JobRun.outcome == JobOutcome.RUNNING)
        .values(
            outcome=JobOutcome.ABANDONED,
            finished_at=utcnow(),
            error="the runner stopped before the job finished",
        )
    )
    db.session.commit()
    runs = []
    for job in registered_jobs():
        if not keep_going():
            log.warning("lost the runner lock; leaving the remaining jobs to the next runner")
            break
        if is_due(job, now):
            runs.append(_run(job, now, runner))
    return runs


def _run(job: ScheduledJob, now: datetime, runner: str) -> JobRun:
    run = JobRun(job_id=job.id, slot=job.schedule.slot(now, _zone()), as_of=now, runner=runner)
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    try:
        summary = job.run(now)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        log.exception("job %s failed", job.id)
        failed = db.session.get_one(JobRun, run_id)
        failed.outcome = JobOutcome.FAILED
        failed.error = "".join(traceback.format_exception_only(error))[:5000]
        failed.finished_at = utcnow()
        db.session.commit()
        return failed
    run.outcome = JobOutcome.OK
    run.summary = summary[:500]
    run.finished_at = utcnow()
    db.session.commit()
    log.info("job %s done: %s", job.id, summary)
    return run
