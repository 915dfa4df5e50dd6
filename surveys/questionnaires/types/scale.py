"""Scales: a short rating (e.g. 1-5) and 0-10, ends labelled, optionally "don't know".

The answer is a point (an int) or ``"dont_know"``. Both are written to XLSForm as a
``select_one`` with ``appearance`` likert over the points, and read back from that or from
a ``range``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from core.i18n import text_in
from surveys.questionnaires.models import QuestionType
from surveys.questionnaires.types.base import Literal, QuestionKind, SummaryKind, XlsFormRows
from surveys.questionnaires.types.columns import (
    DONT_KNOW_CODE,
    NUMERIC,
    Column,
    Variable,
    variable_name,
)

if TYPE_CHECKING:
    from wtforms import Field

    from surveys.questionnaires.models import Question

#: The answer (and the XLSForm choice) "don't know".
DONT_KNOW = "dont_know"
DONT_KNOW_LABELS = {"da": "Ved ikke", "en": "Don't know"}


class ScaleKind(QuestionKind):
    """Points from ``points(question)`` (each scale says which); the ends carry the labels."""

    summary = SummaryKind.SCALE

    def parse(self, question: Question, raw: str) -> Any:
        if question.dont_know and raw == DONT_KNOW:
            return raw
        if not raw.lstrip("-").isdigit() or int(raw) not in self.points(question):
            raise ValueError(_("Choose one of the options."))
        return int(raw)

    def export_columns(self, question: Question, language: str) -> list[Column]:
        variable = Variable(variable_name(question.key), text_in(question.text, language), NUMERIC)
        if question.dont_know:
            variable.value_labels = {DONT_KNOW_CODE: _("Don't know")}
            variable.missing = [DONT_KNOW_CODE]
        return [(variable, lambda value: DONT_KNOW_CODE if value == DONT_KNOW else value)]

    def xlsform_rows(self, question: Question, row: dict[str, Any]) -> XlsFormRows:
        row = {**row, "type": f"select_one {question.key}", "appearance": "likert"}
        return [row], self.xlsform_points(question)

    def xlsform_points(self, question: Question) -> list[tuple[str, dict[str, str]]]:
        """The choices the scale is written as: each point, the ends with their labels."""
        languages = question.questionnaire.languages
        points = self.points(question)
        ends = {points[0]: question.low_label, points[-1]: question.high_label}
        choices = []
        for point in points:
            label = {lang: str(point) for lang in languages}
            label.update(ends.get(point, {}))
            choices.append((str(point), label))
        if question.dont_know:
            labels = {
                lang: DONT_KNOW_LABELS.get(lang, DONT_KNOW_LABELS["en"]) for lang in languages
            }
            choices.append((DONT_KNOW, labels))
        return choices

    def comparison_problem(self, question: Question, op: str, value: Literal) -> str | None:
        if isinstance(value, str):
            return _("its answer is a number, so compare it with a number.")
        return None


class Rating(ScaleKind):
    """3 to 10 points starting at 0 or 1 (``min_value``, ``max_value``)."""

    type = QuestionType.RATING
    name = _l("Rating scale (e.g. 1-5)")
    settings = ("min_value", "max_value", "low_label", "high_label", "dont_know")
    initial: ClassVar[Mapping[str, Any]] = {"min_value": 1, "max_value": 5}

    def points(self, question: Question) -> range:
        start = 1 if question.min_value is None else int(question.min_value)
        end = 5 if question.max_value is None else int(question.max_value)
        return range(start, end + 1)

    def form_fields(self, languages: list[str]) -> dict[str, Field]:
        ends: dict[str, Field] = {
            "min_value": RadioField(
                _l("The scale starts at"),
                choices=[SelectChoice("1", "1"), SelectChoice("0", "0")],
                default="1",
            ),
            "max_value": IntegerField(
                _l("The scale ends at"), validators=[InputRequired()], default=5
            ),
        }
        return {**ends, **super().form_fields(languages)}

    def from_form(self, name: str, data: Any) -> Any:
        if name == "min_value":  # the radio buttons' "0" or "1"; none chosen: the check says so
            return None if data is None else float(data)
        return super().from_form(name, data)

    def to_form(self, name: str, value: Any) -> Any:
        if name == "min_value":
            return str(int(value or 0))
        if name == "max_value":
            return int(value or 5)
        return value

    def check(self, question: Question) -> str | None:
        start, end = question.min_value, question.max_value
        if start not in (0, 1) or end is None or end != int(end) or not 2 <= end - start <= 9:
            return _("a rating scale starts at 0 or 1 and has 3 to 10 points.")
        return None


class Scale0To10(ScaleKind):
    """Always 0 to 10: "how likely ...", ends labelled."""

    type = QuestionType.SCALE_0_10
    name = _l("Scale from 0 to 10")
    settings = ("low_label", "high_label", "dont_know")
    xlsform_names = ("range",)

    def points(self, question: Question) -> range:
        return range(0, 11)

    def from_xlsform(
        self, name: str, row: dict[str, Any], options: list[Any]
    ) -> tuple[QuestionKind, dict[str, Any], list[Any]]:
        parameters = dict(
            part.split("=", 1) for part in str(row.get("parameters") or "").split() if "=" in part
        )
        start, end = int(parameters.get("start", 1)), int(parameters.get("end", 10))
        if parameters.get("step", "1") != "1":
            raise ValueError(_("a range must have step 1."))
        if (start, end) == (0, 10):
            return self, {}, options
        return RATING, {"min_value": start, "max_value": end}, options


RATING, SCALE_0_10 = Rating(), Scale0To10()


def likert_scale(choices: list[Any]) -> tuple[QuestionKind, dict[str, Any]] | None:
    """The scale and its settings that XLSForm choices are, or None if they are not one:
    consecutive whole numbers, labelled only at the ends, perhaps with "don't know"."""
    codes = [str(code) for code, _label in choices]
    dont_know = DONT_KNOW in codes
    points = [c for c in codes if c != DONT_KNOW]
    if not all(re.fullmatch(r"\d+", c) for c in points) or len(points) < 3:
        return None
    start, end = int(points[0]), int(points[-1])
    if [int(p) for p in points] != list(range(start, end + 1)):
        return None
    labels = dict(choices)
    low = {k: v for k, v in labels[points[0]].items() if v != points[0]}
    high = {k: v for k, v in labels[points[-1]].items() if v != points[-1]}
    middle = [labels[p] for p in points[1:-1]]
    if any(text not in ("", p) for p, m in zip(points[1:-1], middle, strict=True) for text in
           m.values()):  # fmt: skip
        return None
    scale: dict[str, Any] = {"low_label": low, "high_label": high, "dont_know": dont_know}
    if (start, end) == (0, 10):
        return SCALE_0_10, scale
    if start in (0, 1) and 2 <= end - start <= 9:
        return RATING, {"min_value": start, "max_value": end, **scale}
    return None
