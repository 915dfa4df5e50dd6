"""Reading a submitted page: each question type's form fields to a clean answer, or a message.

The messages are in the respondent's language (the caller works inside ``force_locale``);
a questionnaire's own validation message wins over the plain one when a question's rule
(bounds, pattern) is broken. Answers are stored in the shapes ``surveys.answering.operations``
documents: a code, a list of codes, a number, "dont_know", an ISO date, text, or a dict
per statement (grid) or per option (ranking).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from core.i18n import text_in
from surveys.questionnaires.models import Question, QuestionType

T = QuestionType

#: Longest answers kept, in characters: a tweet-length line, and a few pages of text.
SHORT_TEXT_MAX = 500
LONG_TEXT_MAX = 10_000
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y")


class _RuleBroken(ValueError):
    """An answer outside the question's own rule (bounds, pattern): its message applies."""


@dataclass
class PageInput:
    """What a submitted page holds: clean values per shown question, and messages."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)


def _choice(question: Question, raw: str, codes: Iterable[str]) -> str:
    if raw not in set(codes):
        raise ValueError(_("Choose one of the options."))
    return raw


def _number(question: Question, raw: str) -> int | float:
    text = raw.replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise ValueError(_("Enter a number, for example 12 or 3,5.")) from None
    if question.whole_numbers and not number.is_integer():
        raise ValueError(_("Enter a whole number."))
    low, high = question.min_value, question.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        raise _RuleBroken
    return int(number) if number.is_integer() else number


def _scale(question: Question, raw: str, low: int, high: int) -> int | str:
    if question.dont_know and raw == "dont_know":
        return raw
    if not raw.lstrip("-").isdigit() or not low <= int(raw) <= high:
        raise ValueError(_("Choose one of the options."))
    return int(raw)


def _date(raw: str) -> str:
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, pattern).date().isoformat()
        except ValueError:
            continue
    raise ValueError(_("Enter a date as day-month-year, for example 31-12-1990."))


def _text_answer(question: Question, raw: str, limit: int) -> str:
    if len(raw) > limit:
        raise ValueError(_("Please keep it under %(n)d characters.", n=limit))
    if question.pattern and not re.fullmatch(question.pattern, raw):
        raise _RuleBroken
    return raw


def _multiple(question: Question, chosen: list[str]) -> list[str] | None:
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


def _grid(question: Question, form: Mapping[str, str]) -> dict[str, str] | None:
    scale = {o.code for o in question.choices}
    given = {}
    for statement in question.statements:
        raw = form.get(f"{question.key}.{statement.code}", "").strip()
        if raw:
            given[statement.code] = _choice(question, raw, scale)
    if question.required and given and len(given) < len(question.statements):
        raise ValueError(_("Please answer every statement."))
    return given or None


def _ranking(question: Question, form: Mapping[str, str]) -> dict[str, int] | None:
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


def read_answer(question: Question, form: Any) -> Any:
    """The clean value of one question from a submitted form (None: not answered).

    ``form`` is a MultiDict (``request.form``); raises ValueError with the message to show.
    """
    if question.type is T.MULTIPLE_CHOICE:
        return _multiple(question, [v.strip() for v in form.getlist(question.key) if v.strip()])
    if question.type is T.GRID:
        return _grid(question, form)
    if question.type is T.RANKING:
        return _ranking(question, form)
    raw = str(form.get(question.key, "")).strip()
    if not raw or question.type is T.INFORMATION:
        return None
    if question.type is T.SINGLE_CHOICE:
        return _choice(question, raw, (o.code for o in question.choices))
    if question.type is T.RATING:
        return _scale(question, raw, int(question.min_value or 1), int(question.max_value or 5))
    if question.type is T.SCALE_0_10:
        return _scale(question, raw, 0, 10)
    if question.type is T.NUMBER:
        return _number(question, raw)
    if question.type is T.DATE:
        return _date(raw)
    limit = SHORT_TEXT_MAX if question.type is T.SHORT_TEXT else LONG_TEXT_MAX
    return _text_answer(question, raw, limit)


def _rule_message(question: Question, language: str) -> str:
    """The questionnaire's own message for a broken rule, else a plain one that says the rule."""
    own = text_in(question.validation_message, language)
    if own:
        return own
    if question.type is T.NUMBER:
        low, high = question.min_value, question.max_value
        if low is not None and high is not None:
            return _("Enter a number from %(low)s to %(high)s.", low=f"{low:g}", high=f"{high:g}")
        if low is not None:
            return _("Enter a number of at least %(low)s.", low=f"{low:g}")
        return _("Enter a number of at most %(high)s.", high=f"{high:g}")
    return _("The answer is not in the expected form.")


def read_page(
    questions: Iterable[Question], form: Any, language: str, check_required: bool = True
) -> PageInput:
    """Read and check the answers to ``questions`` (those shown on the page)."""
    result = PageInput()
    for question in questions:
        if question.type is T.INFORMATION:
            continue
        try:
            value = read_answer(question, form)
        except _RuleBroken:
            result.errors[question.key] = [_rule_message(question, language)]
            continue
        except ValueError as error:
            result.errors[question.key] = [str(error)]
            continue
        if value is None and question.required and check_required:
            result.errors[question.key] = [_("Please answer this question.")]
        result.values[question.key] = value
    return result
