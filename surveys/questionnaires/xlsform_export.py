"""A questionnaire as an XLSForm workbook (``survey``, ``choices``, ``settings``).

How our types are written (and read back by ``surveys.questionnaires.xlsform``):

- a page is a top-level ``begin group`` / ``end group``; its condition is ``relevant``;
- single choice: ``select_one``, ``appearance`` minimal for a dropdown; multiple choice:
  ``select_multiple`` with ``count-selected(.)`` bounds as ``constraint``; ranking: ``rank``;
  ``parameters`` ``randomize=true`` for options in random order;
- rating and 0-10 scales: ``select_one`` with ``appearance`` likert over the points, the end
  labels on the first and last point, "don't know" as the choice ``dont_know``;
- a grid: a ``begin group`` with ``appearance`` table-list inside a page, one ``select_one``
  per statement named ``<key>_<code>``;
- number: ``integer`` or ``decimal`` with ``. >= a and . <= b``; date: ``date``; short
  text: ``text`` (a pattern as ``regex(., '...')``); long text: ``text`` with multiline;
  information: ``note``;
- the Borgerpanel texts without an XLSForm column (introduction, purpose, ...) go in the
  ``settings`` sheet, the concept of each question in a ``concept`` column.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import Workbook

from core.spreadsheets import safe_cell
from surveys.questionnaires.conditions import to_xlsform
from surveys.questionnaires.json_format import CHECKLIST, CITIZEN_TEXTS
from surveys.questionnaires.models import Question, Questionnaire, QuestionType

T = QuestionType
LANGUAGE_NAMES = {"da": "Dansk", "en": "English", "de": "Deutsch", "ar": "العربية"}
DONT_KNOW = "dont_know"
DONT_KNOW_LABELS = {"da": "Ved ikke", "en": "Don't know"}
TRANSLATED = ("label", "hint", "constraint_message")
SURVEY_COLUMNS = ("type", "name", "label", "hint", "required", "relevant", "constraint",
                  "constraint_message", "appearance", "parameters", "concept")  # fmt: skip


def language_column(base: str, language: str) -> str:
    name = LANGUAGE_NAMES.get(language)
    return f"{base}::{name} ({language})" if name else f"{base}::{language}"


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def constraint_of(question: Question) -> str:
    parts = []
    if question.type is T.MULTIPLE_CHOICE:
        if question.min_selections is not None:
            parts.append(f"count-selected(.) >= {question.min_selections}")
        if question.max_selections is not None:
            parts.append(f"count-selected(.) <= {question.max_selections}")
    elif question.type is T.NUMBER:
        if question.min_value is not None:
            parts.append(f". >= {_number(question.min_value)}")
        if question.max_value is not None:
            parts.append(f". <= {_number(question.max_value)}")
    elif question.pattern is not None:
        parts.append(f"regex(., '{question.pattern}')")
    return " and ".join(parts)


def scale_points(question: Question) -> list[tuple[str, dict[str, str]]]:
    """The choices a rating or 0-10 scale is written as."""
    languages = question.questionnaire.languages
    start = 0 if question.type is T.SCALE_0_10 else int(question.min_value or 0)
    end = 10 if question.type is T.SCALE_0_10 else int(question.max_value or 0)
    points = []
    for point in range(start, end + 1):
        label = {lang: str(point) for lang in languages}
        ends = {start: question.low_label, end: question.high_label}
        label.update(ends.get(point, {}))
        points.append((str(point), label))
    if question.dont_know:
        dont_know = {lang: DONT_KNOW_LABELS.get(lang, DONT_KNOW_LABELS["en"]) for lang in languages}
        points.append((DONT_KNOW, dont_know))
    return points


def _rows(questionnaire: Questionnaire) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    survey: list[dict[str, Any]] = []
    choices: list[dict[str, Any]] = []

    def add_choices(list_name: str, items: list[tuple[str, dict[str, str]]]) -> None:
        choices.extend(
            {"list_name": list_name, "name": code, "label": label} for code, label in items
        )

    for number, page in enumerate(questionnaire.pages, 1):
        relevant = to_xlsform(page.condition) if page.condition else ""
        survey.append({"type": "begin group", "name": f"page{number}", "label": page.title,
                       "relevant": relevant})  # fmt: skip
        for q in page.questions:
            row: dict[str, Any] = {
                "name": q.key, "label": q.text, "hint": q.hint, "concept": q.concept,
                "required": "yes" if q.required else "",
                "relevant": to_xlsform(q.condition) if q.condition else "",
                "constraint": constraint_of(q), "constraint_message": q.validation_message,
                "parameters": "randomize=true" if q.randomise_options else "",
            }  # fmt: skip
            options = [(o.code, o.label) for o in q.choices]
            if q.type in (T.RATING, T.SCALE_0_10):
                row.update(type=f"select_one {q.key}", appearance="likert")
                add_choices(q.key, scale_points(q))
            elif q.type is T.GRID:
                row.update(type="begin group", appearance="table-list")
                survey.append(row)
                for statement in q.statements:
                    survey.append({"type": f"select_one {q.key}", "label": statement.label,
                                   "name": f"{q.key}_{statement.code}"})  # fmt: skip
                survey.append({"type": "end group"})
                add_choices(q.key, options)
                continue
            else:
                kind = {
                    T.SINGLE_CHOICE: f"select_one {q.key}",
                    T.MULTIPLE_CHOICE: f"select_multiple {q.key}",
                    T.RANKING: f"rank {q.key}",
                    T.NUMBER: "integer" if q.whole_numbers else "decimal",
                    T.DATE: "date",
                    T.SHORT_TEXT: "text",
                    T.LONG_TEXT: "text",
                    T.INFORMATION: "note",
                }[q.type]
                row["type"] = kind
                if q.type is T.LONG_TEXT:
                    row["appearance"] = "multiline"
                if q.type is T.SINGLE_CHOICE and q.display == "dropdown":
                    row["appearance"] = "minimal"
                if options:
                    add_choices(q.key, options)
            survey.append(row)
        survey.append({"type": "end group"})
    return survey, choices


def _write(sheet: Any, columns: list[str], rows: list[dict[str, Any]], langs: list[str]) -> None:
    header = [
        language_column(c, lang) if c in TRANSLATED or c in CITIZEN_TEXTS else c
        for c in columns
        for lang in (langs if c in TRANSLATED or c in CITIZEN_TEXTS else [""])
    ]
    sheet.append(header)
    for row in rows:  # texts as text, never formulas; the import takes the quote off
        cells: list[Any] = []
        for column in columns:
            value = row.get(column, "")
            if column in TRANSLATED or column in CITIZEN_TEXTS:
                cells.extend((value or {}).get(lang, "") for lang in langs)
            else:
                cells.append(value)
        sheet.append([safe_cell(cell) for cell in cells])


def export_xlsform(questionnaire: Questionnaire) -> bytes:
    """The questionnaire as an .xlsx workbook that ``import_xlsform`` reads back equal."""
    languages = list(questionnaire.languages)
    survey, choices = _rows(questionnaire)
    book = Workbook()
    _write(book.active, list(SURVEY_COLUMNS), survey, languages)
    book.active.title = "survey"
    _write(book.create_sheet("choices"), ["list_name", "name", "label"], choices, languages)
    published = questionnaire.results_published_on
    settings: dict[str, Any] = {
        "form_title": questionnaire.title.get(languages[0], ""),
        "form_id": f"borgerpanel_{questionnaire.id or 'new'}",
        "version": str(questionnaire.version),
        "default_language": language_column("", languages[0])[2:],
        "results_published_on": published.isoformat() if published else "",
        **{name: getattr(questionnaire, name) for name in (*CITIZEN_TEXTS, *CHECKLIST)},
    }
    _write(book.create_sheet("settings"), list(settings), [settings], languages)
    output = BytesIO()
    book.save(output)
    return output.getvalue()
