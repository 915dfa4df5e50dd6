"""A ranking: the options numbered 1, 2, ...; the answer is a dict code -> rank."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.i18n import text_in
from surveys.questionnaires.models import QuestionType
from surveys.questionnaires.types.base import SummaryKind
from surveys.questionnaires.types.choice import WithOptions
from surveys.questionnaires.types.columns import NUMERIC, Column, Variable, from_dict, variable_name
from surveys.questionnaires.types.grid import typed_per_code

if TYPE_CHECKING:
    from surveys.questionnaires.models import Question


class Ranking(WithOptions):
    type = QuestionType.RANKING
    name = _l("Ranking")
    settings = ("randomise_options",)
    summary = SummaryKind.RANKS
    comparable = False
    xlsform_names = ("rank",)

    def read(self, question: Question, form: Any) -> dict[str, int] | None:
        ranks: dict[str, int] = {}
        for option in question.choices:
            raw = form.get(f"{question.key}.{option.code}", "").strip()
            if raw:
                if not raw.isdigit():
                    raise ValueError(_("Give each number once, starting at 1."))
                ranks[option.code] = int(raw)
        if sorted(ranks.values()) != list(range(1, len(ranks) + 1)):
            raise ValueError(_("Give each number once, starting at 1."))
        if question.required and ranks and len(ranks) < len(question.choices):
            raise ValueError(_("Please rank every option."))
        return ranks or None

    def typed(self, question: Question, form: Any) -> Any:
        return typed_per_code(question, form)

    def export_columns(self, question: Question, language: str) -> list[Column]:
        text = text_in(question.text, language)
        return [
            (
                Variable(
                    variable_name(question.key, o.code),
                    f"{text}: {text_in(o.label, language)}",
                    NUMERIC,
                ),
                from_dict(o.code),
            )
            for o in question.choices
        ]


RANKING = Ranking()
