"""Giving results back: a wave's publication, the mails it sent, and quotes staff chose.

A ``PublicationMail`` row is written in the same transaction as the mail it records, so
publishing twice, or re-running after a crash, mails nobody twice; staff asking to mail the
news again start a new ``round``. Quotes are free-text answers that staff picked and
edited (to remove names); nothing else of a free-text answer ever leaves the staff pages.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from extensions import Base
from surveys.waves.models import Wave

#: A language code -> text, e.g. {"da": "...", "en": "..."}.
Texts = dict[str, str]


class Publication(Base):
    """A wave's results given back to those who answered; at most one per wave."""

    __tablename__ = "publication"
    __table_args__ = (CheckConstraint("mail_round >= 1", name="mail_round_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), unique=True)
    #: When staff first published; later edits keep it.
    published_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    #: Whether anyone may read the results at /results/public/<wave id>.
    public: Mapped[bool] = mapped_column(default=False)
    #: "You said, we did": what the region decided or did because of the answers, per language.
    you_said_we_did: Mapped[Texts] = mapped_column(JSON, default=dict)
    #: The current mailing: each respondent gets one mail per round (see PublicationMail).
    mail_round: Mapped[int] = mapped_column(Integer, default=1)

    wave: Mapped[Wave] = relationship()


class PublicationMail(Base):
    """That one member was mailed about one publication in one round (at most once)."""

    __tablename__ = "publication_mail"

    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publication.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Quote(Base):
    """A free-text answer staff picked, with the text as published (names removed)."""

    __tablename__ = "quote"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answer.id", ondelete="CASCADE"), unique=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    question_key: Mapped[str] = mapped_column(String(80))
    #: The edited text that is shown; the answer itself is never changed.
    text: Mapped[str] = mapped_column(Text)
    #: Shown on the summary and the public page only while true.
    published: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
