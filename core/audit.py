"""The audit trail: who exported, viewed, changed or deleted what, kept tamper-evident.

Each entry carries the hash of the entry before it and a hash of itself over both, so
changing or deleting an entry breaks every hash after it (``verify_chain`` finds where).
``previous_hash`` is unique, so two writers that read the same last entry cannot both
append: the second fails and its transaction is retried by the caller, or, on PostgreSQL,
never gets there because appending takes a transaction-level advisory lock first.

Entries name people by internal id (``staff:3``, ``member:12``, ``token:5``), never by name
or e-mail, so the trail itself holds no personal data and survives a member's deletion.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from flask_login import current_user
from sqlalchemy import JSON, DateTime, Integer, String, select, text
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from extensions import Base, db

log = logging.getLogger(__name__)

#: The hash the first entry points back to.
GENESIS = "0" * 64
#: Key of the PostgreSQL advisory lock that serialises appends (any constant of our own).
_LOCK_KEY = 0x42_6F_72_67_65_72  # "Borger"


class AuditEvent(Base):
    """One recorded action; append-only (nothing in the app updates or deletes these)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    #: Who: "staff:3", "member:12", "token:5" (an API token) or "system".
    actor: Mapped[str] = mapped_column(String(80), index=True)
    #: What, as area.verb: "members.export", "member.delete", "results.view", ...
    action: Mapped[str] = mapped_column(String(80), index=True)
    #: On what: "wave:4", "member:12", "questionnaire:2"; empty when it is not one thing.
    target: Mapped[str] = mapped_column(String(200), default="")
    #: Further facts (counts, formats, filters); never names or addresses.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    previous_hash: Mapped[str] = mapped_column(String(64), unique=True)
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


def _digest(event: AuditEvent) -> str:
    body = json.dumps(
        [
            event.previous_hash,
            event.at.isoformat(timespec="microseconds"),
            event.actor,
            event.action,
            event.target,
            event.details,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def current_actor() -> str:
    """The logged-in user as an actor id, or "system" outside a request or login."""
    try:
        if current_user and current_user.is_authenticated:
            return str(current_user.get_id())
    except RuntimeError:  # no request context: a CLI command or a scheduled job
        pass
    return "system"


def record(action: str, target: str = "", actor: str | None = None, **details: Any) -> AuditEvent:
    """Append an entry for ``action`` (caller commits, with the change it records).

    Recording in the caller's transaction means an action and its entry are stored
    together or not at all.
    """
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    last = db.session.scalar(select(AuditEvent.entry_hash).order_by(AuditEvent.id.desc()).limit(1))
    event = AuditEvent(
        at=utcnow(),
        actor=actor or current_actor(),
        action=action,
        target=target,
        details=details,
        previous_hash=last or GENESIS,
    )
    event.entry_hash = _digest(event)
    db.session.add(event)
    db.session.flush()
    log.info("audit: %s %s %s", event.actor, action, target)
    return event


def verify_chain() -> int | None:
    """The id of the first entry that does not fit the chain, or None if all are intact."""
    expected = GENESIS
    for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        if event.previous_hash != expected or _digest(event) != event.entry_hash:
            return event.id
        expected = event.entry_hash
    return None
