"""Builders for waves: a ready questionnaire, a wave opening at ``NOW``, members to draw."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from extensions import db
from panel.members.models import Member
from surveys.questionnaires.models import Questionnaire
from surveys.questionnaires.operations import mark_ready
from surveys.waves.models import (
    AllocationMode,
    Wave,
)
from tests.factories import MemberFactory
from tests.questionnaire_sample import sample_questionnaire

#: Monday 1 March 2027, 08:00 in Copenhagen.
NOW = datetime(2027, 3, 1, 7, 0)
#: Later than core.clock's now in tests, so the waves are coming.
FUTURE = datetime(2099, 3, 2, 7, 0)


def ready_questionnaire() -> Questionnaire:
    questionnaire = sample_questionnaire()
    mark_ready(questionnaire)
    return questionnaire


def make_wave(questionnaire: Questionnaire, **design: Any) -> Wave:
    """A wave opening at NOW; each test states the design values it depends on."""
    values: dict[str, Any] = {
        "name": "Transport 2027",
        "questionnaire": questionnaire,
        "invite_at": NOW,
        "closes_at": NOW + timedelta(days=14),
        "stratify_by": ["gender"],
        "allocation_mode": AllocationMode.PROPORTIONAL_PANEL,
        "default_response_rate": 1.0,
        "invitation_gap_days": 90,
        "max_invitations_per_year": 3,
        "reminder_after_days": 3,
        "max_reminders": 2,
    }
    values.update(design)
    wave = Wave(**values)
    db.session.add(wave)
    db.session.flush()
    return wave


def members(count: int, **fields: Any) -> list[Member]:
    """``count`` members alternating gender and two municipalities."""
    made = []
    for i in range(count):
        attributes = {
            "gender": "fm"[i % 2],
            "municipality": ("751", "740")[(i // 2) % 2],
            "education": "short",
        }
        made.append(MemberFactory(attributes=attributes, **fields))
    return made


def coming_wave(**design: Any) -> Wave:
    """A committed wave of a ready questionnaire, opening at ``FUTURE``."""
    questionnaire = ready_questionnaire()
    design.setdefault("invite_at", FUTURE)
    design.setdefault("closes_at", FUTURE + timedelta(days=14))
    wave = make_wave(questionnaire, **design)
    db.session.commit()
    return wave
