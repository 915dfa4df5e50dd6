"""A grid: several statements answered on one scale (the options); a dict statement -> code.

On a phone it is shown as one small question per statement. XLSForm writes it as a
``begin group`` with ``appearance`` table-list holding a ``select_one`` per statement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired

from core.i18n import text_in
from surveys.questionnaires.models import QuestionType
from surveys.questionnaires.types.base import QuestionKind, SummaryKind, XlsFormRows
from surveys.questionnaires.types.choice import WithOptions, choice_code
from surveys.questionnaires.types.columns import Column, coded, from_dict, variable_name

if TYPE_CHECKING:
    from wtforms import Field

    from surveys.questionnaires.models import Question


def typed_per_code(question: Question, form: Any) -> dict[str, str]:
    """The fields ``<key>.<code>`` a grid or a ranking sends, as {code: what was sent}."""
    prefix = f"{question.key}."
    return {k[len(prefix) :]: v for k, v in form.items() if k.startswith(prefix) and v}


class Grid(WithOptions):
    type = QuestionType.GRID
    name = _l("Grid (several statements on one scale)")
    settings = ("randomise_options",)
    has_statements = True
    summary = SummaryKind.PER_STATEMENT
    comparable = False
    options_label = _l("Scale points")
    xlsform_names = ("grid",)

    def form_fields(self, languages: list[str]) -> dict[str, Field]:
        fields = super().form_fields(languages)
        statements = TextAreaField(_l("Statements"), validators=[DataRequired()])
        return {"options": fields.pop("options"), "statements": statements, **fields}

    def read(self, question: Question, form: Any) -> dict[str, str] | None:
        scale = {o.code for o in question.choices}
        given = {}
        for statement in question.statements:
            raw = form.get(f"{question.key}.{statement.code}", "").strip()
            if raw:
                given[statement.code] = choice_code(raw, scale)
        if question.required and given and len(given) < len(question.statements):
            raise ValueError(_("Please answer every statement."))
        return given or None

    def typed(self, question: Question, form: Any) -> Any:
        return typed_per_code(question, form)

    def export_columns(self, question: Question, language: str) -> list[Column]:
        text = text_in(question.text, language)
        choices = [(o.code, text_in(o.label, language)) for o in question.choices]
        return [
            (
                coded(
                    variable_name(question.key, s.code),
                    f"{text}: {text_in(s.label, language)}",
                    choices,
                ),
                from_dict(s.code),
            )
            for s in question.statements
        ]

    def xlsform_rows(self, question: Question, row: dict[str, Any]) -> XlsFormRows:
        rows = [{**row, "type": "begin group", "appearance": "table-list"}]
        rows += [{"type": f"select_one {question.key}", "label": statement.label,
                  "name": f"{question.key}_{statement.code}"}
                 for statement in question.statements]  # fmt: skip
        rows.append({"type": "end group"})
        return rows, [(o.code, o.label) for o in question.choices]

    def from_xlsform(
        self, name: str, row: dict[str, Any], options: list[Any]
    ) -> tuple[QuestionKind, dict[str, Any], list[Any]]:
        return self, {}, options


GRID = Grid()
