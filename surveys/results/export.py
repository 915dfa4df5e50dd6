"""A wave's answers as one table for analysts: a row per completed response, with its weight.

The table carries no member id, name or address: a row is known by its response id only.
Each question gives one or more variables (multiple choice: a 0/1 per option; grid: one per
statement; ranking: a rank per option), as its type declares them
(``QuestionKind.export_columns``), each with a label and, where the values are codes, value
labels, so that CSV, Excel and SPSS (``surveys.results.export_formats``) write the same
table. Raw values are the ones the answering pages store (option codes, numbers, ISO dates);
SPSS gets numbers for codes through ``Variable.codes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from core.i18n import text_in
from extensions import db
from surveys.answering.models import Answer, Response
from surveys.questionnaires.types.columns import NUMERIC, Variable, variable_name
from surveys.results.models import ResponseWeight, Weighting
from surveys.results.respondents import respondent_filter
from surveys.waves.models import Wave

__all__ = ["NUMERIC", "AnswerTable", "Variable", "answer_table"]


@dataclass
class AnswerTable:
    title: str
    variables: list[Variable]
    rows: list[list[Any]]


def answer_table(wave: Wave, language: str) -> AnswerTable:
    """Every completed, non-public response of the wave with its weight and answers."""
    weighting = db.session.scalar(select(Weighting).filter_by(wave_id=wave.id))
    attribute_keys = list(weighting.attribute_keys) if weighting else []
    base = [
        Variable("response_id", _("Response"), NUMERIC),
        Variable("mode", _("How the answers were given")),
        *(Variable(variable_name(key), key) for key in attribute_keys),
        Variable("weight", _("Weight"), NUMERIC),
    ]
    per_question = [
        (question, question.kind.export_columns(question, language))
        for question in wave.questionnaire.questions
        if question.kind.answerable
    ]
    weight_join = ResponseWeight.response_id == Response.id
    if weighting is not None:
        weight_join &= ResponseWeight.weighting_id == weighting.id
    else:
        weight_join &= ResponseWeight.weighting_id.is_(None)
    responses = db.session.execute(
        select(Response.id, Response.mode, Response.attributes, ResponseWeight.weight)
        .outerjoin(ResponseWeight, weight_join)
        .where(*respondent_filter(wave.id))
        .order_by(Response.id)
    ).all()
    answers: dict[int, dict[str, Any]] = {}
    for response_id, key, value in db.session.execute(
        select(Answer.response_id, Answer.question_key, Answer.value)
        .join(Response, Response.id == Answer.response_id)
        .where(*respondent_filter(wave.id))
    ):
        answers.setdefault(response_id, {})[key] = value
    rows = []
    for response_id, mode, attributes, weight in responses:
        given = answers.get(response_id, {})
        row: list[Any] = [response_id, mode.value]
        row += [(attributes or {}).get(key) for key in attribute_keys]
        row.append(weight)
        for question, readers in per_question:
            value = given.get(question.key)
            row += [None if value is None else read(value) for _variable, read in readers]
        rows.append(row)
    variables = base + [v for _question, pairs in per_question for v, _read in pairs]
    return AnswerTable(text_in(wave.questionnaire.title, language) or wave.name, variables, rows)
