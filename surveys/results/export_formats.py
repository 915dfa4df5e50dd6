"""The answer table (``surveys.results.export``) and the summary written out as files.

CSV and Excel carry the raw values (option codes, so a file read by a script needs no
lookup), Excel adds a sheet with every variable's label and value labels, and SPSS gets
numbers with value labels. The summary CSV is made from ``surveys.results.summary``'s
tables, so it hides exactly what the pages hide.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from typing import Any

import pandas as pd
import pyreadstat
from flask_babel import gettext as _
from openpyxl import Workbook

from core.spreadsheets import safe_cell
from surveys.results.export import NUMERIC, AnswerTable
from surveys.results.summary import Summary, Table


def answers_csv(table: AnswerTable) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([v.name for v in table.variables])
    writer.writerows([safe_cell(cell) for cell in row] for row in table.rows)
    return out.getvalue()


def weighting_csv(table: AnswerTable) -> str:
    """How the weights were made (``AnswerTable.weighting``), for those who take the CSV."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([safe_cell(x) for x in line] for line in table.weighting)
    return out.getvalue()


def answers_xlsx(table: AnswerTable) -> bytes:
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = _("Answers")[:31]
    sheet.append([v.name for v in table.variables])
    for row in table.rows:
        sheet.append([safe_cell(cell) for cell in row])
    labels = workbook.create_sheet(_("Variables")[:31])
    labels.append([_("Variable"), _("Label"), _("Values")])
    for v in table.variables:
        raw = {number: value for value, number in v.codes.items()}
        values = "; ".join(
            f"{raw.get(number, number)} = {label}" for number, label in v.value_labels.items()
        )
        labels.append([v.name, safe_cell(v.label), safe_cell(values)])
    weighting = workbook.create_sheet(_("Weighting")[:31])
    for line in table.weighting:
        weighting.append([safe_cell(x) for x in line])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def answers_sav(table: AnswerTable) -> bytes:
    """An SPSS file with variable labels, value labels and "don't know" as missing."""
    columns: dict[str, Any] = {}
    for i, v in enumerate(table.variables):
        values = [row[i] for row in table.rows]
        if v.codes:
            columns[v.name] = pd.Series([v.codes.get(x) for x in values], dtype="float64")
        elif v.kind == NUMERIC:
            columns[v.name] = pd.Series(values, dtype="float64")
        else:
            columns[v.name] = pd.Series(["" if x is None else str(x) for x in values], dtype=object)
    frame = pd.DataFrame(columns)
    handle, path = tempfile.mkstemp(suffix=".sav")
    os.close(handle)
    try:
        pyreadstat.write_sav(
            frame,
            path,
            file_label=table.title[:64],
            column_labels={v.name: v.label for v in table.variables},
            variable_value_labels={
                v.name: {float(k): label for k, label in v.value_labels.items()}
                for v in table.variables
                if v.value_labels
            },
            missing_ranges={v.name: list(v.missing) for v in table.variables if v.missing},
            note=[" ".join(str(x) for x in line) for line in table.weighting],
        )
        with open(path, "rb") as file:
            return file.read()
    finally:
        os.remove(path)


def summary_csv(summary: Summary) -> str:
    """One line per figure shown: question, table, group, option, answers, estimate, interval.

    A hidden group keeps its line, with its figures and its number of answers left empty.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["question", "question_text", "table", "group", "column", "answers", "estimate",
         "low", "high", "unweighted"]
    )  # fmt: skip
    for q in summary.questions:
        for table in [*q.overall, *q.breakdown]:
            _write_table(writer, q.key, safe_cell(q.text), table)
    return out.getvalue()


def _write_table(writer: Any, key: str, text: str, table: Table) -> None:
    for row in table.rows:
        for i, (_id, label) in enumerate(table.columns):
            column = label or _("Average")
            if row.hidden:
                writer.writerow([key, text, table.title or "", row.label, column, "", "", "", "",
                                 ""])  # fmt: skip
                continue
            e, plain = row.cells[i], row.unweighted[i]
            writer.writerow(
                [key, text, table.title or "", row.label, column, row.n,
                 *(_number(x) for x in ((e.estimate, e.low, e.high) if e else ("", "", ""))),
                 _number(plain.estimate) if plain else ""]
            )  # fmt: skip


def _number(x: Any) -> Any:
    return round(float(x), 6) if isinstance(x, int | float) else x
