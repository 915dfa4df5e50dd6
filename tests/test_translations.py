"""Danish is the default language: no user-facing text may be left untranslated."""

from __future__ import annotations

import os
from configparser import ConfigParser

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _source_msgids() -> set[str]:
    parser = ConfigParser()
    parser.read(os.path.join(ROOT, "babel.cfg"))
    method_map = [
        (section.split(":", 1)[1].strip(), section.split(":", 1)[0].strip())
        for section in parser.sections()
    ]
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT,
        method_map=method_map,
        keywords=KEYWORDS,
        directory_filter=lambda path: (
            not os.path.basename(path).startswith(".")
            and os.path.basename(path) not in {"tests", "bench", "migrations", "node_modules"}
        ),
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalog(language: str):
    path = os.path.join(ROOT, "translations", language, "LC_MESSAGES", "messages.po")
    with open(path, "rb") as f:
        return read_po(f)


def test_every_text_in_the_code_has_a_danish_translation():
    catalog = _catalog("da")
    missing = sorted(
        msgid
        for msgid in _source_msgids()
        if not (message := catalog.get(msgid)) or not message.string or message.fuzzy
    )
    assert missing == [], f"untranslated (run `make extract` and translate): {missing[:20]}"


def test_danish_translations_keep_their_placeholders():
    """A translation that drops %(name)s would print a raw error or lose information."""
    import re

    placeholder = re.compile(r"%\(\w+\)s|\{\w*\}")
    broken = [
        message.id
        for message in _catalog("da")
        if message.id
        and isinstance(message.id, str)
        and isinstance(message.string, str)
        and message.string
        and sorted(placeholder.findall(message.id)) != sorted(placeholder.findall(message.string))
    ]
    assert broken == []
