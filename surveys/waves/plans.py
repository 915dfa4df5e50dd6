"""Staff changes to wave plans: create, edit, enable and disable.

A plan only shapes waves it has not created yet (each wave copies the design when it is
made), so editing or disabling a plan leaves its planned waves' design alone: staff move
or cancel those on their own pages. Only a planned wave for a date the edited plan no
longer has is cancelled, so the plan's new dates do not come on top of the old ones.
Whenever an enabled plan is saved its coming waves are planned at once, as the
scheduler's next tick would, so staff see them on the calendar straight away. The
functions flush; the caller commits.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select

from extensions import db
from surveys.questionnaires.models import Questionnaire
from surveys.waves.jobs import occurrences, plan_next_waves
from surveys.waves.models import Wave, WavePlan, WaveState
from surveys.waves.operations import ensure_sendable

log = logging.getLogger(__name__)


def create_plan(
    questionnaire: Questionnaire, now: datetime, **fields: Any
) -> tuple[WavePlan, list[Wave]]:
    """A new, enabled plan, and the waves it planned at once (its next two)."""
    ensure_sendable(questionnaire)
    plan = WavePlan(questionnaire=questionnaire, enabled=True, **fields)
    db.session.add(plan)
    db.session.flush()
    log.info("wave plan %s created: %s", plan.id, plan.name)
    return plan, plan_next_waves(plan, now)


def update_plan(
    plan: WavePlan, questionnaire: Questionnaire, now: datetime, **fields: Any
) -> tuple[list[Wave], list[Wave]]:
    """New settings for the waves the plan creates from now on.

    Returns the waves planned at once and those cancelled: a planned (not paused) wave
    made for a date the plan no longer has would otherwise sit beside the new date's
    wave, so it is cancelled. Any other wave of the plan is left as it is.
    """
    ensure_sendable(questionnaire)
    plan.questionnaire = questionnaire
    for key, value in fields.items():
        setattr(plan, key, value)
    db.session.flush()
    cancelled = []
    for wave in db.session.scalars(
        select(Wave).where(
            Wave.plan_id == plan.id, Wave.state == WaveState.PLANNED, Wave.invite_at > now
        )
    ):
        day = wave.plan_occurrence
        if day is not None and occurrences(plan, day, 1) != [day]:
            wave.cancel()
            cancelled.append(wave)
            log.info("wave %s cancelled: plan %s no longer has %s", wave.id, plan.id, day)
    db.session.flush()
    log.info("wave plan %s changed", plan.id)
    return (plan_next_waves(plan, now) if plan.enabled else []), cancelled


def enable_plan(plan: WavePlan, now: datetime) -> list[Wave]:
    """The plan creates waves again; returns those planned at once."""
    plan.enabled = True
    db.session.flush()
    log.info("wave plan %s enabled", plan.id)
    return plan_next_waves(plan, now)


def disable_plan(plan: WavePlan) -> None:
    """No new waves from this plan; those already planned stay as they are."""
    plan.enabled = False
    log.info("wave plan %s disabled", plan.id)
