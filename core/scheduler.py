"""Who runs the jobs: one runner at a time, chosen by a lock in the database.

``flask --app app waves tick`` and the long-running scheduler (``flask --app app
scheduler``, or a thread in each web worker with SCHEDULER_ENABLED) both take the
*runner lock* before running anything, so however many processes try, one runs jobs:

- on PostgreSQL an advisory lock (``pg_try_advisory_lock``) held by a dedicated
  connection; it goes away with the connection, so a crashed holder frees it at once;
- elsewhere (SQLite) a row in ``scheduler_lock`` with an owner and a lease expiry that a
  heartbeat renews; a crashed holder's lease runs out after SCHEDULER_LOCK_LEASE_SECONDS.

The long-running scheduler stands by until it gets the lock, then starts APScheduler
with its job store in our database (table ``apscheduler_jobs``, so the tick job and its
next run time survive restarts) and a single job that calls ``run_due(utcnow())`` every
SCHEDULER_TICK_SECONDS. Only the lock holder starts APScheduler, so the job store is
never shared by two live schedulers. What is due is decided by ``core.jobs``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
from sqlalchemy import (
    Column,
    DateTime,
    Float,
    LargeBinary,
    String,
    Table,
    Unicode,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.jobs import run_due
from extensions import Base, db

log = logging.getLogger(__name__)

#: The id of APScheduler's one job in the job store.
TICK_JOB_ID = "borgerpanel.tick"
#: The PostgreSQL advisory lock key: any fixed 64-bit number unique to this use.
ADVISORY_KEY = 0x426F7267_53636865
LOCK_NAME = "runner"
_starting = threading.Lock()

#: APScheduler's job table, declared here as SQLAlchemyJobStore would create it, so our
#: migrations build it and the schema test compares it like any other table.
apscheduler_jobs = Table(
    "apscheduler_jobs",
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class SchedulerLock(Base):
    """The runner lock on databases without advisory locks: one row, held by lease."""

    __tablename__ = "scheduler_lock"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: The holding process (host:pid:random).
    owner: Mapped[str] = mapped_column(String(120))
    acquired_at: Mapped[datetime] = mapped_column(DateTime)
    #: The holder must renew before this; after it anyone may take the lock.
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class RunnerLock(Protocol):
    owner: str

    def acquire(self) -> bool:
        """Take the lock if free; never waits."""
        ...

    def renew(self) -> bool:
        """The heartbeat: False once the lock is lost."""
        ...

    @property
    def held(self) -> bool: ...

    def release(self) -> None: ...


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class AdvisoryLock:
    """PostgreSQL session advisory lock, held by a connection of its own."""

    def __init__(self, engine: Engine, owner: str) -> None:
        self.engine = engine
        self.owner = owner
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        connection = self.engine.connect()
        got = connection.scalar(select(func.pg_try_advisory_lock(ADVISORY_KEY)))
        connection.commit()
        if got:
            self._connection = connection
        else:
            connection.close()
        return bool(got)

    def renew(self) -> bool:
        if self._connection is None:
            return False
        try:
            self._connection.scalar(select(1))
            self._connection.commit()
        except DBAPIError:
            log.warning("lost the connection that holds the runner lock")
            self._connection.invalidate()
            self._connection = None
        return self._connection is not None

    @property
    def held(self) -> bool:
        return self._connection is not None

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.scalar(select(func.pg_advisory_unlock(ADVISORY_KEY)))
            connection.commit()
        except DBAPIError:
            connection.invalidate()  # a dead connection holds no lock; never pool it
        connection.close()


class LeaseLock:
    """A lock row with a lease, for SQLite; each statement is atomic on its own."""

    def __init__(
        self,
        engine: Engine,
        owner: str,
        lease: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.owner = owner
        self.lease = lease
        self.clock = clock
        self._expires_at: datetime | None = None

    def acquire(self) -> bool:
        now = self.clock()
        values = {"owner": self.owner, "acquired_at": now, "expires_at": now + self.lease}
        with self.engine.begin() as connection:
            taken = connection.execute(
                update(SchedulerLock)
                .where(
                    SchedulerLock.name == LOCK_NAME,
                    or_(SchedulerLock.expires_at < now, SchedulerLock.owner == self.owner),
                )
                .values(**values)
            ).rowcount
        if not taken:
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(SchedulerLock).values(name=LOCK_NAME, **values))
            except IntegrityError:
                return False  # someone holds it (or took it a moment ago)
        self._expires_at = now + self.lease
        return True

    def renew(self) -> bool:
        if self._expires_at is None:
            return False
        now = self.clock()
        with self.engine.begin() as connection:
            renewed = connection.execute(
                update(SchedulerLock)
                .where(SchedulerLock.name == LOCK_NAME, SchedulerLock.owner == self.owner)
                .values(expires_at=now + self.lease)
            ).rowcount
        self._expires_at = now + self.lease if renewed else None
        if not renewed:
            log.warning("the runner lock was taken over after our lease ran out")
        return bool(renewed)

    @property
    def held(self) -> bool:
        """Held while the lease we last wrote has not run out."""
        return self._expires_at is not None and self.clock() < self._expires_at

    def release(self) -> None:
        self._expires_at = None
        with self.engine.begin() as connection:
            connection.execute(
                delete(SchedulerLock).where(
                    SchedulerLock.name == LOCK_NAME, SchedulerLock.owner == self.owner
                )
            )


def runner_lock(engine: Engine, lease: timedelta, owner: str | None = None) -> RunnerLock:
    """The runner lock that suits the database behind ``engine``."""
    owner = owner or new_owner()
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine, owner)
    return LeaseLock(engine, owner, lease)


def _lease() -> timedelta:
    return timedelta(seconds=float(current_app.config["SCHEDULER_LOCK_LEASE_SECONDS"]))


@contextmanager
def holding_runner_lock() -> Iterator[RunnerLock | None]:
    """The runner lock, renewed by a heartbeat thread while held; None if someone has it."""
    lease = _lease()
    lock = runner_lock(db.engine, lease)
    if not lock.acquire():
        yield None
        return
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(lease.total_seconds() / 3):
            try:
                if not lock.renew():
                    return
            except Exception:  # a busy database: retry at the next beat, the lease has slack
                log.exception("renewing the runner lock failed")

    beat = threading.Thread(target=heartbeat, name="runner-lock-heartbeat", daemon=True)
    beat.start()
    try:
        yield lock
    finally:
        stop.set()
        beat.join()
        lock.release()


def tick(now: datetime | None = None) -> tuple[bool, list[Any]]:
    """Run what is due at ``now`` (default: the real time) if we get the runner lock.

    Returns (whether we got the lock, the runs). The one entry point of ``waves tick``
    and of APScheduler's job.
    """
    with holding_runner_lock() as lock:
        if lock is None:
            return False, []
        return True, run_due(now or utcnow(), lock.owner, keep_going=lambda: lock.held)


def scheduled_tick() -> None:
    """APScheduler's job (referenced by name in the job store); runs in the app context."""
    lock = current_app.extensions.get("borgerpanel.runner_lock")
    try:
        if lock is not None and lock.held:
            run_due(utcnow(), lock.owner, keep_going=lambda: lock.held)
    finally:
        db.session.remove()


def build_scheduler(app: Flask) -> BackgroundScheduler:
    """APScheduler with its job store in our database, running jobs in ``app``'s context.

    ``coalesce`` and no misfire grace limit: ticks missed while the process was down run
    once on start; ``run_due`` then catches up each job once.
    """
    store = SQLAlchemyJobStore(engine=db.engine)
    store.jobs_t = apscheduler_jobs  # ours, built by the migrations
    executor = ThreadPoolExecutor(
        max_workers=1, pool_kwargs={"initializer": lambda: app.app_context().push()}
    )
    return BackgroundScheduler(
        jobstores={"default": store},
        executors={"default": executor},
        job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        timezone=ZoneInfo(app.config["SCHEDULER_TIMEZONE"]),
    )


def _ensure_tick_job(scheduler: BackgroundScheduler, seconds: float) -> None:
    """Keep the stored job (and so its next run time) unless its interval changed."""
    job = scheduler.get_job(TICK_JOB_ID)
    if job is not None and job.trigger.interval == timedelta(seconds=seconds):
        return
    scheduler.add_job(
        "core.scheduler:scheduled_tick",
        IntervalTrigger(seconds=seconds),
        id=TICK_JOB_ID,
        replace_existing=True,
        next_run_time=datetime.now(scheduler.timezone),
    )


def run_scheduler(app: Flask, stop: threading.Event) -> None:
    """Stand by for the runner lock, then run APScheduler until ``stop`` or the lock is lost."""
    retry = float(app.config["SCHEDULER_STANDBY_SECONDS"])
    seconds = float(app.config["SCHEDULER_TICK_SECONDS"])
    with app.app_context():
        while not stop.is_set():
            with holding_runner_lock() as lock:
                if lock is None:
                    db.session.remove()
                    stop.wait(retry)
                    continue
                log.info("runner lock taken by %s; starting the scheduler", lock.owner)
                app.extensions["borgerpanel.runner_lock"] = lock
                scheduler = build_scheduler(app)
                scheduler.start(paused=True)
                try:
                    _ensure_tick_job(scheduler, seconds)
                    scheduler.resume()
                    while lock.held and not stop.wait(1):
                        pass
                finally:
                    scheduler.shutdown(wait=True)
                    app.extensions.pop("borgerpanel.runner_lock", None)
                    db.session.remove()
                log.info("scheduler stopped (%s)", "asked to" if stop.is_set() else "lock lost")


def start_in_background(app: Flask) -> threading.Event:
    """Run the scheduler on a daemon thread of this (web worker) process, once.

    Returns the event that stops it; a worker that just exits needs no clean-up, since
    its lock goes with its connection (PostgreSQL) or its lease runs out (SQLite).
    """
    with _starting:
        thread: threading.Thread | None = app.extensions.get("borgerpanel.scheduler_thread")
        if thread is None or not thread.is_alive():
            stop = threading.Event()
            thread = threading.Thread(
                target=run_scheduler, args=(app, stop), name="scheduler", daemon=True
            )
            app.extensions["borgerpanel.scheduler_thread"] = thread
            app.extensions["borgerpanel.scheduler_stop"] = stop
            thread.start()
        stopper: threading.Event = app.extensions["borgerpanel.scheduler_stop"]
        return stopper
