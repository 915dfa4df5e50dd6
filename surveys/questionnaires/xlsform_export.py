"""A questionnaire as an XLSForm workbook (``survey``, ``choices``, ``settings``).

How our types are written (and read back by ``surveys.questionnaires.xlsform``); each type's
rows are its ``QuestionKind.xlsform_rows`` (``surveys.questionnaires.types``):

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
from surveys.questionnaires.models import Questionnaire

LANGUAGE_NAMES = {"da": "Dansk", "en": "English", "de": "Deutsch", "ar": "العربية"}
TRANSLATED = ("label", "hint", "constraint_message")
SURVEY_COLUMNS = ("type", "name", "label", "hint", "required", "relevant", "constraint",
                  "constraint_message", "appearance", "parameters", "concept")  # fmt: skip


def language_column(base: str, language: str) -> str:
    name = LANGUAGE_NAMES.get(language)
    return f"{base}::{name} ({language})" if name else f"{base}::{language}"


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
                "constraint": q.kind.xlsform_constraint(q),
                "constraint_message": q.validation_message,
                "parameters": "randomize=true" if q.randomise_options else "",
            }  # fmt: skip
            rows, items = q.kind.xlsform_rows(q, row)
            survey.extend(rows)
            if items:
                add_choices(q.key, items)
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
