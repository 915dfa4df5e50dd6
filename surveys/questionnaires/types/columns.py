"""The columns of the answers export, as each question type declares them.

A question gives one or more variables (multiple choice: a 0/1 per option; grid: one per
statement; ranking: a rank per option), each with a label and, where the values are codes,
value labels, so that CSV, Excel and SPSS (``surveys.results.export_formats``) write the
same table. The type knows its variables; ``surveys.results.export`` fills the rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

NUMERIC = "numeric"
STRING = "string"
#: How a scale's "don't know" is written as a number (SPSS marks it as missing).
DONT_KNOW_CODE = -1


@dataclass
class Variable:
    """One column: its name (SPSS-safe), label, and how its values are coded."""

    name: str
    label: str
    kind: str = STRING
    #: Number -> label, for SPSS value labels (and the Excel sheet of labels).
    value_labels: dict[int, str] = field(default_factory=dict)
    #: Raw value -> its number in SPSS; empty when the raw value is already numeric.
    codes: dict[Any, int] = field(default_factory=dict)
    #: Numbers SPSS treats as missing (a "don't know").
    missing: list[int] = field(default_factory=list)


#: A variable and how to get its value from a stored (not None) answer.
Column = tuple[Variable, Callable[[Any], Any]]


def variable_name(*parts: str) -> str:
    """A name SPSS accepts: letters, digits and _, starting with a letter, at most 64."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))
    if not name[:1].isalpha():
        name = "q_" + name
    return name[:64]


def coded(name: str, label: str, choices: Sequence[tuple[str, str]]) -> Variable:
    """A variable whose values are option codes, numbered 1, 2, ... for SPSS."""
    return Variable(
        name, label, STRING,
        {i: choice_label for i, (_code, choice_label) in enumerate(choices, start=1)},
        {code: i for i, (code, _label) in enumerate(choices, start=1)},
    )  # fmt: skip


def from_dict(code: str) -> Callable[[Any], Any]:
    """The reader of one entry of a grid's or a ranking's answer (a dict per code)."""
    return lambda value: value.get(code) if isinstance(value, dict) else None
