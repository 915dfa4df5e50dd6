"""Question types as objects: one class per type (or family) holding what is specific to it.

``kind_of(question)`` (also ``question.kind``) gives the type's ``QuestionKind``: its settings
and builder fields, its checks, how the answering page reads it, its export columns, its
XLSForm names, what conditions may ask of it and which summary results compute. The stored
value stays ``Question.type``, a ``QuestionType``; everything that used to compare it with
each member of the enum asks the kind instead. See ``base.QuestionKind`` for the interface.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from surveys.questionnaires.models import QuestionType
from surveys.questionnaires.types.base import QuestionKind, RuleBroken, SummaryKind
from surveys.questionnaires.types.choice import MULTIPLE_CHOICE, SINGLE_CHOICE
from surveys.questionnaires.types.date import DATE
from surveys.questionnaires.types.grid import GRID
from surveys.questionnaires.types.information import INFORMATION
from surveys.questionnaires.types.number import NUMBER
from surveys.questionnaires.types.ranking import RANKING
from surveys.questionnaires.types.scale import RATING, SCALE_0_10
from surveys.questionnaires.types.text import LONG_TEXT, SHORT_TEXT

if TYPE_CHECKING:
    from surveys.questionnaires.models import Question

__all__ = [
    "KINDS",
    "SUMMARISED",
    "XLSFORM_NAMES",
    "QuestionKind",
    "RuleBroken",
    "SummaryKind",
    "kind_of",
]

#: Every type, in the order the builder's type picker offers them.
KINDS: tuple[QuestionKind, ...] = (
    SINGLE_CHOICE, MULTIPLE_CHOICE, RATING, SCALE_0_10, GRID, RANKING, NUMBER, DATE,
    SHORT_TEXT, LONG_TEXT, INFORMATION,
)  # fmt: skip
_BY_TYPE = {kind.type: kind for kind in KINDS}
#: The types results summarise; text, dates and information never appear in results.
SUMMARISED = tuple(kind.type for kind in KINDS if kind.summary is not SummaryKind.NONE)
#: XLSForm ``type`` name -> the kind that reads it (and may refine it, see ``from_xlsform``).
XLSFORM_NAMES = {name: kind for kind in KINDS for name in kind.xlsform_names}


def kind_of(question: Question | QuestionType | str) -> QuestionKind:
    """The kind of a question, or of a type (its value as text too); ValueError if unknown."""
    if isinstance(question, str):
        return _BY_TYPE[QuestionType(question)]
    return _BY_TYPE[question.type]
