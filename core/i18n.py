"""The language of the current request (or of a ``force_locale`` block), for labels and
messages built in Python; templates get the same through ``current_locale()``."""

from __future__ import annotations

from flask_babel import get_locale


def current_language() -> str:
    return str(get_locale() or "da")
