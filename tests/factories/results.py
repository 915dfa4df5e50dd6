"""Builders for results: a one-question closed wave, its answers, population figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.demographics.models import PopulationFigure, PopulationTable
from surveys.answering.models import Answer, Response, ResponseMode
from surveys.questionnaires.models import (
    Option,
    Page,
    Question,
    Questionnaire,
    QuestionnaireState,
    QuestionType,
)
from surveys.results.models import WeightingMethod
from surveys.results.weighting import weight_wave
from surveys.waves.models import Wave, WaveState

CLOSED_AT = datetime(2027, 3, 22, 7, 0)


CONCEPT = "5b0a8c7e-0000-4000-8000-000000000001"


def questionnaire(title: str = "Transport", concept: str = CONCEPT) -> Questionnaire:
    """One single-choice question "bus" (yes/no) and one free-text question "wish"."""
    q = Questionnaire(title={"da": title, "en": title}, state=QuestionnaireState.IN_USE)
    page = Page()
    q.pages.append(page)
    bus = Question(
        questionnaire=q, key="bus", concept=concept, type=QuestionType.SINGLE_CHOICE,
        text={"da": "Tager du bussen?", "en": "Do you take the bus?"},
    )  # fmt: skip
    bus.options.extend(
        [Option(code="yes", label={"da": "Ja", "en": "Yes"}),
         Option(code="no", label={"da": "Nej", "en": "No"})]
    )  # fmt: skip
    wish = Question(
        questionnaire=q, key="wish", concept=concept[:-1] + "9", type=QuestionType.LONG_TEXT,
        text={"da": "Ønsker?", "en": "Wishes?"},
    )  # fmt: skip
    page.questions.extend([bus, wish])
    db.session.add(q)
    return q


def closed_wave(name: str = "Spring 2027", closes_at: datetime = CLOSED_AT, **kw: Any) -> Wave:
    wave = Wave(
        name=name, questionnaire=kw.get("questionnaire") or questionnaire(),
        invite_at=closes_at - timedelta(days=21), closes_at=closes_at,
        state=kw.get("state", WaveState.CLOSED),
    )  # fmt: skip
    db.session.add(wave)
    db.session.flush()
    return wave


def answer(wave: Wave, attributes: dict[str, str], bus: str | None, count: int = 1,
           mode: ResponseMode = ResponseMode.WEB, wish: str | None = None) -> None:  # fmt: skip
    """``count`` completed responses with these attributes answering "bus"."""
    for _ in range(count):
        response = Response(
            questionnaire_id=wave.questionnaire_id,
            wave_id=None if mode is ResponseMode.PUBLIC else wave.id,
            mode=mode, attributes=attributes, completed_at=wave.closes_at - timedelta(days=1),
        )  # fmt: skip
        if bus is not None:
            response.answers.append(Answer(question_key="bus", value=bus))
        if wish is not None:
            response.answers.append(Answer(question_key="wish", value=wish))
        db.session.add(response)
    db.session.flush()


def population(counts: dict[str, int], key: str = "gender") -> PopulationTable:
    table = PopulationTable(name="FOLK1A 2027K1", attribute_keys=[key])
    table.figures.extend(
        PopulationFigure(cell={key: code}, count=count) for code, count in counts.items()
    )
    db.session.add(table)
    db.session.flush()
    return table


def education_wave() -> Wave:
    """A closed wave weighted by gender: education long 25 (all "yes"), short 12 (all
    "no"), upper 3 (all "yes"), one with a free-text wish."""
    install_default_attributes()
    wave = closed_wave()
    answer(wave, {"gender": "f", "education": "long"}, "yes", 13, wish="Flere busser til Ry")
    answer(wave, {"gender": "m", "education": "long"}, "yes", 12)
    answer(wave, {"gender": "f", "education": "short"}, "no", 6)
    answer(wave, {"gender": "m", "education": "short"}, "no", 6)
    answer(wave, {"gender": "f", "education": "upper"}, "yes", 3)
    population({"f": 500, "m": 500})
    db.session.commit()
    weight_wave(wave, WeightingMethod.RAKE, ["gender"], db.session.scalar(select(PopulationTable)))
    db.session.commit()
    return wave
