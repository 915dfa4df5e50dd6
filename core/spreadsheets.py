"""Cells we write into files that people open in a spreadsheet (CSV, Excel).

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel and LibreOffice (CSV injection): a citizen's free-text answer or a member's name
could run ``=HYPERLINK(...)`` or DDE on a staff member's machine. Every export writes such
text with a leading apostrophe, which spreadsheets show as plain text; readers of our own
files (the XLSForm import) take it off again with ``unquote``.
"""

from __future__ import annotations

from typing import Any

#: Cells starting with these are formulas to a spreadsheet; exported with a leading quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet shows it as text; non-text values are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def unquote(value: Any) -> Any:
    """The text ``safe_cell`` protected, as it was written."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value
