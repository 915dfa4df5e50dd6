"""A wave's answers as one table for analysts: a row per completed response, with its weight.

The table carries no member id, name or address: a row is known by its response id and a
pseudonymous member key (``core.digests``) that pairs a member's answers across waves, and
the weighting's method, variables and targets come with it, so that the margins of error
can be computed again.
Each question gives one or more variables (multiple choice: a 0/1 per option; grid: one per
statement; ranking: a rank per option), each with a label and, where the values are codes,
value labels, so that CSV, Excel and SPSS (``surveys.results.export_formats``) write the
same table. Raw values are the ones the answering pages store (option codes, numbers, ISO
dates); SPSS gets numbers for codes through ``Variable.codes``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from core.digests import member_pseudonym
from core.i18n import text_in
from extensions import db
from panel.demographics.models import PopulationTable
from surveys.answering.models import Answer, Response
from surveys.questionnaires.models import Question, QuestionType
from surveys.results.models import ResponseWeight, Weighting
from surveys.results.respondents import respondent_filter
from surveys.results.weighting import population_targets
from surveys.waves.models import Invitation, Wave

NUMERIC = "numeric"
STRING = "string"
#: How a rating's "don't know" is written as a number (SPSS marks it as missing).
DONT_KNOW_CODE = -1


@dataclass
class Variable:
    """One column: its name (SPSS-safe), label, and how its values are coded."""

    name: str
    label: str
    kind: str = STRING
    #: Number -> label, for SPSS value labels (and the Excel sheet of labels).
    value_labels: dict[int, str] = field(default_factory=dict)
    #: Raw value -> its number in SPSS; empty when the raw value is already numeric.
    codes: dict[Any, int] = field(default_factory=dict)
    #: Numbers SPSS treats as missing (a "don't know").
    missing: list[int] = field(default_factory=list)


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


def variable_name(*parts: str) -> str:
    """A name SPSS accepts: letters, digits and _, starting with a letter, at most 64."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))
    if not name[:1].isalpha():
        name = "q_" + name
    return name[:64]


def _question_variables(question: Question, language: str) -> list[tuple[Variable, Any]]:
    """The question's variables, each with a function from the stored answer to its value."""
    text = text_in(question.text, language)
    choices = [(o.code, text_in(o.label, language)) for o in question.choices]
    kind = question.type
    key = question.key
    if kind is QuestionType.SINGLE_CHOICE:
        return [(_coded(variable_name(key), text, choices), lambda v: v)]
    if kind is QuestionType.MULTIPLE_CHOICE:
        chosen = {0: _("Not chosen"), 1: _("Chosen")}
        return [
            (
                Variable(variable_name(key, code), f"{text}: {label}", NUMERIC, chosen),
                lambda v, code=code: None if v is None else int(code in v),
            )
            for code, label in choices
        ]
    if kind is QuestionType.GRID:
        return [
            (
                _coded(
                    variable_name(key, s.code), f"{text}: {text_in(s.label, language)}", choices
                ),
                lambda v, code=s.code: v.get(code) if isinstance(v, dict) else None,
            )
            for s in question.statements
        ]
    if kind is QuestionType.RANKING:
        return [
            (
                Variable(variable_name(key, code), f"{text}: {label}", NUMERIC),
                lambda v, code=code: v.get(code) if isinstance(v, dict) else None,
            )
            for code, label in choices
        ]
    if kind in (QuestionType.RATING, QuestionType.SCALE_0_10):
        variable = Variable(variable_name(key), text, NUMERIC)
        if question.dont_know:
            variable.value_labels = {DONT_KNOW_CODE: _("Don't know")}
            variable.missing = [DONT_KNOW_CODE]
        return [(variable, lambda v: DONT_KNOW_CODE if v == "dont_know" else v)]
    if kind is QuestionType.NUMBER:
        return [(Variable(variable_name(key), text, NUMERIC), lambda v: v)]
    # dates (ISO text) and free text
    return [(Variable(variable_name(key), text, STRING), lambda v: v)]


def _coded(name: str, label: str, choices: Sequence[tuple[str, str]]) -> Variable:
    return Variable(
        name, label, STRING,
        {i: choice_label for i, (_code, choice_label) in enumerate(choices, start=1)},
        {code: i for i, (code, _label) in enumerate(choices, start=1)},
    )  # fmt: skip


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
        (question, _question_variables(question, language))
        for question in wave.questionnaire.questions
        if question.type is not QuestionType.INFORMATION
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
