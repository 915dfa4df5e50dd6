"""Requests carrying NUL characters are refused before any view sees them.

No person types a NUL into a form, and PostgreSQL cannot store one in a text column (nor
``\\u0000`` in JSON), so a NUL in a form field or a query string would otherwise get as far
as the database and fail there as a 500. Refusing it with a 400 at the door keeps every
form, present and future, safe without a check of its own. Uploaded files are not looked
at here: the imports read them and report their bad rows themselves.
"""

from __future__ import annotations

from flask import abort, request


def reject_nul_characters() -> None:
    """A ``before_request`` hook (registered by ``panel.init_app``): 400 on any NUL."""
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)
    for key, upload in request.files.items(multi=True):
        if "\x00" in key or "\x00" in (upload.filename or ""):
            abort(400)
