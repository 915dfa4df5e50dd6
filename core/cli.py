"""Command-line tools for the job runner: ``flask --app app jobs tick`` and ``scheduler``.

``flask --app app waves tick`` is kept as an alias of ``jobs tick`` for existing cron lines."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

jobs_cli = AppGroup("jobs", help="The scheduled jobs.")
#: The old name of ``jobs``, kept so cron lines written for it keep working.
waves_cli = AppGroup("waves", help="Alias of `jobs` (waves are run by the scheduled jobs).")


class IsoTime(click.ParamType):
    """An ISO 8601 time; with an offset (or Z) it is converted to UTC, without one it is UTC."""

    name = "ISO-TIME"

    def convert(self, value: Any, param: Any, ctx: Any) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 time, e.g. 2027-03-01T08:00Z", param, ctx)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment


@jobs_cli.command("tick")
@click.option("--now", type=IsoTime(), default=None, help="Act as at this time (default: now).")
def tick_command(now: datetime | None) -> None:
    """Run every scheduled job that is due, once, and exit (for cron, operators and tests)."""
    from core.scheduler import tick

    got_lock, runs = tick(now)
    if not got_lock:
        click.echo("skipped: another runner holds the lock")
        return
    for run in runs:
        click.echo(f"{run.job_id}: {run.outcome.value} ({run.summary or run.error or ''})")
    if not runs:
        click.echo("nothing due")


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduler in the foreground until stopped (SIGTERM or Ctrl-C)."""
    from core.scheduler import run_scheduler

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = threading.Event()

    def ask_to_stop(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, ask_to_stop)
    signal.signal(signal.SIGINT, ask_to_stop)
    click.echo("scheduler running; stop it with Ctrl-C")
    run_scheduler(app, stop)
    click.echo("scheduler stopped")


waves_cli.add_command(tick_command)


def register_commands(app: Flask) -> None:
    app.cli.add_command(jobs_cli)
    app.cli.add_command(waves_cli)
    app.cli.add_command(scheduler_command)
