"""Short and long text; a short text may have to match a pattern (a regular expression)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveys.questionnaires.models import QuestionType
from surveys.questionnaires.types.base import QuestionKind, RuleBroken, XlsFormRows

if TYPE_CHECKING:
    from surveys.questionnaires.models import Question


class TextKind(QuestionKind):
    free_text = True
    #: The longest answer kept, in characters.
    limit: ClassVar[int]

    def parse(self, question: Question, raw: str) -> str:
        if len(raw) > self.limit:
            raise ValueError(_("Please keep it under %(n)d characters.", n=self.limit))
        if question.pattern and not re.fullmatch(question.pattern, raw):
            raise RuleBroken
        return raw

    def constraint_settings(self, text: str) -> dict[str, Any]:
        match = re.fullmatch(r"regex\(\s*\.\s*,\s*'([^']*)'\s*\)", text)
        if match:
            return {"pattern": match.group(1)}
        return super().constraint_settings(text)


class ShortText(TextKind):
    type = QuestionType.SHORT_TEXT
    name = _l("Short text")
    settings = ("pattern",)
    #: A tweet-length line.
    limit = 500
    xlsform_names = ("text",)

    def xlsform_constraint(self, question: Question) -> str:
        return f"regex(., '{question.pattern}')" if question.pattern is not None else ""

    def from_xlsform(
        self, name: str, row: dict[str, Any], options: list[Any]
    ) -> tuple[QuestionKind, dict[str, Any], list[Any]]:
        if str(row.get("appearance") or "") == "multiline":
            return LONG_TEXT, {}, options
        return self, {}, options


class LongText(TextKind):
    type = QuestionType.LONG_TEXT
    name = _l("Long text")
    #: A few pages of text.
    limit = 10_000

    def xlsform_rows(self, question: Question, row: dict[str, Any]) -> XlsFormRows:
        return [{**row, "type": "text", "appearance": "multiline"}], []


SHORT_TEXT, LONG_TEXT = ShortText(), LongText()
