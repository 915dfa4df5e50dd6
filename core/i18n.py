"""The language of the current request (or of a ``force_locale`` block), for labels and
messages built in Python; templates get the same through ``current_locale()``."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import get_locale


def current_language() -> str:
    return str(get_locale() or "da")


def text_in(texts: Mapping[str, str] | None, language: str, fallback: str | None = None) -> str:
    """A multilingual text (language code -> text) in ``language``.

    Where that translation is missing or blank, the ``fallback`` language's (a
    questionnaire's first language), then the Danish, then any: a translation that staff
    have not written yet must never leave a citizen looking at an empty question.
    """
    if not texts:
        return ""
    for code in (language, fallback, "da"):
        if code and texts.get(code):
            return texts[code]
    return next((text for text in texts.values() if text), "")
