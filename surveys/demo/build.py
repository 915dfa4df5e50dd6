"""The demo's questionnaire and waves: two closed waves with answers, one open, two planned.

``panel.demo.build_demo`` calls ``build_demo_surveys`` after the panel exists. The waves
are made by the real functions, run at the moments they would have run (a wave is opened
at its own invitation time), so the invitations, their strata and the response rates a
later wave learns from are what the scheduler would have produced. Invitation mails of the
past waves are marked sent when they were; those of the open wave wait in the outbox like
any other mail.

Idempotent: the wave plan is the demo's anchor. Once it exists nothing new is created;
a run after an interrupted one only finishes the waves the demo made.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from flask_babel import force_locale
from sqlalchemy import func, select, update

from core.clock import utcnow
from extensions import db
from panel.demo import build_demo_panel
from panel.demographics.composition import latest_population_table
from panel.mail.models import OutboxMessage
from panel.mail.outbox import absolute_url
from panel.members.models import Member
from surveys.answering.models import Response
from surveys.demo.answers import synthesise_answers
from surveys.demo.questionnaire import demo_questionnaire
from surveys.results.models import Weighting, WeightingMethod
from surveys.results.weighting import weight_wave
from surveys.waves.jobs import occurrences, plan_next_waves, wave_from_plan, wave_name
from surveys.waves.models import Invitation, Wave, WavePlan, WaveState
from surveys.waves.operations import (
    close_wave,
    local_to_utc,
    open_wave,
    personal_token,
)

log = logging.getLogger(__name__)
#: The attributes the demo's closed waves are weighted on.
DEMO_WEIGHTING = ("age", "gender", "education")

DEMO_PLAN_NAME = "Borgerpanelet (demo)"
#: The open wave went out this many days ago and closes this many days after it went out.
OPENED_DAYS_AGO = 4
OPEN_WAVE_DAYS = 18
#: Answer links printed by ``flask --app app demo``.
ANSWER_LINKS = 5


def build_demo(members: int = 2400, seed: int = 2026) -> dict[str, Any]:
    """The demo panel (``panel.demo``) and, on it, the questionnaire and waves; idempotent.

    The waves ask for completes in proportion to the panel, so a small test panel gets
    small waves. Returns the logins and the answer links that ``flask demo`` prints.
    """
    info = build_demo_panel(members=members, seed=seed)
    info["answer_links"] = build_demo_surveys(seed, completes=max(20, min(400, members // 6)))
    return info


def build_demo_surveys(seed: int, completes: int) -> list[dict[str, Any]]:
    """Create the demo's questionnaire and waves once; return answer links to the open wave.

    Runs outside any request (the checks word their messages through gettext), so in
    English, as the scheduler's jobs do.
    """
    with force_locale("en"):
        return _build(seed, completes)


def _build(seed: int, completes: int) -> list[dict[str, Any]]:
    plan = db.session.scalar(select(WavePlan).filter_by(name=DEMO_PLAN_NAME))
    if plan is None:
        plan = _create(completes, seed, utcnow())
    _finish(plan, seed)
    plan_next_waves(plan, utcnow())
    db.session.commit()
    return answer_links(plan)


def _create(completes: int, seed: int, now: datetime) -> WavePlan:
    """The questionnaire, a twice-yearly plan, and its past and open waves (still planned)."""
    opens = local_to_utc((now - timedelta(days=OPENED_DAYS_AGO)).date(), time(8, 0))
    closes = opens + timedelta(days=OPEN_WAVE_DAYS)
    questionnaire = demo_questionnaire(results_on=(closes + timedelta(days=60)).date())
    plan = WavePlan(
        name=DEMO_PLAN_NAME,
        questionnaire=questionnaire,
        stratify_by=["age", "gender"],
        completes_wanted=completes,
        default_response_rate=0.4,
    )
    db.session.add(plan)
    db.session.flush()
    past = [
        (day, invite_at)
        for day in occurrences(plan, date(opens.year - 2, 1, 1), 6)
        if (invite_at := local_to_utc(day, plan.invitation_time)) + timedelta(days=plan.open_days)
        < opens
    ][-2:]
    for number, (day, invite_at) in enumerate(past):
        wave_from_plan(
            plan, wave_name(plan.name, day), invite_at, plan_occurrence=day, seed=seed + number
        )
    # between the plan's dates: an extra wave, so that one is open whenever the demo is built
    wave_from_plan(
        plan,
        wave_name(plan.name, opens.date()),
        opens,
        closes,
        results_published_on=questionnaire.results_published_on,
        seed=seed + len(past),
    )
    db.session.commit()
    log.info("demo: questionnaire %s and wave plan %s created", questionnaire.id, plan.id)
    return plan


def _finish(plan: WavePlan, seed: int) -> None:
    """Open the demo's waves at their own time; answer and close those already past."""
    now = utcnow()
    waves = db.session.scalars(
        select(Wave)
        .where(Wave.plan_id == plan.id, Wave.invite_at < plan.created_at)
        .order_by(Wave.invite_at)
    ).all()
    for number, wave in enumerate(waves):
        if wave.state is WaveState.PLANNED:
            before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
            open_wave(wave, wave.invite_at)
            if wave.closes_at <= now:
                _mark_sent(before, wave.invite_at)
        if wave.state is WaveState.OPEN and wave.closes_at <= now:
            answered = select(func.count()).select_from(Response).filter_by(wave_id=wave.id)
            if not db.session.scalar(answered):
                synthesise_answers(wave, np.random.default_rng([seed, number]), number)
            close_wave(wave, wave.closes_at)
            db.session.commit()
        if wave.state is WaveState.CLOSED:
            _weight(wave)


def _weight(wave: Wave) -> None:
    """Weight a closed demo wave, so its results pages show weighted figures at once.

    Raked on age, gender and education: the demo panel is too small to have a respondent
    in every municipality (Samsø has a few thousand adults), and raking needs every level
    of a margin to have one.
    """
    exists = select(Weighting.id).filter_by(wave_id=wave.id)
    table = latest_population_table()
    if table is None or db.session.scalar(exists) is not None:
        return
    weight_wave(wave, WeightingMethod.RAKE, DEMO_WEIGHTING, table)
    db.session.commit()


def _mark_sent(after_id: int, at: datetime) -> None:
    """The invitation mails of a wave in the past went out then, not now."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id > after_id, OutboxMessage.sent_at.is_(None))
        .values(created_at=at, next_attempt_at=at, sent_at=at, attempts=1)
    )
    db.session.commit()


def answer_links(plan: WavePlan, count: int = ANSWER_LINKS) -> list[dict[str, Any]]:
    """Personal answer links of a few members invited to the plan's open wave.

    One English speaker among them when there is one, so both languages can be tried.
    """
    wave = db.session.scalar(
        select(Wave).filter_by(plan_id=plan.id, state=WaveState.OPEN).order_by(Wave.invite_at)
    )
    if wave is None:
        return []
    rows = db.session.execute(
        select(Invitation, Member.language)
        .join(Member, Member.id == Invitation.member_id)
        .where(Invitation.wave_id == wave.id, Invitation.invited_at.is_not(None))
        .where(Invitation.completed_at.is_(None))
        .order_by(Invitation.id)
        .limit(200)
    ).all()
    english = [row for row in rows if row.language == "en"][:1]
    chosen = english + [row for row in rows if row.language != "en"][: count - len(english)]
    return [
        {
            "member": invitation.member_id,
            "language": language,
            "link": absolute_url(f"/a/{personal_token(invitation)}"),
        }
        for invitation, language in sorted(chosen, key=lambda row: row[0].id)
    ]
