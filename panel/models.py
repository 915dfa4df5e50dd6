"""People in the panel: members, their contact details, consent, login tokens, staff.

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

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import Base, value_enum
from panel.clock import utcnow


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


class Role(enum.StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    #: Reads aggregated, suppressed results only; never an individual's data.
    POLITICIAN = "politician"


class TokenPurpose(enum.StrEnum):
    CONFIRM = "confirm"
    LOGIN = "login"


class InvalidTransition(ValueError):
    """Raised when a member, questionnaire or wave is asked to move to a state it cannot
    reach from its current one (every state machine in Borgerpanel raises this)."""


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
    #: When the consent in force lapses; None without one. Written only by panel.consent, so
    #: head counts and sampling eligibility need no join with the consent history.
    consent_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Last time we mailed them that their consent is about to lapse.
    consent_renewal_requested_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Set when mail to their address bounced; they are not mailed until the address changes.
    #: Kept here rather than beside the address, like ``consent_expires_at``, so the wave's
    #: sampling frame is one scan of this table (joining a million contact rows cost most of
    #: the frame's time, ``bench/bench_waves.py``); it says nothing of who the member is.
    email_bounced_at: Mapped[datetime | None] = mapped_column(DateTime)

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
            raise InvalidTransition(f"member {self.id} is {self.status}, not pending")
        self.status = MemberStatus.ACTIVE
        self.confirmed_at = at or utcnow()
        self.profile_checked_at = self.confirmed_at

    def rejoin(self) -> None:
        """A member who left joins again: pending until they confirm the address anew."""
        if self.status is not MemberStatus.LEFT:
            raise InvalidTransition(f"member {self.id} is {self.status}, not left")
        self.status = MemberStatus.PENDING
        self.left_at = None
        self.confirmed_at = None

    def leave(self, at: datetime | None = None) -> None:
        if self.status is MemberStatus.LEFT:
            raise InvalidTransition(f"member {self.id} has already left")
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
    #: Version of the consent text shown (see ``panel.consent.CONSENT_VERSION``).
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


class StaffUser(UserMixin, Base):
    """A region employee or politician who logs in with e-mail and password."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: argon2 hash (argon2-cffi's PasswordHasher).
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(value_enum(Role, "staff_role"))
    #: A deactivated account cannot log in; kept for the history of what it did.
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(String(5), default="da")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: The shared TOTP secret (base32), set once the user confirmed a first code. Stored
    #: as it is, because checking a code needs it; the database backup must be guarded
    #: like the passwords' (see SECURITY.md).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: The 30-second time step of the last accepted code: a code works only once.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    def get_id(self) -> str:
        return f"staff:{self.id}"

    @property
    def has_two_factor(self) -> bool:
        return self.totp_secret is not None

    @property
    def is_active(self) -> bool:
        return self.active


class AttributeKind(enum.StrEnum):
    #: The member picks one of the attribute's categories.
    CATEGORY = "category"
    #: Derived from the birth year: each category is an age range.
    AGE_BAND = "age_band"


class Attribute(Base):
    """A demographic attribute members have (gender, municipality, ...): data, not code."""

    __tablename__ = "attribute"
    __table_args__ = (CheckConstraint("key <> ''", name="key_not_empty"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Stable machine name, used in CSV headers and in ``Member.attributes``.
    key: Mapped[str] = mapped_column(String(40), unique=True)
    #: Label per language, e.g. {"da": "Køn", "en": "Gender"}.
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    kind: Mapped[AttributeKind] = mapped_column(value_enum(AttributeKind, "attribute_kind"))
    #: Asked when joining, and needed for weighting and composition.
    required: Mapped[bool] = mapped_column(default=True)
    #: Shown on the composition page and offered for weighting.
    weighting: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: Other column names that mean this attribute in uploaded CSVs (e.g. "KØN", "sex").
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)

    categories: Mapped[list[Category]] = relationship(
        back_populates="attribute",
        cascade="all, delete-orphan",
        order_by="Category.position",
    )

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels.get("da") or self.key


class Category(Base):
    """One value of an attribute; an age band carries its age range."""

    __tablename__ = "attribute_category"
    __table_args__ = (
        UniqueConstraint("attribute_id", "code"),
        CheckConstraint("min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="ages"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attribute_id: Mapped[int] = mapped_column(ForeignKey("attribute.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: For age bands: inclusive bounds; ``max_age`` None means "and older".
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    #: Other spellings in uploaded CSVs (e.g. "Kvinder" for "f").
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)

    attribute: Mapped[Attribute] = relationship(back_populates="categories")

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels.get("da") or self.code


class PopulationTable(Base):
    """An uploaded set of population figures (e.g. FOLK1A for the region, one quarter)."""

    __tablename__ = "population_table"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Where the figures come from, e.g. "Danmarks Statistik, FOLK1A, 2026K3".
    source: Mapped[str] = mapped_column(String(500), default="")
    #: Attribute keys each cell is broken down by, in upload order.
    attribute_keys: Mapped[list[str]] = mapped_column(JSON)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )

    figures: Mapped[list[PopulationFigure]] = relationship(
        back_populates="table", cascade="all, delete-orphan", passive_deletes=True
    )


class PopulationFigure(Base):
    """The population count of one cell, e.g. {"age": "30-39", "gender": "f"}: 10412."""

    __tablename__ = "population_figure"
    __table_args__ = (
        UniqueConstraint("table_id", "cell"),
        CheckConstraint("count >= 0", name="count_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("population_table.id", ondelete="CASCADE"))
    cell: Mapped[dict[str, str]] = mapped_column(CanonicalJSON)
    count: Mapped[int] = mapped_column(BigInteger)

    table: Mapped[PopulationTable] = relationship(back_populates="figures")


class OutboxMessage(Base):
    """An e-mail waiting to be sent, or sent. The outbox is the only way mail leaves the app.

    Queued in the same transaction as the change that causes it, so a crash never loses
    a message and a mail server that is down only delays it.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_outbox_message_due", "sent_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The member it is for, so their mail goes when they are deleted; None for staff mail.
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), index=True
    )
    #: What the message is (template name), e.g. "confirm" or "login".
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
