"""Cells we write into files that people open in a spreadsheet (CSV, Excel).

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel and LibreOffice (CSV injection): a citizen's free-text answer or a member's name
could run ``=HYPERLINK(...)`` or DDE on a staff member's machine. Every export writes such
text with a leading apostrophe, which spreadsheets show as plain text; readers of our own
files (the XLSForm import) take it off again with ``unquote``.
"""

from __future__ import annotations

import zipfile
from typing import IO, Any

#: An uploaded workbook (.xlsx, a zip) may unpack to at most this much: a small file that
#: unpacks to gigabytes (a zip bomb) would take the worker down with it.
MAX_UNPACKED_BYTES = 50 * 2**20

#: Cells starting with these are formulas to a spreadsheet; exported with a leading quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet shows it as text; non-text values are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def unpacked_size(file: IO[bytes]) -> int | None:
    """How large the zip ``file`` says it unpacks to (from its directory, before unpacking
    anything), or None when it is not a zip; leaves the file at its start."""
    try:
        with zipfile.ZipFile(file) as archive:
            return sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        file.seek(0)


def unquote(value: Any) -> Any:
    """The text ``safe_cell`` protected, as it was written."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value
