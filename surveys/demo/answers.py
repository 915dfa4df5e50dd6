"""Synthetic answers for the demo's closed waves, so the results pages have something to show.

The answers are made the way real ones differ, so that weighting and trends visibly
matter: older and more educated members answer more often (the completed sample is
skewed), opinions follow demographics (older people are more satisfied with the
hospitals, young people in Aarhus take the bus more), and the later wave differs from
the earlier one on the tracked trust question. Values are drawn with numpy for all
respondents at once; only the conditions (``surveys.questionnaires.conditions.visible``) are checked
per respondent, since they depend on that respondent's earlier answers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert, select, update

from extensions import db
from panel.demographics.attributes import load_attributes, weighting_attributes
from panel.members.models import Member
from surveys.answering.models import Answer, Response, ResponseMode
from surveys.demo.questionnaire import AGREE
from surveys.questionnaires.conditions import visible
from surveys.questionnaires.models import Questionnaire
from surveys.questionnaires.questions import option_order
from surveys.waves.models import Invitation, Wave

log = logging.getLogger(__name__)

_EDUCATION = {"basic": 0, "upper": 1, "short": 2, "long": 3}
#: A typical postcode per municipality code, for the short text question.
_POSTCODES = {
    "710": "8382", "766": "8722", "657": "7400", "661": "7500", "615": "8700", "756": "7430",
    "665": "7620", "707": "8500", "727": "8300", "730": "8900", "760": "6950", "741": "8305",
    "740": "8600", "746": "8660", "779": "7800", "671": "7600", "706": "8400", "791": "8800",
    "751": "8000",
}  # fmt: skip
_STORIES = {
    "da": [
        "Personalet var venligt, men jeg ventede længe i skadestuen.",
        "God behandling, men svært at finde parkering.",
        "Jeg fik hurtigt en tid, og lægen tog sig god tid.",
        "Det var forvirrende, at jeg mødte en ny læge hver gang.",
    ],
    "en": [
        "Friendly staff, but a long wait in the emergency department.",
        "Good care, but hard to find somewhere to park.",
        "I got an appointment quickly and the doctor took her time.",
    ],
}
_COMMENTS = {
    "da": [
        "Flere busser om aftenen, tak.",
        "Bevar de små sygehuse tæt på os.",
        "Godt at I spørger borgerne.",
        "Letbanen burde gå helt til Silkeborg.",
    ],
    "en": ["More evening buses, please.", "Good that you ask citizens."],
}


def _logistic(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def _invited(wave: Wave) -> list[Any]:
    return list(
        db.session.execute(
            select(
                Invitation.id,
                Invitation.member_id,
                Invitation.invited_at,
                Member.birth_year,
                Member.attributes,
                Member.language,
            )
            .join(Member, Member.id == Invitation.member_id)
            .where(Invitation.wave_id == wave.id, Invitation.invited_at.is_not(None))
            .order_by(Invitation.id)
        )
    )


def _candidates(
    rng: np.random.Generator, people: dict[str, np.ndarray], on: date, wave_number: int
) -> dict[str, list[Any]]:
    """A value for every question and respondent; conditions decide later which count."""
    age, edu, female, aarhus = people["age"], people["edu"], people["female"], people["aarhus"]
    n = len(age)
    young, old = age < 30, age >= 60
    values: dict[str, list[Any]] = {}

    contact = rng.random(n)
    p_self = 0.2 + 0.004 * (age - 18)
    values["hospital_contact"] = np.where(
        contact < p_self, "self", np.where(contact < p_self + 0.3, "family", "no")
    ).tolist()
    satisfaction = np.clip(np.rint(3.1 + 0.025 * (age - 45) + rng.normal(0, 0.9, n)), 1, 5)
    values["hospital_satisfaction"] = _with_dont_know(rng, satisfaction, 0.04)
    trust = 6.4 + 0.03 * (age - 45) + 0.25 * edu - 0.8 * wave_number + rng.normal(0, 1.6, n)
    values["health_trust"] = _with_dont_know(rng, np.clip(np.rint(trust), 0, 10), 0.03)
    codes = ["short_wait", "near_home", "same_staff", "digital"]
    scores = np.column_stack(
        [
            np.full(n, 0.8),
            0.2 + 1.2 * old - 0.6 * aarhus,
            0.3 + 0.6 * old,
            0.6 * young + 0.2 * edu - 0.8 * old,
        ]
    ) + rng.gumbel(size=(n, 4))
    ranks = np.argsort(np.argsort(-scores, axis=1), axis=1) + 1
    values["hospital_priorities"] = [dict(zip(codes, map(int, r), strict=True)) for r in ranks]
    days_ago = rng.integers(3, 360, n)
    values["last_visit"] = [(on - timedelta(days=int(d))).isoformat() for d in days_ago]
    values["visit_story"] = _texts(rng, people["language"], _STORIES, 0.3)

    modes = ["car", "bus", "train", "light_rail", "bike", "walk"]
    chance = np.column_stack(
        [
            0.8 - 0.35 * aarhus - 0.25 * young,
            0.12 + 0.15 * young + 0.12 * aarhus + 0.3 * (young & aarhus) + 0.1 * old,
            0.15 + 0.05 * edu,
            0.03 + 0.25 * aarhus,
            0.3 + 0.15 * aarhus - 0.15 * old,
            0.3 + 0.1 * old,
        ]
    )
    chosen = rng.random((n, len(modes))) < np.clip(chance, 0.01, 0.95)
    values["transport_modes"] = [_up_to_three(rng, modes, row) for row in chosen]
    trips = rng.poisson(2 + 3 * aarhus + 4 * (young & aarhus))
    values["bus_trips"] = np.clip(trips, 0, 50).tolist()
    agree = [code for code, _label in AGREE]
    grid = {
        "on_time": 3.0 - 0.3 * aarhus + 0.4 * wave_number,
        "frequent": 2.6 + 0.8 * aarhus,
        "price": 2.7 + 0.4 * old,
        "safe": 3.9 + 0.2 * old - 0.3 * female * young,
    }
    levels = {
        s: np.clip(np.rint(m + rng.normal(0, 1, n)), 1, 5).astype(int) for s, m in grid.items()
    }
    values["bus_statements"] = [{s: agree[levels[s][i] - 1] for s in grid} for i in range(n)]
    own = people["municipality"]
    goes = rng.random(n)
    destination = np.where(goes < 0.55, own, np.where(goes < 0.85, "751", "outside")).tolist()
    values["commute_to"] = [
        place if answers else None
        for place, answers in zip(destination, rng.random(n) < 0.75, strict=True)
    ]

    worry = 3.0 - 0.015 * (age - 45) + 0.25 * edu + 0.3 * female + rng.normal(0, 0.9, n)
    values["climate_worry"] = np.clip(np.rint(worry), 1, 5).astype(int).tolist()
    priorities = ["transport", "flooding", "energy", "nature", "hospitals"]
    weights = np.column_stack(
        [0.25 + 0.2 * young + 0.1 * aarhus, 0.2 + 0.1 * old, np.full(n, 0.3), 0.2 + 0.05 * edu,
         np.full(n, 0.08)]
    )  # fmt: skip
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    picks = (rng.random((n, 1)) > cumulative).sum(axis=1)
    values["climate_priority"] = [priorities[min(int(p), 4)] for p in picks]
    values["postcode"] = [
        _POSTCODES.get(code, "8000") if answer else None
        for code, answer in zip(own, rng.random(n) < 0.7, strict=True)
    ]
    values["comments"] = _texts(rng, people["language"], _COMMENTS, 0.15)
    return values


def _with_dont_know(rng: np.random.Generator, points: np.ndarray, share: float) -> list[Any]:
    unsure = rng.random(len(points)) < share
    return [("dont_know" if u else int(p)) for p, u in zip(points, unsure, strict=True)]


def _texts(
    rng: np.random.Generator, languages: np.ndarray, pool: dict[str, list[str]], share: float
) -> list[str | None]:
    answers = rng.random(len(languages)) < share
    picks = rng.integers(0, 1000, len(languages))
    return [
        pool[lang][pick % len(pool[lang])] if answer else None
        for lang, answer, pick in zip(languages, answers, picks, strict=True)
    ]


def _up_to_three(rng: np.random.Generator, modes: list[str], row: np.ndarray) -> list[str]:
    picked = [mode for mode, on in zip(modes, row, strict=True) if on] or ["car"]
    if len(picked) > 3:
        picked = [picked[i] for i in sorted(rng.choice(len(picked), 3, replace=False))]
    return picked


def _visible_answers(
    questionnaire: Questionnaire, values: dict[str, list[Any]], i: int
) -> dict[str, Any]:
    """Respondent ``i``'s answers, page by page, leaving out what their conditions hide."""
    answers: dict[str, Any] = {}
    for page in questionnaire.pages:
        if not visible(page.condition, answers):
            continue
        for question in page.questions:
            if not question.kind.answerable:
                continue
            value = values[question.key][i]
            if value is not None and visible(question.condition, answers):
                answers[question.key] = value
    return answers


def synthesise_answers(wave: Wave, rng: np.random.Generator, wave_number: int) -> int:
    """Complete responses for some of ``wave``'s invitations; returns how many. No commit.

    Who answers depends on age and education; the rest never opened their link.
    """
    questionnaire = wave.questionnaire
    rows = _invited(wave)
    if not rows:
        return 0
    opened = wave.opened_at or wave.invite_at
    on = opened.date()
    age = np.array([on.year - (r.birth_year or on.year - 45) for r in rows], dtype=float)
    edu = np.array([_EDUCATION.get(r.attributes.get("education"), 1) for r in rows], dtype=float)
    propensity = _logistic(-0.75 + 0.03 * (age - 45) + 0.35 * (edu - 1.5))
    answered = rng.random(len(rows)) < propensity
    rows = [r for r, a in zip(rows, answered, strict=True) if a]
    people = {
        "age": age[answered],
        "edu": edu[answered],
        "female": np.array([r.attributes.get("gender") == "f" for r in rows]),
        "aarhus": np.array([r.attributes.get("municipality") == "751" for r in rows]),
        "municipality": np.array([str(r.attributes.get("municipality", "")) for r in rows]),
        "language": np.array([r.language for r in rows], dtype=object),
    }
    values = _candidates(rng, people, on, wave_number)
    window = max((wave.closes_at - opened).total_seconds() / 86400 - 0.5, 1.0)
    delays = np.minimum(rng.exponential(window / 5, len(rows)), window)
    minutes = rng.uniform(4, 16, len(rows))
    attributes = load_attributes()
    responses = []
    for row, delay, took in zip(rows, delays, minutes, strict=True):
        started = row.invited_at + timedelta(days=float(delay))
        completed = started + timedelta(minutes=float(took))
        responses.append(
            {
                "questionnaire_id": questionnaire.id,
                "wave_id": wave.id,
                "invitation_id": row.id,
                "mode": ResponseMode.WEB,
                "member_id": row.member_id,
                "language": row.language,
                "current_page": len(questionnaire.pages),
                "attributes": weighting_attributes(
                    row.birth_year, row.attributes, attributes, on=on
                ),
                "started_at": started,
                "updated_at": completed,
                "completed_at": completed,
            }
        )
    ids = db.session.scalars(
        insert(Response).returning(Response.id, sort_by_parameter_order=True), responses
    ).all()
    _insert_answers(questionnaire, values, ids)
    db.session.execute(
        update(Invitation),
        [
            {
                "id": r["invitation_id"],
                "started_at": r["started_at"],
                "completed_at": r["completed_at"],
            }
            for r in responses
        ],
    )
    log.info("demo: %s synthetic responses to wave %s", len(ids), wave.id)
    return len(ids)


def _insert_answers(
    questionnaire: Questionnaire, values: dict[str, list[Any]], ids: Sequence[int]
) -> None:
    shuffled = [q for q in questionnaire.questions if q.randomise_options]
    rows: list[dict[str, Any]] = []
    for i, response_id in enumerate(ids):
        answers = _visible_answers(questionnaire, values, i)
        orders: dict[str, list[str] | None] = {
            q.key: [o.code for o in option_order(q, response_id)] for q in shuffled
        }
        rows.extend(
            {
                "response_id": response_id,
                "question_key": key,
                "value": value,
                "shown_order": orders.get(key),
            }
            for key, value in answers.items()
        )
    if rows:
        db.session.execute(insert(Answer), rows)
