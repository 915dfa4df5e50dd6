"""What every question type answers: the base of the classes in ``surveys.questionnaires.types``.

A type is one object (``kind_of(question)`` or ``question.kind``) that the builder, the
imports and exports, the answering pages and the results ask instead of comparing
``question.type`` with each ``QuestionType``. The defaults here fit a question answered by
one typed value (a text); each type overrides what differs. Messages come back translated
in the caller's locale, and a method that refuses an answer raises ``ValueError`` with the
message to show (``RuleBroken`` when the questionnaire's own validation message applies).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.i18n import text_in
from surveys.questionnaires.types.columns import STRING, Column, Variable, variable_name
from surveys.questionnaires.types.fields import SETTING_FIELDS, TEXT_SETTINGS, language_fields

if TYPE_CHECKING:
    from wtforms import Field

    from surveys.questionnaires.models import Question, QuestionType


#: The survey rows a question is written as in XLSForm, and its choices: (code, labels).
XlsFormRows = tuple[list[dict[str, Any]], list[tuple[str, dict[str, str]]]]
#: A value a condition compares an answer with.
Literal = str | int | float


class SummaryKind(enum.StrEnum):
    """Which figures the results compute for a type (``surveys.results.summary``)."""

    #: The share that chose each option.
    SHARES = "shares"
    #: The average of the points, and the share that chose each point.
    SCALE = "scale"
    #: The average of the numbers.
    MEAN = "mean"
    #: The average rank of each option.
    RANKS = "ranks"
    #: The share that chose each point, per statement.
    PER_STATEMENT = "per_statement"
    #: Never summarised (text, dates, information).
    NONE = "none"


class RuleBroken(ValueError):
    """An answer outside the question's own rule (bounds, pattern): its message applies."""


class QuestionKind:
    """One question type: the knowledge every part of the application asks of it."""

    type: ClassVar[QuestionType]
    #: The name staff see in the type picker.
    name: ClassVar[Any]
    #: The settings the type uses beyond key, text, hint, required and condition. A setting
    #: not listed stays at its default, so exports carry only what means something.
    settings: ClassVar[tuple[str, ...]] = ()
    #: Settings a new question of the type starts with (before the caller's).
    initial: ClassVar[Mapping[str, Any]] = {}
    #: Answer options (for a grid: the points of its scale).
    has_choices: ClassVar[bool] = False
    #: Statements answered on the options' scale (a grid).
    has_statements: ClassVar[bool] = False
    #: False for a text with nothing to answer: never required, read, exported or counted.
    answerable: ClassVar[bool] = True
    #: Free text, from which published quotes can be chosen.
    free_text: ClassVar[bool] = False
    summary: ClassVar[SummaryKind] = SummaryKind.NONE
    #: Whether a condition may compare the answer (``q = 'x'``, ``q > 3``, ``q != ''``).
    comparable: ClassVar[bool] = True
    #: Whether a condition may test it with ``selected(q, 'code')``.
    selectable: ClassVar[bool] = False
    #: XLSForm ``type`` names read as this type; the first is the one written.
    xlsform_names: ClassVar[tuple[str, ...]] = ()
    #: The builder's label of the question text.
    text_label: ClassVar[Any] = _l("Question")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.type.value}>"

    # --- the builder ----------------------------------------------------------------------

    def form_fields(self, languages: list[str]) -> dict[str, Field]:
        """The builder's fields for this type's settings, by field name."""
        fields: dict[str, Field] = {}
        for name in self.settings:
            if name in TEXT_SETTINGS:
                fields.update(language_fields(name, TEXT_SETTINGS[name], languages))
            elif name in SETTING_FIELDS:
                fields.update(SETTING_FIELDS[name]())
        return fields

    def from_form(self, name: str, data: Any) -> Any:
        """A setting's value from its builder field's data."""
        if name == "pattern":
            return (data or "").strip() or None
        return data

    def to_form(self, name: str, value: Any) -> Any:
        """A setting's value as its builder field shows it."""
        return value

    def check(self, question: Question) -> str | None:
        """What is wrong with the type's own settings (the common ones are checked by
        ``questions.check_question``), or None."""
        return None

    def points(self, question: Question) -> range:
        """The points of a scale, lowest first; empty for a type that is not a scale."""
        return range(0)

    # --- the answering pages --------------------------------------------------------------

    def read(self, question: Question, form: Any) -> Any:
        """The clean answer from a submitted form (a MultiDict), or None if not answered."""
        raw = str(form.get(question.key, "")).strip()
        return self.parse(question, raw) if raw else None

    def parse(self, question: Question, raw: str) -> Any:
        """The clean answer from the one value typed or chosen (not empty)."""
        return raw

    def typed(self, question: Question, form: Any) -> Any:
        """What the respondent sent, in the shape the page shows again after an error."""
        return form.get(question.key, "")

    def rule_message(self, question: Question) -> str:
        """The plain message for a broken rule, when the questionnaire gives none."""
        return _("The answer is not in the expected form.")

    # --- the answers export ---------------------------------------------------------------

    def export_columns(self, question: Question, language: str) -> list[Column]:
        """The question's variables, each with a function from the stored answer to its value."""
        return [(Variable(variable_name(question.key), text_in(question.text, language), STRING),
                 lambda value: value)]  # fmt: skip

    # --- XLSForm --------------------------------------------------------------------------

    def xlsform_rows(self, question: Question, row: dict[str, Any]) -> XlsFormRows:
        """The survey rows the question is written as (``row`` holds the common columns),
        and the choices of its list, named after the question's key."""
        name = self.xlsform_names[0]
        row = {**row, "type": f"{name} {question.key}" if self.has_choices else name}
        appearance = self.xlsform_appearance(question)
        if appearance:
            row["appearance"] = appearance
        return [row], [(o.code, o.label) for o in question.choices]

    def xlsform_appearance(self, question: Question) -> str:
        return ""

    def xlsform_constraint(self, question: Question) -> str:
        """The settings XLSForm writes as ``constraint``."""
        return ""

    def from_xlsform(
        self, name: str, row: dict[str, Any], options: list[Any]
    ) -> tuple[QuestionKind, dict[str, Any], list[Any]]:
        """The type, settings and options of an imported row of XLSForm type ``name`` (one
        of ``xlsform_names``); ValueError for what cannot be imported."""
        return self, {}, options

    def constraint_settings(self, text: str) -> dict[str, Any]:
        """Settings from an XLSForm ``constraint`` in our subset; ValueError for others."""
        if text:
            raise ValueError(_("the constraint “%(text)s” is not supported.", text=text))
        return {}

    # --- conditions -----------------------------------------------------------------------

    def comparison_problem(self, question: Question, op: str, value: Literal) -> str | None:
        """Why a condition cannot compare the answer with ``value`` by ``op`` (the value is
        not empty), or None."""
        if not isinstance(value, str):
            return _("its answer is text, so compare it with text in quotes.")
        return None
