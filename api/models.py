"""The API's tables: tokens that integrations authenticate with, and webhooks.

A token is shown once when it is created and stored only as its SHA-256 hash, like the
one-time login links; revoking keeps the row, so the audit trail's ``token:<id>`` still
names something. A webhook delivery is queued in the database the way mail is queued in
the outbox, so a receiver that is down only delays it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
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
from extensions import Base


class Scope(enum.StrEnum):
    #: Aggregated, suppressed results summaries (what politicians read).
    RESULTS_READ = "results:read"
    #: Members with their personal data: create, import, read, update, delete.
    MEMBERS_WRITE = "members:write"
    #: Create questionnaires and waves.
    SURVEYS_WRITE = "surveys:write"
    #: Every completed response of a wave with its weight.
    ANSWERS_EXPORT = "answers:export"


class ApiToken(Base):
    """A bearer token an admin created for one integration, with what it may do."""

    __tablename__ = "api_token"
    __table_args__ = (CheckConstraint("expires_at > created_at", name="expires_after_created"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: What the token is for, e.g. "Case handling (ESDH)"; shown in the token list.
    name: Mapped[str] = mapped_column(String(200))
    #: SHA-256 of the token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Scope values (``Scope``), e.g. ["results:read"].
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: The admin who created it; NULL once that account is deleted.
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    #: The token stops working at this moment (naive UTC).
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    #: Set when an admin revokes it; a revoked token never works again.
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)

    def is_valid(self, at: datetime) -> bool:
        return self.revoked_at is None and at < self.expires_at


class WebhookEvent(enum.StrEnum):
    WAVE_OPENED = "wave.opened"
    WAVE_CLOSED = "wave.closed"
    RESULTS_PUBLISHED = "wave.results_published"
    #: A citizen proposal got enough supporters: the council must treat it.
    PROPOSAL_THRESHOLD_REACHED = "proposal.threshold_reached"
    #: What came of a citizen proposal is published.
    PROPOSAL_ANSWERED = "proposal.answered"


#: The events about a proposal rather than a wave.
PROPOSAL_EVENTS = frozenset(
    {WebhookEvent.PROPOSAL_THRESHOLD_REACHED, WebhookEvent.PROPOSAL_ANSWERED}
)


class WebhookEndpoint(Base):
    """A receiver of signed event POSTs (optional per region)."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    #: The HMAC-SHA256 key the receiver checks signatures with; shown to the admin once.
    secret: Mapped[str] = mapped_column(String(100))
    #: Event values (``WebhookEvent``) this receiver wants.
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Inactive endpoints get nothing new queued.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    deliveries: Mapped[list[WebhookDelivery]] = relationship(
        back_populates="endpoint", cascade="all, delete-orphan", passive_deletes=True
    )


class WebhookDelivery(Base):
    """One event for one endpoint, delivered with retries and backoff; the delivery log."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        # one delivery per endpoint, event and wave (or proposal): queueing twice is harmless
        UniqueConstraint("endpoint_id", "event", "wave_id"),
        UniqueConstraint("endpoint_id", "event", "proposal_id"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_webhook_delivery_due", "delivered_at", "failed_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(40))
    #: The wave the event is about; NULL once the wave is deleted.
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("wave.id", ondelete="SET NULL"))
    #: The proposal a ``proposal.*`` event is about; NULL for wave events.
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="SET NULL"))
    #: The JSON body sent (the same bytes every attempt, so the signature is stable).
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Set when the retries are used up; nothing more is tried.
    failed_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: HTTP status of the last attempt (None when no answer came).
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))

    endpoint: Mapped[WebhookEndpoint] = relationship(back_populates="deliveries")
