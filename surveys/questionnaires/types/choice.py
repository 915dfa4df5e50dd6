"""Single and multiple choice: options with codes; the answer is a code or a list of codes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired

from core.i18n import text_in
from surveys.questionnaires.models import QuestionType
from surveys.questionnaires.types.base import Literal, QuestionKind, SummaryKind
from surveys.questionnaires.types.columns import NUMERIC, Column, Variable, coded, variable_name
from surveys.questionnaires.types.scale import likert_scale

if TYPE_CHECKING:
    from wtforms import Field

    from surveys.questionnaires.models import Question

NUMBER = r"-?\d+(?:\.\d+)?"


def choice_code(raw: str, codes: Any) -> str:
    """``raw`` if it is one of the option ``codes``; ValueError for anything else."""
    if raw not in set(codes):
        raise ValueError(_("Choose one of the options."))
    return raw


def _chose(value: list[str], code: str) -> int:
    """A multiple-choice answer as one option's 0/1 column."""
    return int(code in value)


class WithOptions(QuestionKind):
    """A type with options typed one per line in the builder (``code|label|label``)."""

    has_choices = True
    options_label: ClassVar[Any] = _l("Options")

    def form_fields(self, languages: list[str]) -> dict[str, Field]:
        options = {"options": TextAreaField(self.options_label, validators=[DataRequired()])}
        return {**options, **super().form_fields(languages)}


class SingleChoice(WithOptions):
    type = QuestionType.SINGLE_CHOICE
    name = _l("Single choice (radio buttons or a dropdown)")
    settings = ("display", "randomise_options")
    initial: ClassVar[Mapping[str, Any]] = {"display": "radio"}
    summary = SummaryKind.SHARES
    selectable = True
    xlsform_names = ("select_one",)

    def check(self, question: Question) -> str | None:
        if question.display not in ("radio", "dropdown"):
            return _("show the options as radio buttons or as a dropdown.")
        return None

    def parse(self, question: Question, raw: str) -> Any:
        return choice_code(raw, (o.code for o in question.choices))

    def export_columns(self, question: Question, language: str) -> list[Column]:
        choices = [(o.code, text_in(o.label, language)) for o in question.choices]
        text = text_in(question.text, language)
        return [(coded(variable_name(question.key), text, choices), lambda value: value)]

    def xlsform_appearance(self, question: Question) -> str:
        return "minimal" if question.display == "dropdown" else ""

    def from_xlsform(
        self, name: str, row: dict[str, Any], options: list[Any]
    ) -> tuple[QuestionKind, dict[str, Any], list[Any]]:
        appearance = str(row.get("appearance") or "")
        if appearance != "likert":
            return self, {"display": "dropdown" if appearance == "minimal" else "radio"}, options
        scale = likert_scale(options)
        if scale is None:
            return self, {}, options
        kind, settings = scale
        return kind, settings, []

    def comparison_problem(self, question: Question, op: str, value: Literal) -> str | None:
        if op not in ("=", "!="):
            return _("options can only be compared with = and !=.")
        if value not in {o.code for o in question.choices}:
            return _("it has no option “%(code)s”.", code=value)
        return None


class MultipleChoice(WithOptions):
    type = QuestionType.MULTIPLE_CHOICE
    name = _l("Multiple choice")
    settings = ("randomise_options", "min_selections", "max_selections")
    summary = SummaryKind.SHARES
    selectable = True
    xlsform_names = ("select_multiple",)

    def read(self, question: Question, form: Any) -> list[str] | None:
        chosen = [v.strip() for v in form.getlist(question.key) if v.strip()]
        codes = [o.code for o in question.choices]
        if any(code not in codes for code in chosen):
            raise ValueError(_("Choose among the options."))
        picked = [code for code in codes if code in chosen]  # the questionnaire's order
        low, high = question.min_selections, question.max_selections
        if picked and low is not None and len(picked) < low:
            raise ValueError(_("Choose at least %(n)d.", n=low))
        if high is not None and len(picked) > high:
            raise ValueError(_("Choose at most %(n)d.", n=high))
        return picked or None

    def typed(self, question: Question, form: Any) -> Any:
        return form.getlist(question.key)

    def export_columns(self, question: Question, language: str) -> list[Column]:
        text = text_in(question.text, language)
        chosen = {0: _("Not chosen"), 1: _("Chosen")}
        return [
            (
                Variable(
                    variable_name(question.key, o.code),
                    f"{text}: {text_in(o.label, language)}",
                    NUMERIC,
                    chosen,
                ),
                partial(_chose, code=o.code),
            )
            for o in question.choices
        ]

    def xlsform_constraint(self, question: Question) -> str:
        parts = []
        if question.min_selections is not None:
            parts.append(f"count-selected(.) >= {question.min_selections}")
        if question.max_selections is not None:
            parts.append(f"count-selected(.) <= {question.max_selections}")
        return " and ".join(parts)

    def constraint_settings(self, text: str) -> dict[str, Any]:
        return {f"{end}_selections": int(number)
                for end, number in bounds(text, r"count-selected\(\s*\.\s*\)").items()}  # fmt: skip

    def comparison_problem(self, question: Question, op: str, value: Literal) -> str | None:
        return _("use selected() with a multiple-choice question.")


def bounds(text: str, subject: str) -> dict[str, float]:
    """``{"min": a, "max": b}`` from an XLSForm constraint ``<subject> >= a and <subject> <= b``
    (either part alone, or nothing); ValueError for anything else."""
    found: dict[str, float] = {}
    if not text:
        return found
    names = {">=": "min", "<=": "max"}
    for part in re.split(r"\s+and\s+", text):
        match = re.fullmatch(rf"{subject}\s*(>=|<=)\s*({NUMBER})", part.strip())
        if not match:
            raise ValueError(_("the constraint “%(text)s” is not supported.", text=text))
        found[names[match.group(1)]] = float(match.group(2))
    return found


SINGLE_CHOICE, MULTIPLE_CHOICE = SingleChoice(), MultipleChoice()
