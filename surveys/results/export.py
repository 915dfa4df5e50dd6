"""A wave's answers as one table for analysts: a row per completed response, with its weight.

The table carries no member id, name or address: a row is known by its response id and a
pseudonymous member key (``core.digests``) that pairs a member's answers across waves, and
the weighting's method, variables and targets come with it, so that the margins of error
can be computed again.
Each question gives one or more variables (multiple choice: a 0/1 per option; grid: one per
statement; ranking: a rank per option), as its type declares them
(``QuestionKind.export_columns``), each with a label and, where the values are codes, value
labels, so that CSV, Excel and SPSS (``surveys.results.export_formats``) write the same
table. Raw values are the ones the answering pages store (option codes, numbers, ISO dates);
SPSS gets numbers for codes through ``Variable.codes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from core.digests import member_pseudonym
from core.i18n import text_in
from extensions import db
from panel.demographics.models import PopulationTable
from surveys.answering.models import Answer, Response
from surveys.questionnaires.types.columns import NUMERIC, Variable, variable_name
from surveys.results.models import ResponseWeight, Weighting
from surveys.results.respondents import respondent_filter
from surveys.results.weighting import population_targets
from surveys.waves.models import Invitation, Wave

__all__ = ["NUMERIC", "AnswerTable", "Variable", "answer_table"]


@dataclass
class AnswerTable:
    title: str
    variables: list[Variable]
    rows: list[list[Any]]
    #: How the weights were made, a line each, so that an analyst can compute the margins
    #: of error again: method, variables, bounds, population table, and every target.
    weighting: list[list[Any]] = field(default_factory=list)


def weighting_description(weighting: Weighting | None) -> list[list[Any]]:
    """The weighting of a wave as lines of (what, ...values): ``AnswerTable.weighting``."""
    if weighting is None:
        return [[_("Not weighted")]]
    lines: list[list[Any]] = [
        [_("Method"), weighting.method.value],
        [_("Weighted by"), *weighting.attribute_keys],
        [_("Base weights"), "design" if weighting.design_weighted else "equal"],
        [_("Respondents"), weighting.respondents],
    ]
    if weighting.bounds is not None:
        lines.append([_("Bounds on weight / mean weight"), *weighting.bounds])
    table = (
        db.session.get(PopulationTable, weighting.population_table_id)
        if weighting.population_table_id is not None
        else None
    )
    if table is None:
        return lines
    lines.append([_("Population figures"), table.name])
    targets = population_targets(table, weighting.attribute_keys, weighting.method)
    for key, value in targets.items():
        if isinstance(value, dict):  # raking: a margin per variable
            lines += [[_("Target"), key, level, count] for level, count in value.items()]
        else:  # post-stratification: a count per cell
            lines.append([_("Target"), ", ".join(weighting.attribute_keys), ", ".join(key),
                          value])  # fmt: skip
    return lines


def answer_table(wave: Wave, language: str) -> AnswerTable:
    """Every completed, non-public response of the wave with its weight and answers."""
    weighting = db.session.scalar(select(Weighting).filter_by(wave_id=wave.id))
    attribute_keys = list(weighting.attribute_keys) if weighting else []
    base = [
        Variable("response_id", _("Response"), NUMERIC),
        Variable("member_key", _("Member (a pseudonymous key, the same in every wave)")),
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
        select(
            Response.id,
            Invitation.member_id,
            Response.mode,
            Response.attributes,
            ResponseWeight.weight,
        )
        .outerjoin(Invitation, Invitation.id == Response.invitation_id)
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
    for response_id, member_id, mode, attributes, weight in responses:
        given = answers.get(response_id, {})
        row: list[Any] = [response_id, member_pseudonym(member_id), mode.value]
        row += [(attributes or {}).get(key) for key in attribute_keys]
        row.append(weight)
        for question, readers in per_question:
            value = given.get(question.key)
            row += [None if value is None else read(value) for _variable, read in readers]
        rows.append(row)
    variables = base + [v for _question, pairs in per_question for v, _read in pairs]
    return AnswerTable(
        text_in(wave.questionnaire.title, language) or wave.name, variables, rows,
        weighting_description(weighting),
    )  # fmt: skip
