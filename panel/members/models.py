"""Members: their demographic attributes and state, contact details, consent, login tokens.

Personal data (name, e-mail, login tokens) lives in tables of its own: ``member_contact``
and ``login_token``. Everything else about a member, and later their answers, refers to
them by ``member.id`` only, so deleting the personal rows leaves nothing that points back
to the person.
"""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_login import UserMixin
from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.errors import InvalidTransition
from extensions import Base, value_enum


class CanonicalJSON(TypeDecorator[dict[str, Any]]):
    """A JSON object stored as text with sorted keys.

    Why not the JSON type: equal objects must give equal strings, so that the database can
    GROUP BY the whole object in one scan (the composition of a million members is one
    query). Assign a new dict to change a value; in-place mutation is not tracked.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return dumps_canonical(value)

    def process_result_value(self, value: str | None, dialect: Any) -> dict[str, Any] | None:
        return None if value is None else json.loads(value)


def dumps_canonical(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class MemberStatus(enum.StrEnum):
    #: Joined but has not clicked the confirmation link yet (double opt-in).
    PENDING = "pending"
    #: Confirmed; may be sampled unless paused or without valid consent.
    ACTIVE = "active"
    #: Left the panel; kept only until deleted, never sampled or mailed.
    LEFT = "left"


class TokenPurpose(enum.StrEnum):
    CONFIRM = "confirm"
    LOGIN = "login"


class Member(UserMixin, Base):
    """A panel member as the statistics see them: demographic attributes, no identity."""

    __tablename__ = "member"
    __table_args__ = (
        CheckConstraint("birth_year BETWEEN 1900 AND 2100", name="birth_year_range"),
        CheckConstraint("language IN ('da', 'en')", name="language_known"),
        # the composition's one GROUP BY, answered from the index alone
        Index("ix_member_status_attributes", "status", "attributes", "birth_year"),
        # head counts and eligibility: paused and lapsed members are ranges of these
        Index("ix_member_status_paused_until", "status", "paused_until"),
        Index("ix_member_status_consent_expires_at", "status", "consent_expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Where the member is in their life cycle; change it through the methods below.
    status: Mapped[MemberStatus] = mapped_column(
        value_enum(MemberStatus, "member_status"),
        default=MemberStatus.PENDING,
    )
    #: The language of mails and pages for this member.
    language: Mapped[str] = mapped_column(String(5), default="da")
    #: Birth year; the age band attribute is derived from it at the time of use.
    birth_year: Mapped[int] = mapped_column(Integer)
    #: Category code per configured attribute key, e.g. {"gender": "f", "municipality": "751"}.
    attributes: Mapped[dict[str, str]] = mapped_column(CanonicalJSON, default=dict)
    #: How the member came in: "web", "import" or "demo".
    source: Mapped[str] = mapped_column(String(20), default="web")
    #: True for generated demo members, so they are never mistaken for real people.
    synthetic: Mapped[bool] = mapped_column(default=False)
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    left_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: No invitations up to and including this day.
    paused_until: Mapped[date | None] = mapped_column(Date)
    #: Last time the member confirmed their profile is up to date.
    profile_checked_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Last time we mailed them to check their profile (so the job asks once per period).
    profile_check_requested_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: When the consent in force lapses; None without one. Written only by panel.members.consent, so
    #: head counts and sampling eligibility need no join with the consent history.
    consent_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Last time we mailed them that their consent is about to lapse.
    consent_renewal_requested_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Set when mail to their address bounced; they are not mailed until the address changes.
    #: Kept here rather than beside the address, like ``consent_expires_at``, so the wave's
    #: sampling frame is one scan of this table (joining a million contact rows cost most of
    #: the frame's time, ``bench/bench_waves.py``); it says nothing of who the member is.
    email_bounced_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Sessions carry the number they were opened under; raising it (``panel.auth.end_sessions``
    #: at logout) ends every session of this member, wherever a copy of the cookie is.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    contact: Mapped[MemberContact | None] = relationship(
        back_populates="member", cascade="all, delete-orphan", passive_deletes=True
    )
    consents: Mapped[list[Consent]] = relationship(
        back_populates="member",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Consent.given_at",
    )

    def get_id(self) -> str:
        return f"member:{self.id}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def is_paused(self, on: date | None = None) -> bool:
        on = on or utcnow().date()
        return self.paused_until is not None and self.paused_until >= on

    def current_consent(self, at: datetime | None = None) -> Consent | None:
        """The consent in force at ``at`` (now by default), or None when it has lapsed."""
        at = at or utcnow()
        valid = [c for c in self.consents if c.is_valid(at)]
        return max(valid, key=lambda c: c.given_at) if valid else None

    def confirm(self, at: datetime | None = None) -> None:
        if self.status is not MemberStatus.PENDING:
            raise InvalidTransition(_("The membership is not waiting to be confirmed."))
        self.status = MemberStatus.ACTIVE
        self.confirmed_at = at or utcnow()
        self.profile_checked_at = self.confirmed_at

    def rejoin(self) -> None:
        """A member who left joins again: pending until they confirm the address anew."""
        if self.status is not MemberStatus.LEFT:
            raise InvalidTransition(_("Only a member who has left can join again."))
        self.status = MemberStatus.PENDING
        self.left_at = None
        self.confirmed_at = None

    def leave(self, at: datetime | None = None) -> None:
        if self.status is MemberStatus.LEFT:
            raise InvalidTransition(_("The member has already left the panel."))
        self.status = MemberStatus.LEFT
        self.left_at = at or utcnow()


class MemberContact(Base):
    """Personal data needed to reach a member; deleted with the member."""

    __tablename__ = "member_contact"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    #: Lower-cased address; unique, so one person is one member.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))

    member: Mapped[Member] = relationship(back_populates="contact")


class Consent(Base):
    """One consent given by a member: which text they agreed to, when, and until when."""

    __tablename__ = "consent"
    __table_args__ = (CheckConstraint("expires_at > given_at", name="expires_after_given"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    #: Version of the consent text shown (see ``panel.members.consent.CONSENT_VERSION``).
    text_version: Mapped[str] = mapped_column(String(32))
    given_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: "web", "renewal" or "import" (given on paper or by phone and typed in by staff).
    source: Mapped[str] = mapped_column(String(20), default="web")

    member: Mapped[Member] = relationship(back_populates="consents")

    def is_valid(self, at: datetime) -> bool:
        return self.withdrawn_at is None and self.given_at <= at < self.expires_at


class LoginToken(Base):
    """A one-time link (confirmation or login). Only a hash of the token is stored."""

    __tablename__ = "login_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(value_enum(TokenPurpose, "token_purpose"))
    #: SHA-256 of the token in the link; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    #: Set when the link is used; a used link never works again.
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
