"""Reading a submitted page: each question's form fields to a clean answer, or a message.

How each type reads its fields is the type's own (``QuestionKind.read`` in
``surveys.questionnaires.types``); this module walks the questions shown on a page and
collects the answers and the messages. The messages are in the respondent's language (the
caller works inside ``force_locale``); a questionnaire's own validation message wins over
the plain one when a question's rule (bounds, pattern) is broken. Answers are stored in the
shapes ``surveys.answering.operations`` documents: a code, a list of codes, a number,
"dont_know", an ISO date, text, or a dict per statement (grid) or per option (ranking).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from core.i18n import text_in
from surveys.questionnaires.models import Question
from surveys.questionnaires.types import RuleBroken


@dataclass
class PageInput:
    """What a submitted page holds: clean values per shown question, and messages."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)


def read_answer(question: Question, form: Any) -> Any:
    """The clean value of one question from a submitted form (None: not answered).

    ``form`` is a MultiDict (``request.form``); raises ValueError with the message to show.
    """
    return question.kind.read(question, form)


def _rule_message(question: Question, language: str) -> str:
    """The questionnaire's own message for a broken rule, else a plain one that says the rule."""
    return text_in(question.validation_message, language) or question.kind.rule_message(question)


def read_page(
    questions: Iterable[Question], form: Any, language: str, check_required: bool = True
) -> PageInput:
    """Read and check the answers to ``questions`` (those shown on the page)."""
    result = PageInput()
    for question in questions:
        if not question.kind.answerable:
            continue
        try:
            value = read_answer(question, form)
        except RuleBroken:
            result.errors[question.key] = [_rule_message(question, language)]
            continue
        except ValueError as error:
            result.errors[question.key] = [str(error)]
            continue
        if value is None and question.required and check_required:
            result.errors[question.key] = [_("Please answer this question.")]
        result.values[question.key] = value
    return result
