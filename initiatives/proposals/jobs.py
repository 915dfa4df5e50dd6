"""The proposals' scheduled job: proposals whose window ended expire.

``core.jobs`` runs it under the runner lock, and ``expire_due`` moves each proposal with a
conditional UPDATE, so it expires exactly once however many processes tick.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.jobs import Every, ScheduledJob, register
from extensions import db
from initiatives.proposals.operations import expire_due


def expire_proposals(now: datetime) -> str:
    expired = expire_due(now)
    db.session.commit()
    return f"expired {expired}"


def register_jobs() -> None:
    register(ScheduledJob("expire_proposals", Every(timedelta(minutes=15)), expire_proposals))
