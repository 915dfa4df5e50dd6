"""The scheduler: what is due, exactly once across processes, the runner lock, the jobs."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core import jobs
from core.clock import utcnow
from core.jobs import DailyAt, Every, JobOutcome, JobRun, ScheduledJob, registered_jobs
from core.scheduler import TICK_JOB_ID, LeaseLock, apscheduler_jobs, runner_lock, tick
from extensions import db
from panel import jobs as panel_jobs
from panel.mail.models import OutboxMessage
from panel.mail.outbox import queue_mail
from panel.members.models import LoginToken, TokenPurpose
from tests.factories import MemberFactory
from tests.factories.processes import flask_env, wait_for
from tests.helpers import sent_mail

ROOT = Path(__file__).resolve().parents[2]
#: A Wednesday in winter: 10:00 in Copenhagen, after the daily jobs' times.
NOW = datetime(2030, 1, 15, 9, 0)
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def runs(job_id: str | None = None) -> list[JobRun]:
    query = select(JobRun).order_by(JobRun.id)
    if job_id is not None:
        query = query.filter_by(job_id=job_id)
    db.session.expire_all()
    return list(db.session.scalars(query))


def members_due_for_a_profile_check(count: int) -> list:
    members = MemberFactory.create_batch(count, profile_checked_at=NOW - timedelta(days=400))
    db.session.commit()
    return members


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """A real OS process running ``flask --app app *args`` (or ``python -c`` with "-c")."""
    command = (
        [sys.executable, *args]
        if args[0] == "-c"
        else [sys.executable, "-m", "flask", "--app", "app", *args]
    )
    return subprocess.Popen(  # noqa: S603  (our own interpreter and fixed arguments)
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    output, _ = process.communicate(timeout=120)
    return process.returncode, output


def login_mail_sent() -> bool:
    """Waiting for the mail itself: a run row appears (as running) before the mail goes."""
    db.session.expire_all()
    return sent_mail(kind="login")[0].sent_at is not None


def test_tick_runs_due_jobs_once_and_again_at_the_same_time_runs_nothing(app, runner):
    (member,) = members_due_for_a_profile_check(1)

    first = runner.invoke(args=["waves", "tick", "--now", "2030-01-15T10:00+01:00"])
    assert first.exit_code == 0, first.output
    assert {run.job_id for run in runs()} == {job.id for job in registered_jobs()}
    assert all(run.outcome is JobOutcome.OK and run.as_of == NOW for run in runs())
    (mail,) = sent_mail(to=member.contact.email, kind="profile_check")
    assert mail.sent_at is not None  # queued and delivered in the same tick
    assert "deliver_mail: ok (sent 1, failed 0)" in first.output

    second = runner.invoke(args=["waves", "tick", "--now", "2030-01-15T09:00"])
    assert second.exit_code == 0, second.output
    assert "nothing due" in second.output
    assert len(runs()) == len(registered_jobs())
    assert len(sent_mail()) == 1

    next_minute = runner.invoke(args=["waves", "tick", "--now", "2030-01-15T09:01"])
    assert [run.job_id for run in runs()[len(registered_jobs()) :]] == ["deliver_mail"]
    assert "profile_checks" not in next_minute.output


def test_a_job_missed_during_downtime_runs_once_not_once_per_missed_day(app):
    long_ago = NOW - timedelta(days=10)
    for job in registered_jobs():
        slot = job.schedule.slot(long_ago, COPENHAGEN)
        db.session.add(
            JobRun(
                job_id=job.id, slot=slot, as_of=long_ago, outcome=JobOutcome.OK, runner="earlier"
            )
        )
    db.session.commit()

    got_lock, done = tick(NOW)

    assert got_lock
    assert sorted(run.job_id for run in done) == sorted(job.id for job in registered_jobs())
    assert len(runs("profile_checks")) == 2
    assert runs("profile_checks")[-1].slot == datetime(2030, 1, 15, 7, 0)  # 08:00 CET


def test_a_failing_job_is_recorded_and_retried_a_few_times_without_stopping_the_others(
    app, monkeypatch
):
    def broken(now: datetime) -> str:
        raise RuntimeError("the register is down")

    monkeypatch.setitem(
        jobs._jobs, "broken", ScheduledJob("broken", Every(timedelta(hours=1)), broken, order=0)
    )

    for _ in range(jobs.MAX_ATTEMPTS + 1):
        tick(NOW)

    failures = runs("broken")
    assert len(failures) == jobs.MAX_ATTEMPTS
    assert all(run.outcome is JobOutcome.FAILED for run in failures)
    assert "RuntimeError: the register is down" in (failures[0].error or "")
    assert [run.outcome for run in runs("deliver_mail")] == [JobOutcome.OK]

    tick(NOW + timedelta(hours=1))  # the next slot tries again
    assert len(runs("broken")) == jobs.MAX_ATTEMPTS + 1


def test_a_run_left_running_by_a_crashed_runner_is_marked_abandoned_and_run_again(app):
    slot = DailyAt(time(3, 0)).slot(NOW, COPENHAGEN)
    db.session.add(JobRun(job_id="delete_expired_records", slot=slot, as_of=NOW, runner="dead"))
    db.session.commit()

    tick(NOW)

    first, second = runs("delete_expired_records")
    assert first.outcome is JobOutcome.ABANDONED and first.finished_at is not None
    assert second.outcome is JobOutcome.OK and second.slot == slot


def test_daily_jobs_keep_to_copenhagen_time_through_summer_time():
    at_eight = DailyAt(time(8, 0))
    assert at_eight.slot(datetime(2030, 1, 15, 7, 0), COPENHAGEN) == datetime(2030, 1, 15, 7, 0)
    assert at_eight.slot(datetime(2030, 7, 1, 6, 0), COPENHAGEN) == datetime(2030, 7, 1, 6, 0)
    # 07:59 summer time is before today's run: the slot is yesterday's
    assert at_eight.slot(datetime(2030, 7, 1, 5, 59), COPENHAGEN) == datetime(2030, 6, 30, 6, 0)
    assert Every(timedelta(minutes=1)).slot(
        datetime(2030, 1, 1, 12, 30, 59), COPENHAGEN
    ) == datetime(2030, 1, 1, 12, 30)


@pytest.mark.slow
def test_two_ticks_in_separate_processes_run_each_job_exactly_once(app, database_url, tmp_path):
    addresses = sorted(m.contact.email for m in members_due_for_a_profile_check(80))
    db.session.remove()  # nothing of ours holds the database while they run
    outbox = tmp_path / "outbox"
    env = flask_env(database_url, outbox)

    processes = [start(env, "waves", "tick", "--now", "2030-01-15T09:00Z") for _ in range(3)]
    outputs = [finish(process) for process in processes]

    assert [code for code, _ in outputs] == [0, 0, 0], outputs
    for job in registered_jobs():
        assert len(runs(job.id)) == 1, (job.id, outputs)
    messages = sent_mail(kind="profile_check")
    assert sorted(m.to_address for m in messages) == addresses
    assert all(m.sent_at is not None and m.attempts == 1 for m in messages)
    assert len(list(outbox.glob("*.eml"))) == len(addresses)


@pytest.mark.slow
def test_scheduler_process_runs_jobs_holds_the_lock_and_frees_it_on_exit(
    app, database_url, tmp_path
):
    (member,) = MemberFactory.create_batch(1)
    queue_mail("login", member.contact.email, member=member, link="http://localhost/x", minutes=30)
    db.session.commit()
    db.session.remove()
    env = flask_env(
        database_url,
        tmp_path / "outbox",
        SCHEDULER_TICK_SECONDS="1",
        SCHEDULER_LOCK_LEASE_SECONDS="5",
    )
    scheduler = start(env, "scheduler")
    try:
        assert wait_for(login_mail_sent), "the scheduler sent nothing"
        assert runs("deliver_mail")

        assert "skipped: another runner holds the lock" in finish(start(env, "waves", "tick"))[1]
    finally:
        scheduler.send_signal(signal.SIGTERM)
        code, output = finish(scheduler)
    assert code == 0, output
    assert "scheduler stopped" in output

    code, output = finish(start(env, "waves", "tick"))
    assert code == 0, output
    assert "skipped" not in output
    # APScheduler's job outlives the process, with its next run time, for the next start
    stored = db.session.execute(select(apscheduler_jobs.c.id, apscheduler_jobs.c.next_run_time))
    assert [row.id for row in stored] == [TICK_JOB_ID]


@pytest.fixture
def scheduling_web_app(app_config):
    app_config.update(SCHEDULER_ENABLED=True, SCHEDULER_TICK_SECONDS=1)
    return app_config


@pytest.mark.usefixtures("scheduling_web_app")
def test_web_workers_start_the_scheduler_with_their_first_request(app, client):
    (member,) = MemberFactory.create_batch(1)
    queue_mail("login", member.contact.email, member=member, link="http://localhost/x", minutes=30)
    db.session.commit()

    client.get("/")

    stop = app.extensions["borgerpanel.scheduler_stop"]
    try:
        assert wait_for(login_mail_sent), "the worker sent nothing"
        assert runs("deliver_mail")
        client.get("/")  # later requests start nothing more
        assert app.extensions["borgerpanel.scheduler_stop"] is stop
        assert tick(NOW) == (False, [])  # the worker's scheduler holds the lock
    finally:
        stop.set()
        app.extensions["borgerpanel.scheduler_thread"].join(timeout=30)
    assert tick(NOW)[0]


CRASHING_HOLDER = """
import os
from datetime import timedelta
from app import create_app
from extensions import db
from core.scheduler import runner_lock
app = create_app()
with app.app_context():
    assert runner_lock(db.engine, timedelta(seconds=60)).acquire()
    os._exit(1)  # dies holding the lock: no release, no clean-up
"""


@pytest.mark.slow
def test_a_crashed_holders_lock_is_freed(app, database_url, tmp_path, is_postgres):
    code, output = finish(
        start(flask_env(database_url, tmp_path / "outbox"), "-c", CRASHING_HOLDER)
    )
    assert code == 1, output

    if is_postgres:
        # the server drops a dead connection's advisory locks at once
        assert wait_for(lambda: tick(NOW)[0], seconds=10)
        return
    assert tick(NOW) == (False, [])  # the lease still runs
    later = LeaseLock(
        db.engine,
        "successor",
        timedelta(seconds=60),
        clock=lambda: utcnow() + timedelta(seconds=61),
    )
    assert later.acquire()
    later.release()
    assert tick(NOW)[0]


def test_a_lease_is_renewed_by_its_holder_and_lost_when_it_runs_out(app):
    clock = [utcnow()]
    lease = timedelta(seconds=30)
    first = LeaseLock(db.engine, "first", lease, clock=lambda: clock[0])
    second = LeaseLock(db.engine, "second", lease, clock=lambda: clock[0])

    assert first.acquire() and not second.acquire()
    clock[0] += timedelta(seconds=20)
    assert first.renew()
    clock[0] += timedelta(seconds=20)  # 40 s after taking it, but renewed at 20 s
    assert first.held and not second.acquire()

    clock[0] += timedelta(seconds=31)  # the holder stopped renewing
    assert not first.held
    assert second.acquire()
    assert not first.renew()
    second.release()
    assert first.acquire()
    first.release()


def test_only_one_runner_lock_at_a_time(app):
    first = runner_lock(db.engine, timedelta(seconds=30))
    second = runner_lock(db.engine, timedelta(seconds=30))
    assert first.acquire()
    try:
        assert not second.acquire()
        assert tick(NOW) == (False, [])
    finally:
        first.release()
    assert second.acquire()
    second.release()


def test_retention_deletes_old_sent_mail_and_spent_login_links_only(app):
    member = MemberFactory()
    old_sent = queue_mail("login", "a@example.dk", member=member, link="x", minutes=30)
    old_sent.sent_at = NOW - timedelta(days=91)
    recent = queue_mail("login", "b@example.dk", member=member, link="x", minutes=30)
    recent.sent_at = NOW - timedelta(days=89)
    unsent = queue_mail("login", "c@example.dk", member=member, link="x", minutes=30)
    unsent.created_at = NOW - timedelta(days=200)

    def token(name: str, expires: datetime, used: datetime | None = None) -> LoginToken:
        row = LoginToken(
            member_id=member.id,
            purpose=TokenPurpose.LOGIN,
            token_hash=name.ljust(64, "0"),
            expires_at=expires,
            used_at=used,
        )
        db.session.add(row)
        return row

    token("used", expires=NOW + timedelta(days=1), used=NOW - timedelta(days=8))
    token("expired", expires=NOW - timedelta(days=8))
    token("fresh", expires=NOW - timedelta(days=6))
    db.session.commit()

    summary = panel_jobs.delete_expired_records(NOW)

    assert summary.startswith("deleted 1 sent mails (0 .eml files), 2 login links,")
    left = db.session.scalars(select(OutboxMessage.to_address).order_by(OutboxMessage.id)).all()
    assert left == ["b@example.dk", "c@example.dk"]
    hashes = db.session.scalars(select(LoginToken.token_hash)).all()
    assert [h.rstrip("0") for h in hashes] == ["fresh"]
    assert db.session.scalar(select(func.count()).select_from(LoginToken)) == 1


@pytest.mark.parametrize("bad", ["yesterday", "2030-13-01"])
def test_tick_refuses_a_time_it_cannot_read(runner, bad):
    result = runner.invoke(args=["waves", "tick", "--now", bad])
    assert result.exit_code == 2
    assert "ISO 8601" in result.output
    assert runs() == []
