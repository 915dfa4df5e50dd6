"""What every question needs: the checks, translations, option order, text direction.

What differs by type (its settings and its own checks) is asked of the question's kind
(``surveys.questionnaires.types``), so the builder, the JSON and XLSForm imports, and the
answering pages agree on what a question of a type may carry.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

from babel import Locale, UnknownLocaleError
from flask_babel import gettext as _

from core.errors import Refusal
from surveys.questionnaires.conditions import KEY_PATTERN, validate
from surveys.questionnaires.models import Option, Question, Questionnaire, Texts

#: The defaults of the settings a type may use (``QuestionKind.settings``). A setting its
#: type does not use stays at its default, so exports carry only what means something.
DEFAULTS: dict[str, Any] = {
    "display": None,
    "randomise_options": False,
    "min_selections": None,
    "max_selections": None,
    "min_value": None,
    "max_value": None,
    "whole_numbers": False,
    "low_label": {},
    "high_label": {},
    "dont_know": False,
    "pattern": None,
}
COMMON = ("text", "hint", "required", "condition", "validation_message")
CODE_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,40}\Z")
LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?\Z")
RIGHT_TO_LEFT = {"ar", "arc", "ckb", "dv", "fa", "he", "ks", "ku", "ps", "sd", "ug", "ur", "yi"}


class QuestionError(Refusal):
    """A question whose settings do not fit its type; the message says which and why."""


def text_direction(language: str) -> str:
    """ "rtl" for right-to-left scripts (Arabic, Hebrew, Persian, Urdu, ...), else "ltr"."""
    return "rtl" if language.split("-")[0].lower() in RIGHT_TO_LEFT else "ltr"


def language_name(language: str) -> str:
    """The language's name in itself ("Dansk", "English", "العربية"), for language links."""
    try:
        locale = Locale.parse(language.replace("-", "_"))
        name = locale.get_display_name(locale) or language
    except (ValueError, UnknownLocaleError):
        return language
    return name[:1].upper() + name[1:]


def check_question(question: Question) -> None:
    """Raise QuestionError unless the question's settings make sense for its type."""
    key = question.key

    def fail(message: str) -> QuestionError:
        return QuestionError(_("Question %(key)s: %(problem)s", key=key, problem=message))

    if not KEY_PATTERN.match(key or ""):
        raise QuestionError(
            _(
                "“%(key)s” cannot be a question key: use letters, digits and _, starting with a "
                "letter, at most 40 characters.",
                key=key,
            )
        )
    if sum(q.key == key for q in question.questionnaire.questions) > 1:
        raise QuestionError(_("There is already a question %(key)s.", key=key))
    if not any(question.text.values()):
        raise fail(_("the question text is missing."))
    kind = question.kind
    for name in DEFAULTS:
        if name not in kind.settings and getattr(question, name) != DEFAULTS[name]:
            raise fail(_("the setting “%(name)s” does not apply to this type.", name=name))
    choices, statements = question.choices, question.statements
    for group in (choices, statements):
        codes = [o.code for o in group]
        if len(set(codes)) != len(codes):
            raise fail(_("two options have the same code."))
        bad = [code for code in codes if not CODE_PATTERN.match(code)]
        if bad:
            raise fail(_("“%(code)s” cannot be an option code.", code=bad[0]))
    if kind.has_choices and len(choices) < 2:
        raise fail(_("it needs at least two options."))
    if not kind.has_choices and choices:
        raise fail(_("this type has no options."))
    if kind.has_statements != bool(statements):
        raise fail(_("a grid needs statements, and only a grid has them."))
    problem = kind.check(question)
    if problem is not None:
        raise fail(problem)
    low, high = question.min_selections, question.max_selections
    if (low is not None and low < 0) or (high is not None and high > len(choices)):
        raise fail(_("the number of selections must be between 0 and the number of options."))
    if low is not None and high is not None and low > high:
        raise fail(_("the minimum number of selections is above the maximum."))
    if question.pattern is not None:
        try:
            re.compile(question.pattern)
        except re.error:
            raise fail(_("the validation pattern is not a valid regular expression.")) from None
    if question.condition is not None:
        validate(question.condition, question.questionnaire, question)


@dataclass(frozen=True)
class MissingText:
    """A text that is missing in a language: ``where`` is e.g. "q3", "q3 option bus"."""

    where: str
    field: str
    language: str


def missing_translations(questionnaire: Questionnaire) -> list[MissingText]:
    """Every text missing in one of the questionnaire's languages.

    Titles, question texts and option labels are needed in every language; other texts
    (hints, page titles, end labels, validation messages) only if given in any language,
    and a validation message whenever there is a pattern to explain.
    """
    missing: list[MissingText] = []

    def need(where: str, field: str, texts: Texts, always: bool) -> None:
        if always or any(texts.values()):
            missing.extend(
                MissingText(where, field, lang)
                for lang in questionnaire.languages
                if not (texts.get(lang) or "").strip()
            )

    for field in ("title", "introduction", "purpose", "commissioned_by", "influence"):
        need("questionnaire", field, getattr(questionnaire, field), True)
    for number, page in enumerate(questionnaire.pages, 1):
        need(f"page {number}", "title", page.title, False)
        for q in page.questions:
            need(q.key, "text", q.text, True)
            need(q.key, "hint", q.hint, False)
            need(q.key, "low_label", q.low_label, False)
            need(q.key, "high_label", q.high_label, False)
            need(q.key, "validation_message", q.validation_message, q.pattern is not None)
            for option in q.options:
                need(f"{q.key} {option.kind.value} {option.code}", "label", option.label, True)
    return missing


def option_order(question: Question, seed: int | str) -> list[Option]:
    """The choices in the order one respondent sees them.

    Shuffled when ``randomise_options`` is set, reproducibly for a given ``seed`` (e.g. the
    response id), so a respondent who comes back sees the same order and the answering code
    can record it. Grids shuffle their statements; the scale keeps its order.
    """
    items = question.statements if question.kind.has_statements else question.choices
    if not question.randomise_options:
        return list(items)
    shuffled = list(items)
    # not for secrets: a reproducible shuffle per respondent
    random.Random(f"{seed}:{question.concept}").shuffle(shuffled)  # noqa: S311
    return shuffled
