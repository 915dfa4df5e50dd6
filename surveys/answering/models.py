"""Responses and answers.

A response refers to its member by internal id, and that link is cut (``ON DELETE SET
NULL``) when the member is deleted, so answers already given stay, anonymous.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from extensions import Base, value_enum

if TYPE_CHECKING:
    from surveys.waves.models import Invitation

#: Per-language text, e.g. {"da": "Hvor ofte ...", "en": "How often ..."}.
from surveys.questionnaires.models import Questionnaire


class ResponseMode(enum.StrEnum):
    """How the answers came in; results and exports say so."""

    #: Through a member's personal invitation link.
    WEB = "web"
    #: Through a questionnaire's public link: anyone, not a panel member, never weighted.
    PUBLIC = "public"
    #: A paper questionnaire typed in by staff for a member.
    PAPER = "paper"
    #: Answers given by telephone and typed in by staff for a member.
    PHONE = "phone"


class Response(Base):
    """One person's answers to one questionnaire: at most one per invitation.

    The unique invitation is what makes a double click, a reload or a second visit through
    the same link find the response already there instead of starting another.
    """

    __tablename__ = "response"
    __table_args__ = (
        CheckConstraint("current_page >= 0", name="current_page_not_negative"),
        CheckConstraint(
            "mode <> 'public' OR (invitation_id IS NULL AND wave_id IS NULL)",
            name="public_not_invited",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The questionnaire answered; a questionnaire with responses cannot be deleted.
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire.id", ondelete="RESTRICT"), index=True
    )
    #: The wave it answers, for results; NULL for public answers.
    wave_id: Mapped[int | None] = mapped_column(
        ForeignKey("wave.id", ondelete="RESTRICT"), index=True
    )
    #: The invitation whose link (or paper form) it came through; one response per invitation.
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), unique=True
    )
    mode: Mapped[ResponseMode] = mapped_column(
        value_enum(ResponseMode, "response_mode"), default=ResponseMode.WEB
    )
    #: SHA-256 of a public respondent's resume token (the token is in their link only).
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: The language the questions were answered in.
    language: Mapped[str] = mapped_column(String(20), default="da")
    #: Position of the page to come back to: where the respondent stopped.
    current_page: Mapped[int] = mapped_column(Integer, default=0)
    #: Staff who typed in paper or telephone answers; NULL for the respondent's own.
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    #: The member who answered; NULL once they are deleted (the answers stay, unlinkable).
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL"), index=True
    )
    #: The respondent's weighting attributes when they answered, so weighting still works
    #: after the member is gone or has moved; no identity in it.
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)

    questionnaire: Mapped[Questionnaire] = relationship()
    invitation: Mapped[Invitation | None] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


class Answer(Base):
    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("response_id", "question_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(String(80))
    value: Mapped[Any] = mapped_column(JSON)
    #: Option codes in the order this respondent was shown them, where they were shuffled.
    shown_order: Mapped[list[str] | None] = mapped_column(JSON)

    response: Mapped[Response] = relationship(back_populates="answers")
