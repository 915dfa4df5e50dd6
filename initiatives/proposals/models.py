"""Citizen proposals: the proposal, its proposers, its supports and the supporters' contacts.

A proposal's life is an explicit state machine (``ProposalState``, ``TRANSITIONS``): every
change goes through ``Proposal.move_to``, which refuses what the table does not allow.
Personal data lives apart, as ``member_contact`` does for members: proposers' names and
addresses in ``proposal_proposer`` (their names are published with the proposal, which
they are told), supporters' in ``support_contact``, which no public page reads. The public
pages show counts only.

A support is one verified person once: ``proposal_support`` is unique per proposal and
``identity_hash`` (a hash of the person's e-mail address, or of name and birth date for a
support on paper), so a double click, a second tab or the same person by another route
never counts twice. It counts once ``confirmed_at`` is set.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.errors import InvalidTransition
from extensions import Base, value_enum


class ProposalState(enum.StrEnum):
    #: Being written by its proposers; only they see it.
    DRAFT = "draft"
    #: Submitted; staff check it against the scheme's rules before it is published.
    SCREENING = "screening"
    #: Public and collecting support until ``closes_at``.
    PUBLISHED = "published"
    #: Enough supporters: the council must treat it.
    THRESHOLD_REACHED = "threshold_reached"
    #: The council has treated it; its decision is on the page.
    TREATED = "treated"
    #: What came of it is on the page ("you said, we did"); the end.
    ANSWERED = "answered"
    #: Screening found it outside the scheme; the reason is published.
    REJECTED = "rejected"
    #: The proposers took it back.
    WITHDRAWN = "withdrawn"
    #: The window ended below the threshold.
    EXPIRED = "expired"


#: Where each state may lead; ``Proposal.move_to`` refuses anything else. An expired
#: proposal may still be answered, since every proposal gets an answer.
TRANSITIONS: dict[ProposalState, frozenset[ProposalState]] = {
    ProposalState.DRAFT: frozenset({ProposalState.SCREENING, ProposalState.WITHDRAWN}),
    ProposalState.SCREENING: frozenset(
        {ProposalState.PUBLISHED, ProposalState.REJECTED, ProposalState.WITHDRAWN}
    ),
    ProposalState.PUBLISHED: frozenset(
        {ProposalState.THRESHOLD_REACHED, ProposalState.EXPIRED, ProposalState.WITHDRAWN}
    ),
    ProposalState.THRESHOLD_REACHED: frozenset({ProposalState.TREATED}),
    ProposalState.TREATED: frozenset({ProposalState.ANSWERED}),
    ProposalState.EXPIRED: frozenset({ProposalState.ANSWERED}),
    ProposalState.ANSWERED: frozenset(),
    ProposalState.REJECTED: frozenset(),
    ProposalState.WITHDRAWN: frozenset(),
}

#: States anyone may see the proposal in.
PUBLIC_STATES = frozenset(TRANSITIONS) - {ProposalState.DRAFT, ProposalState.SCREENING}
#: States in which it collects support (while its window is open).
SUPPORTABLE_STATES = frozenset({ProposalState.PUBLISHED, ProposalState.THRESHOLD_REACHED})

STATE_LABELS = {
    ProposalState.DRAFT: _l("Draft"),
    ProposalState.SCREENING: _l("Being screened"),
    ProposalState.PUBLISHED: _l("Collecting support"),
    ProposalState.THRESHOLD_REACHED: _l("Threshold reached: goes to the council"),
    ProposalState.TREATED: _l("Treated by the council"),
    ProposalState.ANSWERED: _l("Answered"),
    ProposalState.REJECTED: _l("Not admitted"),
    ProposalState.WITHDRAWN: _l("Withdrawn"),
    ProposalState.EXPIRED: _l("Expired"),
}


class SupportChannel(enum.StrEnum):
    #: A panel member, logged in by their login link.
    MEMBER = "member"
    #: Name and e-mail, confirmed by a link mailed to that address.
    EMAIL = "email"
    #: On paper, typed in by staff with a note (audited).
    PAPER = "paper"


class Proposal(Base):
    """A citizen proposal; change its state only through ``move_to``."""

    __tablename__ = "proposal"
    __table_args__ = (
        CheckConstraint("threshold > 0", name="threshold_positive"),
        CheckConstraint("min_age IN (15, 18)", name="min_age_known"),
        Index("ix_proposal_state_closes_at", "state", "closes_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[ProposalState] = mapped_column(
        value_enum(ProposalState, "proposal_state"), default=ProposalState.DRAFT
    )
    title: Mapped[str] = mapped_column(String(200))
    #: The proposal itself: what the council is asked to decide, and why.
    text: Mapped[str] = mapped_column(Text)
    #: The language it is written in ("da" or "en"); it is shown as written.
    language: Mapped[str] = mapped_column(String(5), default="da")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: The scheme's rules copied at creation, so later changes of the settings leave it be.
    threshold: Mapped[int] = mapped_column(Integer)
    min_age: Mapped[int] = mapped_column(Integer, default=18)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Support is collected until this moment; set when published.
    closes_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Why screening admitted or refused it; published on the proposal's page.
    screening_reason: Mapped[str | None] = mapped_column(Text)
    screened_at: Mapped[datetime | None] = mapped_column(DateTime)
    threshold_reached_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: The council's decision, published when it has treated the proposal.
    council_decision: Mapped[str | None] = mapped_column(Text)
    treated_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: What came of it ("you said, we did"): the region's answer, the end of the story.
    outcome: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: When it was withdrawn or expired (the state says which).
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: The draft questionnaire staff made to ask a panel wave about it, if any.
    questionnaire_id: Mapped[int | None] = mapped_column(
        ForeignKey("questionnaire.id", ondelete="SET NULL")
    )

    proposers: Mapped[list[Proposer]] = relationship(
        back_populates="proposal",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(Proposer.is_main.desc(), Proposer.id)",
    )

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_STATES

    @property
    def main_proposer(self) -> Proposer:
        return next(p for p in self.proposers if p.is_main)

    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    def accepts_support(self, at: datetime) -> bool:
        return (
            self.state in SUPPORTABLE_STATES and self.closes_at is not None and at < self.closes_at
        )

    @property
    def can_be_withdrawn(self) -> bool:
        return self.can_move_to(ProposalState.WITHDRAWN)

    def can_move_to(self, target: ProposalState) -> bool:
        return target in TRANSITIONS[self.state]

    def move_to(self, target: ProposalState) -> None:
        """The one way the state changes; refuses a move the table does not allow."""
        if not self.can_move_to(target):
            raise InvalidTransition(
                _(
                    "A proposal that is “%(current)s” cannot become “%(target)s”.",
                    current=STATE_LABELS[self.state],
                    target=STATE_LABELS[target],
                )
            )
        self.state = target


class Proposer(Base):
    """The main proposer or a co-proposer; personal data, published as a name only."""

    __tablename__ = "proposal_proposer"
    __table_args__ = (UniqueConstraint("proposal_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    is_main: Mapped[bool] = mapped_column(default=False)
    #: Lower-cased address the manage or invitation link went to.
    email: Mapped[str] = mapped_column(String(254))
    #: Given by the proposer (a co-proposer when accepting); shown with the proposal.
    name: Mapped[str | None] = mapped_column(String(200))
    invited_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: When the link was first used: the address is theirs and they stand behind it.
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: SHA-256 of the proposer's personal link; the link itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)

    proposal: Mapped[Proposal] = relationship(back_populates="proposers")


class Support(Base):
    """One person's support for one proposal; counts once confirmed."""

    __tablename__ = "proposal_support"
    __table_args__ = (
        UniqueConstraint("proposal_id", "identity_hash"),
        Index("ix_proposal_support_counted", "proposal_id", "confirmed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    channel: Mapped[SupportChannel] = mapped_column(value_enum(SupportChannel, "support_channel"))
    #: SHA-256 of "email:<address>" (members and e-mail supporters alike, so the two routes
    #: cannot count one person twice) or of "paper:<name>|<birth date>".
    identity_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: Set when verified (at once for members and paper); only then does it count.
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: SHA-256 of the confirmation link's token while it waits to be confirmed.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(DateTime)

    contact: Mapped[SupportContact | None] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class SupportContact(Base):
    """Who a supporter is; read only by staff (never by a public page or the API)."""

    __tablename__ = "support_contact"

    support_id: Mapped[int] = mapped_column(
        ForeignKey("proposal_support.id", ondelete="CASCADE"), primary_key=True
    )
    #: The panel member who supported, for the member route; their contact stays theirs.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    #: For a paper support: what staff noted (where the form came from, who typed it in).
    note: Mapped[str | None] = mapped_column(String(500))
