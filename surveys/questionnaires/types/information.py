"""An information text: shown like a question, with nothing to answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveys.questionnaires.models import QuestionType
from surveys.questionnaires.types.base import QuestionKind
from surveys.questionnaires.types.columns import Column

if TYPE_CHECKING:
    from surveys.questionnaires.models import Question


class Information(QuestionKind):
    type = QuestionType.INFORMATION
    name = _l("Information text (nothing to answer)")
    answerable = False
    comparable = False
    text_label = _l("Text")
    xlsform_names = ("note",)

    def check(self, question: Question) -> str | None:
        if question.required:
            return _("an information text cannot be required.")
        return None

    def read(self, question: Question, form: Any) -> None:
        return None

    def export_columns(self, question: Question, language: str) -> list[Column]:
        return []


INFORMATION = Information()
