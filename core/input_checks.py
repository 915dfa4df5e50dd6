"""Requests carrying NUL characters are refused before any view sees them; one-line fields
refuse line breaks.

No person types a NUL into a form, and PostgreSQL cannot store one in a text column (nor
``\\u0000`` in JSON), so a NUL in a form field or a query string would otherwise get as far
as the database and fail there as a 500. Refusing it with a 400 at the door keeps every
form, present and future, safe without a check of its own. Uploaded files are not looked
at here: the imports read them and report their bad rows themselves.
"""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError

#: The largest id a row can have (PostgreSQL's integer); also the largest page number.
MAX_ID = 2**31 - 1

#: Characters that end a line: in a mail header (a subject, a name) they start a new header.
LINE_BREAKS = ("\r", "\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029")


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in our URLs: a number beyond any row id does not match (404), instead
    of reaching the database, where SQLite cannot bind it and PostgreSQL overflows."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def bounded_int(text: str | None, default: int = 1) -> int:
    """A page number or id from a query string: ``default`` unless it is 1..MAX_ID."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return default
    number = int(text)
    return number if 1 <= number <= MAX_ID else default


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, line breaks included, as one space.

    For text that ends up in a mail header or an official letter's greeting whatever road
    it came in by (a form, an import, the API): a line break there would start a header
    of its own (mail header injection) or a line nobody wrote.
    """
    return " ".join(text.split())


class SingleLine:
    """A form field that must be one line: a title, a heading, a name."""

    message = _l("Write this on one line.")

    def __call__(self, form: Any, field: Any) -> None:
        if isinstance(field.data, str) and any(c in field.data for c in LINE_BREAKS):
            raise ValidationError(str(self.message))


def reject_nul_characters() -> None:
    """A ``before_request`` hook (registered by ``panel.init_app``): 400 on any NUL."""
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)
    for key, upload in request.files.items(multi=True):
        if "\x00" in key or "\x00" in (upload.filename or ""):
            abort(400)
