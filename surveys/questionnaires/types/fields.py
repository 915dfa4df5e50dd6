"""The builder's form fields for the settings a question type uses.

A setting means the same in every type that has it (``display``, ``pattern``, ...), so its
field is made here once; a type whose setting reads differently (a rating's ends) makes its
own. Texts a citizen sees are asked once per language: ``<name>_<language>``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Field,
    FloatField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from core.input_checks import SingleLine

#: Settings written once per language, with their labels.
TEXT_SETTINGS = {
    "low_label": _l("Label of the lowest point"),
    "high_label": _l("Label of the highest point"),
}


def language_label(label: Any, language: str) -> str:
    return f"{label} ({language})"


def language_fields(
    name: str, label: Any, languages: list[str], long: bool = False
) -> dict[str, Field]:
    """One text field per language, ``<name>_<language>``; a short one is a single line
    (titles go into mail subjects, where a line break would end the header)."""
    kind = TextAreaField if long else StringField
    one_line = [] if long else [SingleLine()]
    return {
        f"{name}_{lang}": kind(
            language_label(label, lang), validators=[Optional(), Length(max=5000), *one_line]
        )
        for lang in languages
    }


def _display() -> dict[str, Field]:
    return {
        "display": RadioField(
            _l("Show the options as"),
            choices=[
                SelectChoice("radio", _l("Radio buttons")),
                SelectChoice("dropdown", _l("A dropdown list")),
            ],
            default="radio",
        )
    }


def _randomise() -> dict[str, Field]:
    return {"randomise_options": BooleanField(_l("Show the options in random order"))}


def _selections() -> dict[str, Field]:
    return {
        "min_selections": IntegerField(_l("Choose at least"), validators=[Optional()]),
        "max_selections": IntegerField(_l("Choose at most"), validators=[Optional()]),
    }


def _bounds() -> dict[str, Field]:
    return {
        "min_value": FloatField(_l("Lowest allowed number"), validators=[Optional()]),
        "max_value": FloatField(_l("Highest allowed number"), validators=[Optional()]),
    }


def _whole_numbers() -> dict[str, Field]:
    return {"whole_numbers": BooleanField(_l("Whole numbers only"))}


def _dont_know() -> dict[str, Field]:
    return {"dont_know": BooleanField(_l("Offer “Don't know”"))}


def _pattern() -> dict[str, Field]:
    return {
        "pattern": StringField(
            _l("The answer must match (regular expression)"),
            validators=[Optional(), Length(max=500)],
        )
    }


#: Per setting, the fields that ask it (a pair of settings shares one maker).
SETTING_FIELDS: dict[str, Callable[[], dict[str, Field]]] = {
    "display": _display,
    "randomise_options": _randomise,
    "min_selections": _selections,
    "min_value": _bounds,
    "whole_numbers": _whole_numbers,
    "dont_know": _dont_know,
    "pattern": _pattern,
}
