"""The waves' scheduled job: plan, open, invite, remind and close whatever is due.

One job, every quarter of an hour, registered with ``core.jobs`` so that it runs
exactly once per slot under the runner lock, in the same tick before mail delivery.
Every step looks at the database, not at what ran before: a planned wave whose time has
come is opened, an open wave's unsent invitations are sent, reminders go to those due,
waves past their closing time are closed. So a second tick does nothing new, a tick
after downtime catches up once, and a tick after a crash finishes the work.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from core.jobs import Every, ScheduledJob, register
from extensions import db
from surveys.waves.models import Wave, WavePlan, WaveState
from surveys.waves.operations import close_wave, open_wave, send_invitations, send_reminders
from surveys.waves.sampling import WaveError

log = logging.getLogger(__name__)

#: A plan keeps this many future waves planned, so staff see them on the calendar.
WAVES_AHEAD = 2
#: The sample design a new wave copies from its plan.
DESIGN = (
    "stratify_by",
    "completes_wanted",
    "allocation_mode",
    "default_response_rate",
    "soft_launch_share",
    "invitation_gap_days",
    "max_invitations_per_year",
    "filters",
    "reminder_after_days",
    "max_reminders",
)


def occurrences(plan: WavePlan, after: date, count: int) -> list[date]:
    """The next ``count`` days on or after ``after`` when ``plan`` starts a wave."""
    days: list[date] = []
    year = after.year
    while len(days) < count and year <= after.year + 10:
        for month in sorted(plan.months):
            first = date(year, month, 1)
            offset = (plan.weekday - first.weekday()) % 7
            day = first + timedelta(days=offset + 7 * (plan.week_of_month - 1))
            if day >= after and len(days) < count:
                days.append(day)
        year += 1
    return days


def _utc(day: date, plan: WavePlan) -> datetime:
    zone = ZoneInfo(current_app.config["SCHEDULER_TIMEZONE"])
    local = datetime.combine(day, plan.invitation_time, tzinfo=zone)
    return local.astimezone(UTC).replace(tzinfo=None)


def wave_name(plan_name: str, day: date) -> str:
    """A planned wave's name: the plan's and the month, in the region's own language."""
    language = current_app.config.get("BABEL_DEFAULT_LOCALE", "da")
    return f"{plan_name} {format_date(day, 'MMMM y', locale=language)}"


def wave_from_plan(
    plan: WavePlan, name: str, invite_at: datetime, closes_at: datetime | None = None, **extra: Any
) -> Wave:
    """A wave with the plan's questionnaire and sample design, open for the plan's
    ``open_days`` (unless ``closes_at`` says otherwise), its results due
    ``results_after_days`` after closing; ``extra`` sets or overrides other columns.

    The one place a plan's settings become a wave's: the scheduler, the API and the demo
    all come here. The caller commits.
    """
    closes_at = closes_at or invite_at + timedelta(days=plan.open_days)
    if closes_at <= invite_at:
        raise WaveError(_("The wave must close after the invitations go out."))
    values: dict[str, Any] = {
        "results_published_on": closes_at.date() + timedelta(days=plan.results_after_days),
        **{key: getattr(plan, key) for key in DESIGN},
        **extra,
    }
    wave = Wave(
        name=name,
        questionnaire_id=plan.questionnaire_id,
        plan_id=plan.id,
        invite_at=invite_at,
        closes_at=closes_at,
        **values,
    )
    db.session.add(wave)
    db.session.flush()
    return wave


def plan_next_waves(plan: WavePlan, now: datetime) -> list[Wave]:
    """Create the plan's next WAVES_AHEAD waves that do not exist yet; the caller commits.

    A wave is known by the plan's date it was made for (``plan_occurrence``, unique per
    plan), so moving or cancelling a wave never makes the plan create it again.
    """
    created = []
    upcoming = [
        (day, invite_at)
        for day in occurrences(plan, now.date(), WAVES_AHEAD + 1)
        if (invite_at := _utc(day, plan)) > now
    ]
    for day, invite_at in upcoming[:WAVES_AHEAD]:
        if db.session.scalar(select(Wave.id).filter_by(plan_id=plan.id, plan_occurrence=day)):
            continue
        wave = wave_from_plan(plan, wave_name(plan.name, day), invite_at, plan_occurrence=day)
        created.append(wave)
        log.info("plan %s: planned wave %s for %s", plan.id, wave.id, day)
    return created


def run_waves(now: datetime) -> str:
    """Everything about waves that is due at ``now``; each step is idempotent.

    Runs outside any request, so messages for the log are in English.
    """
    with force_locale("en"):
        return _run_waves(now)


def _run_waves(now: datetime) -> str:
    planned = 0
    for plan in db.session.scalars(select(WavePlan).filter_by(enabled=True)):
        planned += len(plan_next_waves(plan, now))
    db.session.commit()

    due = select(Wave).order_by(Wave.invite_at, Wave.id)
    opened = invited = reminded = closed = 0
    failed: list[int] = []
    for wave in db.session.scalars(
        due.where(Wave.state == WaveState.PLANNED, Wave.invite_at <= now, Wave.closes_at > now)
    ).all():
        try:
            invited += open_wave(wave, now)
        except WaveError as error:  # staff must fix the design; the others go ahead
            db.session.rollback()
            log.error("wave %s cannot open: %s", wave.id, error)
            failed.append(wave.id)
            continue
        opened += 1
    for wave in db.session.scalars(due.where(Wave.state == WaveState.OPEN)).all():
        if wave.closes_at <= now:
            close_wave(wave, now)
            db.session.commit()
            closed += 1
            continue
        invited += send_invitations(wave, now)
        reminded += send_reminders(wave, now)
    return (
        f"planned {planned}, opened {opened}, invited {invited}, "
        f"reminded {reminded}, closed {closed}"
        + (f"; cannot open waves {failed}" if failed else "")
    )


def register_jobs() -> None:
    """Every 15 minutes: plan, open, remind and close whatever waves are due."""
    register(ScheduledJob("waves", Every(timedelta(minutes=15)), run_waves, order=10))
