"""XLSForm import (and, from ``xlsform_export``, export), for forms made in Excel.

What is supported, and how our types are written, is described in
``surveys.questionnaires.xlsform_export``. Rows that cannot be imported (another type, such as
``calculate``; ``choice_filter`` or another unsupported column; a condition or constraint
outside our subset; a question referring to a left-out one) are **left out and reported**
with their sheet, line number and reason; everything else is imported, as a draft. A page
whose condition cannot be read is imported without it, and that is reported too. Staff
see the report and fix the form or the draft.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import IO, Any

from flask_babel import gettext as _
from openpyxl import load_workbook

from core.errors import Refusal
from core.spreadsheets import MAX_UNPACKED_BYTES, unpacked_size, unquote
from surveys.questionnaires.conditions import ConditionError, from_xlsform
from surveys.questionnaires.json_format import CHECKLIST, CITIZEN_TEXTS
from surveys.questionnaires.models import Page, Questionnaire
from surveys.questionnaires.operations import (
    add_page,
    add_question,
    create_questionnaire,
    set_page_condition,
)
from surveys.questionnaires.types import XLSFORM_NAMES
from surveys.questionnaires.xlsform_export import LANGUAGE_NAMES, TRANSLATED, export_xlsform

__all__ = ["ImportProblem", "ImportReport", "XlsFormError", "export_xlsform", "import_xlsform"]

SUPPORTED = {"type", "name", "label", "hint", "required", "relevant", "constraint",
             "constraint_message", "appearance", "parameters", "concept"}  # fmt: skip
NAMES_TO_CODES = {name.lower(): code for code, name in LANGUAGE_NAMES.items()} | {
    "danish": "da", "english": "en", "arabic": "ar", "german": "de"}  # fmt: skip


class XlsFormError(Refusal):
    """The workbook cannot be imported at all (not an XLSForm, no survey sheet, ...)."""


#: More rows than any questionnaire has: a sheet beyond this is refused, not read on.
MAX_ROWS = 5000


@dataclass(frozen=True)
class ImportProblem:
    sheet: str
    line: int
    reason: str


@dataclass
class ImportReport:
    questionnaire: Questionnaire
    problems: list[ImportProblem] = field(default_factory=list)


def _language(label: str) -> str | None:
    """ "Dansk (da)" -> "da", "da" -> "da", "English" -> "en"; None if unknown."""
    label = label.strip()
    match = re.search(r"\(([A-Za-z-]{2,12})\)\s*$", label)
    if match:
        return match.group(1).lower()
    if re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?", label):
        return label
    return NAMES_TO_CODES.get(label.lower())


def _sheet(book: Any, name: str, default: str) -> list[tuple[int, dict[str, Any]]]:
    """Rows of a sheet as (line, {column: value}); translated columns as {lang: text}."""
    if name not in book.sheetnames:
        return []
    rows = list(islice(book[name].iter_rows(values_only=True), MAX_ROWS + 2))
    if len(rows) > MAX_ROWS + 1:
        raise XlsFormError(
            _("The sheet “%(name)s” has more than %(n)d rows.", name=name, n=MAX_ROWS)
        )
    if not rows:
        return []
    header = [str(cell).strip() if cell is not None else "" for cell in rows[0]]
    result = []
    for line, cells in enumerate(rows[1:], 2):
        row: dict[str, Any] = {}
        for title, cell in zip(header, cells, strict=False):
            value = "" if cell is None else unquote(cell)
            if isinstance(value, str):
                value = value.strip()
            base, _sep, lang = title.partition("::")
            if lang:
                code = _language(lang) or f"?{lang}"
                row.setdefault(base, {})[code] = str(value)
            elif base in TRANSLATED or base in CITIZEN_TEXTS:
                row.setdefault(base, {})[default] = str(value)
            elif base:
                row[base] = value
        if any(v for v in row.values() if not isinstance(v, dict)) or any(
            any(d.values()) for d in row.values() if isinstance(d, dict)
        ):
            result.append((line, row))
    return result


def _texts(value: Any) -> dict[str, str]:
    return {lang: text for lang, text in (value or {}).items() if text}


def _required(value: Any) -> bool:
    text = str(value).strip().lower()
    if text in ("", "no", "false", "false()", "0"):
        return False
    if text in ("yes", "true", "true()", "1"):
        return True
    raise ValueError(_("required “%(value)s” is not supported; use yes or no.", value=value))


def import_xlsform(file: IO[bytes] | str) -> ImportReport:
    """A new draft from an XLSForm workbook, and the rows left out (see the module docstring)."""
    if not isinstance(file, str):
        size = unpacked_size(file)
        if size is not None and size > MAX_UNPACKED_BYTES:
            raise XlsFormError(
                _("The workbook unpacks to more than %(mb)d MB; no questionnaire is that large.",
                  mb=MAX_UNPACKED_BYTES // 2**20)
            )  # fmt: skip
    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise XlsFormError(_("This is not an Excel workbook (.xlsx).")) from error
    if "survey" not in book.sheetnames:
        raise XlsFormError(_("The workbook has no sheet named “survey”."))
    settings = dict(_sheet(book, "settings", "da")[:1] or [(0, {})])
    settings_row = next(iter(settings.values()))
    default = _language(str(settings_row.get("default_language") or "")) or "da"
    survey = _sheet(book, "survey", default)
    choice_rows = _sheet(book, "choices", default)
    languages = [default]
    for _line, row in survey + choice_rows:
        for value in row.values():
            if isinstance(value, dict):
                languages += [lang for lang in value if lang not in languages]
    languages += [lang for lang in ("da", "en") if lang not in languages]
    problems = [
        ImportProblem("survey", line, _("the language “%(lang)s” is not known.", lang=lang[1:]))
        for line, row in survey[:1]
        for lang in languages
        if lang.startswith("?")
    ]
    languages = [lang for lang in languages if not lang.startswith("?")]
    texts: dict[str, Any] = {name: _texts(settings_row.get(name)) for name in CITIZEN_TEXTS}
    if not texts["title"] and settings_row.get("form_title"):
        texts["title"] = {default: str(settings_row["form_title"])}
    published = settings_row.get("results_published_on")
    checklist: dict[str, Any] = {name: str(settings_row.get(name) or "") for name in CHECKLIST}
    questionnaire = create_questionnaire(
        texts.pop("title"),
        languages=languages,
        results_published_on=_date(published),
        **texts,
        **checklist,
    )
    report = ImportReport(questionnaire, problems)
    lists: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for line, row in choice_rows:
        extra = [k for k, v in row.items() if k not in ("list_name", "name", "label") and v]
        if extra:
            reason = _("the column “%(name)s” is not supported and was ignored.", name=extra[0])
            report.problems.append(ImportProblem("choices", line, reason))
        lists.setdefault(str(row.get("list_name", "")), []).append(
            (str(row.get("name", "")), _texts(row.get("label")))
        )
    _Reader(report, lists).read(survey)
    return report


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


class _Reader:
    """Walks the survey rows: pages, grids and questions; collects what is left out."""

    def __init__(self, report: ImportReport, lists: dict[str, list[Any]]) -> None:
        self.report, self.lists = report, lists
        self.questionnaire = report.questionnaire
        self.page: Page | None = None
        self.grid: dict[str, Any] | None = None
        self.skipping = 0  # depth of repeats and unsupported groups being left out

    def skip(self, line: int, reason: str) -> None:
        self.report.problems.append(ImportProblem("survey", line, reason))

    def read(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        for line, row in rows:
            kind = re.sub(r"[\s_]+", " ", str(row.get("type", ""))).strip()
            if kind in ("begin group", "begin repeat") and (self.skipping or self.grid):
                self.skipping += 1
                self.skip(line, _("groups inside a grid or a repeat are not supported."))
            elif kind in ("end group", "end repeat") and self.skipping:
                self.skipping -= 1
            elif self.skipping:
                self.skip(line, _("the row is inside a part that was left out."))
            elif kind == "begin repeat":
                self.skipping = 1
                self.skip(line, _("repeats are not supported."))
            elif kind == "begin group":
                self.begin_group(line, row)
            elif kind == "end group":
                if self.grid is not None:
                    self.end_grid()
                else:
                    self.page = None
            elif self.grid is not None:
                self.grid_row(line, row)
            else:
                self.question(line, row)

    def begin_group(self, line: int, row: dict[str, Any]) -> None:
        if self.page is not None and row.get("appearance") == "table-list":
            self.grid = {"line": line, "row": row, "statements": [], "list": None}
            return
        if self.page is not None:
            self.skipping = 1
            self.skip(line, _("groups inside a page are only supported as grids (table-list)."))
            return
        self.page = add_page(self.questionnaire, _texts(row.get("label")))
        relevant = str(row.get("relevant") or "")
        try:
            if relevant:
                set_page_condition(self.page, from_xlsform(relevant))
        except ConditionError as error:
            self.skip(line, _("the page's condition was left out: %(error)s", error=error))

    def current_page(self) -> Page:
        if self.page is None:
            self.page = add_page(self.questionnaire)
        return self.page

    def grid_row(self, line: int, row: dict[str, Any]) -> None:
        if self.grid is None:
            return
        kind, _sep, list_name = str(row.get("type", "")).partition(" ")
        key = str(self.grid["row"].get("name", ""))
        if kind != "select_one" or (self.grid["list"] not in (None, list_name.strip())):
            self.skip(line, _("a grid's rows must all be select_one on the same list."))
            return
        self.grid["list"] = list_name.strip()
        code = str(row.get("name", "")).removeprefix(f"{key}_")
        self.grid["statements"].append((code, _texts(row.get("label"))))

    def end_grid(self) -> None:
        grid, self.grid = self.grid or {}, None
        row = dict(grid["row"], type=f"grid {grid['list']}")
        self.question(grid["line"], row, grid["statements"])

    def question(self, line: int, row: dict[str, Any], statements: list[Any] | None = None) -> None:
        unsupported = [k for k, v in row.items() if k not in SUPPORTED and v]
        if unsupported:
            self.skip(line, _("the column “%(name)s” is not supported.", name=unsupported[0]))
            return
        kind_text, _sep, list_name = str(row.get("type", "")).strip().partition(" ")
        list_name = list_name.strip()
        try:
            kind = XLSFORM_NAMES.get(kind_text)
            if kind is None or kind.has_choices != bool(list_name) or " " in list_name:
                raise ValueError(_("the type “%(type)s” is not supported.", type=row.get("type")))
            options = self.lists.get(list_name, []) if list_name else []
            if list_name and not options:
                raise ValueError(_("the choice list “%(name)s” is empty.", name=list_name))
            kind, settings, options = kind.from_xlsform(kind_text, row, options)
            if "randomize=true" in str(row.get("parameters") or "").replace(" ", "").lower():
                settings["randomise_options"] = True
            settings.update(kind.constraint_settings(str(row.get("constraint") or "")))
            relevant = str(row.get("relevant") or "")
            add_question(
                self.current_page(),
                kind.type,
                _texts(row.get("label")),
                key=str(row.get("name") or "") or None,
                concept=str(row.get("concept") or "") or None,
                options=options if kind.has_choices else None,
                statements=statements,
                hint=_texts(row.get("hint")),
                required=_required(row.get("required", "")),
                condition=from_xlsform(relevant) if relevant else None,
                validation_message=_texts(row.get("constraint_message")),
                **settings,
            )
        except ValueError as error:
            self.skip(line, str(error))
