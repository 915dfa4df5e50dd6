"""What runs when: the scheduled jobs, their schedules, and the record of every run.

There is one notion of "due". Each job has a schedule that maps a moment to its *slot*
(the latest scheduled time at or before it: this minute, today at 08:00 Copenhagen
time, ...). A job is due when no run for the current slot has succeeded, is running or
has failed ``MAX_ATTEMPTS`` times; the record is the ``job_run`` table, not anyone's
memory. ``run_due(now)`` runs what is due and is the only way a job runs: both
``flask --app app waves tick --now ...`` and the long-running scheduler (whose single
APScheduler job calls ``run_due(utcnow())`` every minute) go through it, always while
holding the runner lock (``surveys.scheduler``). Because only the current slot counts,
a job missed for days while everything was down runs once when it comes back, not once
per missed slot.

Jobs take ``now`` so a tick or a test states the time, commit their own work, and are
idempotent: running one twice for the same moment changes nothing the second time.
Waves plug in by calling ``register`` with their own job (e.g. an every-minute job that
opens, reminds and closes whatever waves are due at ``now``).
"""

from __future__ import annotations

import enum
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    CursorResult,
    DateTime,
    Delete,
    Index,
    Integer,
    String,
    Text,
    delete,
    exists,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from extensions import Base, db, value_enum
from panel.clock import utcnow
from panel.mail import deliver_outbox
from panel.members import (
    delete_member,
    leave_panel,
    queue_consent_renewals,
    queue_profile_checks,
)
from panel.models import Consent, LoginToken, Member, MemberStatus, OutboxMessage

log = logging.getLogger(__name__)

#: A job that failed this many times in one slot waits for the next slot.
MAX_ATTEMPTS = 3
#: Used and expired login links are deleted this long after they stopped working.
TOKEN_RETENTION = timedelta(days=7)
#: Members are deleted this many at a time, each batch committed, to bound the session.
DELETE_BATCH = 500


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


def deliver_mail(now: datetime) -> str:
    """Send the outbox in batches until it is empty or the mail server fails."""
    total_sent = total_failed = 0
    batch = 500
    while True:
        sent, failed = deliver_outbox(now, limit=batch)
        total_sent += sent
        total_failed += failed
        if failed or sent < batch:
            break
    return f"sent {total_sent}, failed {total_failed}"


def profile_checks(now: datetime) -> str:
    queued = queue_profile_checks(now)
    db.session.commit()
    return f"queued {queued}"


def consent_renewals(now: datetime) -> str:
    queued = queue_consent_renewals(now)
    db.session.commit()
    return f"queued {queued}"


def _deleted(statement: Delete) -> int:
    result = db.session.execute(statement)
    return int(cast(CursorResult[Any], result).rowcount)


def delete_expired_records(now: datetime) -> str:
    """Keep personal data only as long as it is needed (data minimisation, GDPR art. 5(1)(e)).

    Sent mail goes after MAIL_RETENTION_DAYS; unsent mail stays, since it is still owed.
    A login link goes TOKEN_RETENTION after it was used or expired. Members go as
    ``retire_lapsed_consents`` and ``delete_members_past_retention`` say.
    """
    mail_cutoff = now - timedelta(days=current_app.config["MAIL_RETENTION_DAYS"])
    token_cutoff = now - TOKEN_RETENTION
    mails = _deleted(delete(OutboxMessage).where(OutboxMessage.sent_at < mail_cutoff))
    tokens = _deleted(
        delete(LoginToken).where(
            or_(LoginToken.used_at < token_cutoff, LoginToken.expires_at < token_cutoff)
        )
    )
    db.session.commit()
    lapsed = retire_lapsed_consents(now)
    left, unconfirmed = delete_members_past_retention(now)
    return (
        f"deleted {mails} sent mails, {tokens} login links, {left} members who left, "
        f"{unconfirmed} never confirmed; {lapsed} with lapsed consent marked as left"
    )


def retire_lapsed_consents(now: datetime) -> int:
    """Members whose consent lapsed more than CONSENT_GRACE_DAYS ago leave the panel.

    Without consent there is no basis to keep their data, and a lapsed consent is treated
    exactly like leaving: they are never sampled or mailed again, and the member rule
    below deletes them LEFT_MEMBER_RETENTION_DAYS later, so there is one road to deletion.
    The grace period is for the renewal reminder (sent before the consent lapses) to be
    answered late; renewing in that time keeps the member.
    """
    cutoff = now - timedelta(days=current_app.config["CONSENT_GRACE_DAYS"])
    lapsed = db.session.scalars(
        select(Member).where(
            Member.status == MemberStatus.ACTIVE, Member.consent_expires_at < cutoff
        )
    ).all()
    for member in lapsed:
        leave_panel(member, now)
        log.info("member %s left the panel: consent lapsed and was not renewed", member.id)
    db.session.commit()
    return len(lapsed)


def delete_members_past_retention(now: datetime) -> tuple[int, int]:
    """Delete members who left LEFT_MEMBER_RETENTION_DAYS ago, and sign-ups never confirmed.

    A pending member is deleted UNCONFIRMED_RETENTION_DAYS after joining, unless they
    consented (joined again on the web) since then. Deleting goes through
    ``delete_member``, so their answers stay, anonymous. Returns (left, unconfirmed).
    """
    config = current_app.config
    left_cutoff = now - timedelta(days=config["LEFT_MEMBER_RETENTION_DAYS"])
    pending_cutoff = now - timedelta(days=config["UNCONFIRMED_RETENTION_DAYS"])
    consented_since = exists().where(
        Consent.member_id == Member.id, Consent.given_at >= pending_cutoff
    )
    left = _delete_members(Member.status == MemberStatus.LEFT, Member.left_at < left_cutoff)
    unconfirmed = _delete_members(
        Member.status == MemberStatus.PENDING,
        Member.joined_at < pending_cutoff,
        ~consented_since,
    )
    return left, unconfirmed


def _delete_members(*conditions: Any) -> int:
    deleted = 0
    while batch := db.session.scalars(select(Member).where(*conditions).limit(DELETE_BATCH)).all():
        for member in batch:
            delete_member(member)
        db.session.commit()
        deleted += len(batch)
    return deleted


register(ScheduledJob("profile_checks", DailyAt(time(8, 0)), profile_checks))
register(ScheduledJob("consent_renewals", DailyAt(time(8, 0)), consent_renewals))
register(ScheduledJob("delete_expired_records", DailyAt(time(3, 0)), delete_expired_records))
register(ScheduledJob("deliver_mail", Every(timedelta(minutes=1)), deliver_mail, order=100))
