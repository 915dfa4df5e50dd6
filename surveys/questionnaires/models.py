"""Questionnaires: versions, pages, questions and options.

Every text a citizen sees is stored per language as JSON, ``{"da": "...", "en": "..."}``;
the languages a questionnaire offers are listed on it. What each question type means (its
settings, checks, answers, exports) lives in ``surveys.questionnaires.types``.
"""

from __future__ import annotations

import enum
import logging
import secrets
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.orderinglist import ordering_list
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.errors import InvalidTransition
from extensions import Base, value_enum

if TYPE_CHECKING:
    from surveys.questionnaires.types import QuestionKind

log = logging.getLogger(__name__)

#: Per-language text, e.g. {"da": "Hvor ofte ...", "en": "How often ..."}.
Texts = dict[str, str]


class QuestionnaireState(enum.StrEnum):
    #: Being designed; the only state in which questions can be edited.
    DRAFT = "draft"
    #: Complete (every text translated, every condition valid); can be sent out.
    READY = "ready"
    #: Sent out; frozen. Changes need a new version.
    IN_USE = "in_use"
    #: No longer used; kept for results and trends.
    ARCHIVED = "archived"


#: The states in which a questionnaire can be sent: in a wave, by a plan, or by a public link.
SENDABLE = (QuestionnaireState.READY, QuestionnaireState.IN_USE)


class QuestionType(enum.StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    #: A short labelled scale, e.g. 1-5, optionally with "don't know".
    RATING = "rating"
    #: 0-10, e.g. "how likely ...", ends labelled.
    SCALE_0_10 = "scale_0_10"
    #: Several statements on one scale (the options); on a phone one question per statement.
    GRID = "grid"
    RANKING = "ranking"
    NUMBER = "number"
    DATE = "date"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    #: Text only, nothing to answer.
    INFORMATION = "information"


class OptionKind(enum.StrEnum):
    #: An answer option (for a grid: a point of the shared scale).
    CHOICE = "choice"
    #: A grid's row: a statement answered on the scale.
    STATEMENT = "statement"


class Questionnaire(Base):
    """A questionnaire in one version, with the reasons for asking it (Nordjylland's checklist)."""

    __tablename__ = "questionnaire"
    __table_args__ = (CheckConstraint("version >= 1", name="version_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Where it is in its life; change it through the methods below.
    state: Mapped[QuestionnaireState] = mapped_column(
        value_enum(QuestionnaireState, "questionnaire_state"), default=QuestionnaireState.DRAFT
    )
    #: Language codes offered, the default (Danish) first, e.g. ["da", "en", "ar"].
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["da", "en"])
    title: Mapped[Texts] = mapped_column(JSON, default=dict)
    #: Shown before the first question, with the purpose and the influence below.
    introduction: Mapped[Texts] = mapped_column(JSON, default=dict)
    #: Checklist 1 (formål), in plain language: shown to citizens.
    purpose: Mapped[Texts] = mapped_column(JSON, default=dict)
    #: Checklist 2 (målgruppe): who should answer; for staff.
    target_group: Mapped[str] = mapped_column(Text, default="")
    #: Checklist 3 (ressourcer): what it costs and whether that fits the purpose; for staff.
    resources: Mapped[str] = mapped_column(Text, default="")
    #: Checklist 4 (beslutningsproces): where in the decision process the answers come in.
    decision_process: Mapped[str] = mapped_column(Text, default="")
    #: Checklist 5 (beslutningskompetence): how much influence the citizens are given.
    decision_authority: Mapped[str] = mapped_column(Text, default="")
    #: Who asked for it (a committee, a department): shown to citizens.
    commissioned_by: Mapped[Texts] = mapped_column(JSON, default=dict)
    #: What the answers can influence, in plain language: shown before the first question.
    influence: Mapped[Texts] = mapped_column(JSON, default=dict)
    #: When the results will be published; promised on the first and the last page.
    results_published_on: Mapped[date | None] = mapped_column(Date)
    #: 1 for a new questionnaire; ``previous.version + 1`` for a new version.
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: The version this one was made from; its questions share their concepts.
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("questionnaire.id", ondelete="SET NULL"), index=True
    )
    #: The token of the public link (``/p/<token>``) while it is open to anyone; None: closed.
    public_token: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    previous: Mapped[Questionnaire | None] = relationship(remote_side=[id])
    pages: Mapped[list[Page]] = relationship(
        back_populates="questionnaire",
        cascade="all, delete-orphan",
        order_by="Page.position",
        collection_class=ordering_list("position"),
    )

    @property
    def questions(self) -> list[Question]:
        """All questions in the order a citizen meets them."""
        return [question for page in self.pages for question in page.questions]

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)

    @property
    def can_be_sent(self) -> bool:
        """Complete and checked (ready) or already sent (in use); see ``SENDABLE``."""
        return self.state in SENDABLE

    def toggle_public_link(self) -> bool:
        """Open the public link with a new address, or close it; True if opened.

        Closing forgets the address, so a link passed around after a consultation ends leads
        nowhere, and reopening gives a new one. Only a questionnaire that can be sent opens.
        """
        if self.public_token is not None:
            self.public_token = None
        elif not self.can_be_sent:
            raise InvalidTransition(_("This questionnaire does not take answers now."))
        else:
            self.public_token = secrets.token_urlsafe(16)
        log.info("questionnaire %s public link %s", self.id,
                 "opened" if self.public_token else "closed")  # fmt: skip
        return self.public_token is not None

    def _move(self, allowed: tuple[QuestionnaireState, ...], to: QuestionnaireState) -> None:
        if self.state not in allowed:
            raise InvalidTransition(_("The questionnaire cannot change to that state now."))
        self.state = to

    def mark_ready(self) -> None:
        """Use ``surveys.questionnaires.operations.mark_ready``, which checks translations first."""
        self._move((QuestionnaireState.DRAFT,), QuestionnaireState.READY)

    def back_to_draft(self) -> None:
        self._move((QuestionnaireState.READY,), QuestionnaireState.DRAFT)

    def take_into_use(self) -> None:
        self._move((QuestionnaireState.READY,), QuestionnaireState.IN_USE)

    def archive(self) -> None:
        self._move(
            (QuestionnaireState.READY, QuestionnaireState.IN_USE), QuestionnaireState.ARCHIVED
        )


class Page(Base):
    """One screen of questions; shown only when its condition holds."""

    __tablename__ = "questionnaire_page"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire.id", ondelete="CASCADE"), index=True
    )
    #: 0-based order in the questionnaire (kept by the ordering list).
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: Optional heading per language.
    title: Mapped[Texts] = mapped_column(JSON, default=dict)
    #: Condition source (``conditions``) on questions of earlier pages; None: always.
    condition: Mapped[str | None] = mapped_column(Text)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="pages")
    questions: Mapped[list[Question]] = relationship(
        back_populates="page",
        cascade="all, delete-orphan",
        order_by="Question.position",
        collection_class=ordering_list("position"),
    )


class Question(Base):
    """One question. Which settings apply depends on the type (see ``kind``)."""

    __tablename__ = "question"
    __table_args__ = (
        UniqueConstraint("questionnaire_id", "key"),
        CheckConstraint("key <> ''", name="key_not_empty"),
        CheckConstraint("display IS NULL OR display IN ('radio', 'dropdown')", name="display"),
        CheckConstraint(
            "min_selections IS NULL OR max_selections IS NULL OR min_selections <= max_selections",
            name="selections",
        ),
        CheckConstraint(
            "min_value IS NULL OR max_value IS NULL OR min_value <= max_value", name="bounds"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Redundant with the page's, so that keys are unique per questionnaire in the database.
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire.id", ondelete="CASCADE"), index=True
    )
    page_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_page.id", ondelete="CASCADE"), index=True
    )
    #: 0-based order on the page.
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: Stable name within the questionnaire (e.g. "q1"): conditions, exports, XLSForm ``name``.
    key: Mapped[str] = mapped_column(String(40))
    #: Identity across questionnaires (a UUID): copies and new versions keep it, for trends.
    concept: Mapped[str] = mapped_column(String(36), index=True)
    type: Mapped[QuestionType] = mapped_column(value_enum(QuestionType, "question_type"))
    text: Mapped[Texts] = mapped_column(JSON, default=dict)
    #: Help shown under the question, per language; may be empty.
    hint: Mapped[Texts] = mapped_column(JSON, default=dict)
    required: Mapped[bool] = mapped_column(default=False)
    #: Condition source on earlier questions (``conditions``); None: always shown.
    condition: Mapped[str | None] = mapped_column(Text)
    #: Single choice: "radio" or "dropdown".
    display: Mapped[str | None] = mapped_column(String(20))
    #: Choices, rankings and grids: options in a random order per respondent.
    randomise_options: Mapped[bool] = mapped_column(default=False)
    #: Multiple choice: how many options must / may be chosen.
    min_selections: Mapped[int | None] = mapped_column(Integer)
    max_selections: Mapped[int | None] = mapped_column(Integer)
    #: Number: bounds; rating: the ends of the scale (0-10 scales keep 0 and 10).
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    #: Number: only whole numbers.
    whole_numbers: Mapped[bool] = mapped_column(default=False)
    #: Rating and 0-10: labels of the lowest and the highest point, per language.
    low_label: Mapped[Texts] = mapped_column(JSON, default=dict)
    high_label: Mapped[Texts] = mapped_column(JSON, default=dict)
    #: Rating and 0-10: offer "don't know" (answer value ``"dont_know"``).
    dont_know: Mapped[bool] = mapped_column(default=False)
    #: Short and long text: a regular expression the whole answer must match.
    pattern: Mapped[str | None] = mapped_column(String(500))
    #: Shown when an answer breaks the rule (bounds, selections, pattern), per language.
    validation_message: Mapped[Texts] = mapped_column(JSON, default=dict)

    questionnaire: Mapped[Questionnaire] = relationship()
    page: Mapped[Page] = relationship(back_populates="questions")
    options: Mapped[list[Option]] = relationship(
        back_populates="question",
        cascade="all, delete-orphan",
        order_by="Option.position",
        collection_class=ordering_list("position"),
    )

    @property
    def kind(self) -> QuestionKind:
        """What the question's type knows: settings, checks, answers, exports, summary."""
        from surveys.questionnaires.types import kind_of  # the types are built on this module

        return kind_of(self.type)

    @property
    def choices(self) -> list[Option]:
        return [o for o in self.options if o.kind is OptionKind.CHOICE]

    @property
    def statements(self) -> list[Option]:
        return [o for o in self.options if o.kind is OptionKind.STATEMENT]


class Option(Base):
    """An answer option, or a grid statement, with a code that never changes."""

    __tablename__ = "question_option"
    __table_args__ = (
        UniqueConstraint("question_id", "kind", "code"),
        CheckConstraint("code <> ''", name="code_not_empty"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[OptionKind] = mapped_column(
        value_enum(OptionKind, "option_kind"), default=OptionKind.CHOICE
    )
    #: Stored in answers and used in conditions, e.g. "bus"; never changes once answered.
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[Texts] = mapped_column(JSON, default=dict)

    question: Mapped[Question] = relationship(back_populates="options")
