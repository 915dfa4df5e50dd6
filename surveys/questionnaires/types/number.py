"""A number, optionally whole and within bounds (``min_value``, ``max_value``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.i18n import text_in
from surveys.questionnaires.models import QuestionType
from surveys.questionnaires.types.base import (
    Literal,
    QuestionKind,
    RuleBroken,
    SummaryKind,
    XlsFormRows,
)
from surveys.questionnaires.types.choice import bounds
from surveys.questionnaires.types.columns import NUMERIC, Column, Variable, variable_name

if TYPE_CHECKING:
    from surveys.questionnaires.models import Question


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


class Number(QuestionKind):
    type = QuestionType.NUMBER
    name = _l("Number")
    settings = ("min_value", "max_value", "whole_numbers")
    summary = SummaryKind.MEAN
    xlsform_names = ("integer", "decimal")

    def check(self, question: Question) -> str | None:
        low, high = question.min_value, question.max_value
        if low is not None and high is not None and low > high:
            return _("the lowest allowed number is above the highest.")
        return None

    def parse(self, question: Question, raw: str) -> int | float:
        text = raw.replace(" ", "").replace("\u00a0", "").replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(_("Enter a number, for example 12 or 3,5.")) from None
        if question.whole_numbers and not number.is_integer():
            raise ValueError(_("Enter a whole number."))
        low, high = question.min_value, question.max_value
        if (low is not None and number < low) or (high is not None and number > high):
            raise RuleBroken
        return int(number) if number.is_integer() else number

    def rule_message(self, question: Question) -> str:
        low, high = question.min_value, question.max_value
        if low is not None and high is not None:
            return _("Enter a number from %(low)s to %(high)s.", low=f"{low:g}", high=f"{high:g}")
        if low is not None:
            return _("Enter a number of at least %(low)s.", low=f"{low:g}")
        return _("Enter a number of at most %(high)s.", high=f"{high:g}")

    def export_columns(self, question: Question, language: str) -> list[Column]:
        variable = Variable(variable_name(question.key), text_in(question.text, language), NUMERIC)
        return [(variable, lambda value: value)]

    def xlsform_rows(self, question: Question, row: dict[str, Any]) -> XlsFormRows:
        return [{**row, "type": "integer" if question.whole_numbers else "decimal"}], []

    def xlsform_constraint(self, question: Question) -> str:
        parts = []
        if question.min_value is not None:
            parts.append(f". >= {_number(question.min_value)}")
        if question.max_value is not None:
            parts.append(f". <= {_number(question.max_value)}")
        return " and ".join(parts)

    def from_xlsform(
        self, name: str, row: dict[str, Any], options: list[Any]
    ) -> tuple[QuestionKind, dict[str, Any], list[Any]]:
        return self, {"whole_numbers": True} if name == "integer" else {}, options

    def constraint_settings(self, text: str) -> dict[str, Any]:
        return {f"{end}_value": number for end, number in bounds(text, r"\.").items()}

    def comparison_problem(self, question: Question, op: str, value: Literal) -> str | None:
        if isinstance(value, str):
            return _("its answer is a number, so compare it with a number.")
        return None


NUMBER = Number()
