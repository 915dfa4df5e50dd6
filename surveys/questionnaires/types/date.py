"""A date, typed as day-month-year (or picked); stored as ISO text, ``YYYY-MM-DD``."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveys.questionnaires.models import QuestionType
from surveys.questionnaires.types.base import Literal, QuestionKind

if TYPE_CHECKING:
    from surveys.questionnaires.models import Question

#: What a typed date may look like; a browser's date picker sends the first.
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y")


def is_iso_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


class Date(QuestionKind):
    type = QuestionType.DATE
    name = _l("Date")
    xlsform_names = ("date",)

    def parse(self, question: Question, raw: str) -> str:
        for pattern in DATE_FORMATS:
            try:
                return datetime.strptime(raw, pattern).date().isoformat()
            except ValueError:
                continue
        raise ValueError(_("Enter a date as day-month-year, for example 31-12-1990."))

    def comparison_problem(self, question: Question, op: str, value: Literal) -> str | None:
        if not isinstance(value, str) or not is_iso_date(value):
            return _("compare a date with a date written 'YYYY-MM-DD'.")
        return None


DATE = Date()
