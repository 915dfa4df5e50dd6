"""A questionnaire as JSON: export, and import with clear errors.

The format carries the content, not the life: no ids, state or version number, so an
imported questionnaire is a new draft. Keys and concepts travel with the questions, so a
questionnaire imported into another installation still shares trends with its origin.
``export_json(import_json(export_json(q))) == export_json(q)`` holds exactly.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import gettext as _

from core.errors import Refusal
from extensions import db
from surveys.questionnaires.models import Question, Questionnaire, QuestionType
from surveys.questionnaires.operations import add_page, add_question, create_questionnaire
from surveys.questionnaires.types import kind_of

FORMAT = "borgerpanel-questionnaire"
FORMAT_VERSION = 1
CITIZEN_TEXTS = ("title", "introduction", "purpose", "commissioned_by", "influence")
CHECKLIST = ("target_group", "resources", "decision_process", "decision_authority")
QUESTION_FIELDS = ("key", "concept", "type", "text", "hint", "required", "condition")


class QuestionnaireImportError(Refusal):
    """The JSON does not describe a questionnaire; the message says where and why."""


def _number(value: float | None) -> int | float | None:
    return int(value) if value is not None and value == int(value) else value


def export_json(questionnaire: Questionnaire) -> dict[str, Any]:
    published = questionnaire.results_published_on
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "languages": list(questionnaire.languages),
        **{name: dict(getattr(questionnaire, name)) for name in CITIZEN_TEXTS},
        "results_published_on": published.isoformat() if published else None,
        "checklist": {name: getattr(questionnaire, name) for name in CHECKLIST},
        "pages": [
            {
                "title": dict(page.title),
                "condition": page.condition,
                "questions": [_export_question(q) for q in page.questions],
            }
            for page in questionnaire.pages
        ],
    }


def _export_question(question: Question) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(question, name) for name in QUESTION_FIELDS}
    data["type"] = question.type.value
    data["validation_message"] = dict(question.validation_message)
    kind = question.kind
    for name in kind.settings:
        value = getattr(question, name)
        data[name] = _number(value) if name in ("min_value", "max_value") else value
    if kind.has_choices:
        data["options"] = [{"code": o.code, "label": dict(o.label)} for o in question.choices]
    if kind.has_statements:
        data["statements"] = [{"code": o.code, "label": dict(o.label)} for o in question.statements]
    return data


def _expect(data: Any, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(data, kind):
        raise QuestionnaireImportError(_("%(where)s has the wrong kind of value.", where=where))
    return data


def _texts(data: Any, where: str) -> dict[str, str]:
    texts = _expect(data, dict, where)
    for language, text in texts.items():
        _expect(text, str, f"{where}.{language}")
    return dict(texts)


def _only(data: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise QuestionnaireImportError(
            _("%(where)s has unknown fields: %(names)s", where=where, names=", ".join(unknown))
        )


#: What a question's plain settings (key, condition, min_value, ...) may hold.
SCALAR = (str, int, float, bool, type(None))
TEXTS_AND_LISTS = {"text", "hint", "validation_message", "low_label", "high_label", "options",
                   "statements"}  # fmt: skip


#: NULs and lone surrogates (which ``"\\ud800"`` in JSON makes): no database stores them.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _check_strings(data: Any, where: str) -> None:
    """Refuse text the database cannot store, wherever it is in the document."""
    if isinstance(data, dict):
        for key, value in data.items():
            _check_strings(key, where)
            _check_strings(value, f"{where}.{key}")
    elif isinstance(data, list):
        for number, value in enumerate(data):
            _check_strings(value, f"{where}[{number}]")
    elif isinstance(data, str) and UNSTORABLE.search(data):
        raise QuestionnaireImportError(_("%(where)s has the wrong kind of value.", where=where))


def import_json(data: Any) -> Questionnaire:
    """A new draft from exported JSON; raises QuestionnaireImportError saying where and why.

    Nothing is left in the session when the import fails.
    """
    _expect(data, dict, "questionnaire")
    _check_strings(data, "questionnaire")
    if data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
        raise QuestionnaireImportError(
            _("This is not a Borgerpanel questionnaire (format %(format)s, version %(version)s).",
              format=FORMAT, version=FORMAT_VERSION)
        )  # fmt: skip
    top = {"format", "format_version", "languages", *CITIZEN_TEXTS, "results_published_on"}
    _only(data, top | {"checklist", "pages"}, "questionnaire")
    texts = {name: _texts(data.get(name, {}), name) for name in CITIZEN_TEXTS}
    checklist = _expect(data.get("checklist", {}), dict, "checklist")
    _only(checklist, set(CHECKLIST), "checklist")
    for name in CHECKLIST:
        _expect(checklist.get(name, ""), str, f"checklist.{name}")
    published = data.get("results_published_on")
    try:
        published_on = date.fromisoformat(published) if published else None
    except (TypeError, ValueError):
        raise QuestionnaireImportError(
            _("results_published_on is not a date written YYYY-MM-DD.")
        ) from None
    languages = _expect(data.get("languages", ["da", "en"]), list, "languages")
    for code in languages:
        _expect(code, str, "languages")
    try:
        questionnaire = create_questionnaire(
            languages=languages, results_published_on=published_on, **texts, **checklist
        )
    except ValueError as error:
        raise QuestionnaireImportError(str(error)) from None
    try:
        for number, page_data in enumerate(_expect(data.get("pages", []), list, "pages")):
            _import_page(questionnaire, page_data, f"pages[{number}]")
    except ValueError as error:
        db.session.expunge(questionnaire)
        if isinstance(error, QuestionnaireImportError):
            raise
        raise QuestionnaireImportError(str(error)) from None
    return questionnaire


def _import_page(questionnaire: Questionnaire, data: Any, where: str) -> None:
    _expect(data, dict, where)
    _only(data, {"title", "condition", "questions"}, where)
    condition = _expect(data.get("condition"), (str, type(None)), f"{where}.condition")
    page = add_page(questionnaire, _texts(data.get("title", {}), f"{where}.title"), condition)
    questions = _expect(data.get("questions", []), list, f"{where}.questions")
    for number, question in enumerate(questions):
        at = f"{where}.questions[{number}]"
        _expect(question, dict, at)
        try:
            kind = kind_of(QuestionType(question.get("type")))
        except ValueError:
            raise QuestionnaireImportError(
                _("%(where)s: unknown question type “%(type)s”.", where=at,
                  type=question.get("type"))
            ) from None  # fmt: skip
        allowed = {*QUESTION_FIELDS, "validation_message", *kind.settings}
        allowed |= {"options"} if kind.has_choices else set()
        allowed |= {"statements"} if kind.has_statements else set()
        _only(question, allowed, at)
        fields = dict(question)
        fields.pop("type")
        for name in ("text", "hint", "validation_message", "low_label", "high_label"):
            if name in fields:
                fields[name] = _texts(fields[name], f"{at}.{name}")
        for name, value in fields.items():
            if name not in TEXTS_AND_LISTS:
                _expect(value, SCALAR, f"{at}.{name}")
        options = [
            _option(o, f"{at}.options")
            for o in _expect(fields.pop("options", []), list, f"{at}.options")
        ]
        statements = [
            _option(o, f"{at}.statements")
            for o in _expect(fields.pop("statements", []), list, f"{at}.statements")
        ]
        try:
            add_question(page, kind.type, options=options, statements=statements, **fields)
        except (TypeError, ValueError, AttributeError) as error:
            key = question.get("key")
            raise QuestionnaireImportError(f"{at} ({key}): {error}") from None


def _option(data: Any, where: str) -> tuple[str, dict[str, str]]:
    _expect(data, dict, where)
    _only(data, {"code", "label"}, where)
    return _expect(data.get("code"), str, f"{where}.code"), _texts(data.get("label"), where)
