"""The proposals' scheduled jobs: proposals whose window ended expire, and supporters'
personal data goes once it is no longer needed.

``core.jobs`` runs them under the runner lock; ``expire_due`` moves each proposal with a
conditional UPDATE, so it expires exactly once however many processes tick.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, delete, or_, select

from core.jobs import DailyAt, Every, ScheduledJob, register
from extensions import db
from initiatives.proposals.models import Proposal, ProposalState, Support, SupportContact
from initiatives.proposals.operations import expire_due

#: A support never confirmed is deleted this long after its link expired.
UNCONFIRMED_RETENTION = timedelta(days=7)


def expire_proposals(now: datetime) -> str:
    expired = expire_due(now)
    db.session.commit()
    return f"expired {expired}"


def delete_supporter_data(now: datetime) -> str:
    """Supporters' names and addresses are needed while a proposal can still be checked
    (duplicates, a complaint); ``SUPPORTER_RETENTION_DAYS`` after it ended or was answered
    they go. The supports stay, as anonymous counts, and so does the identity hash that
    keeps them unique. Supports never confirmed go a week after their link expired."""
    cutoff = now - timedelta(days=current_app.config["SUPPORTER_RETENTION_DAYS"])
    ended = select(Proposal.id).where(
        or_(
            Proposal.answered_at < cutoff,
            (Proposal.ended_at < cutoff) & (Proposal.state != ProposalState.ANSWERED),
            (Proposal.screened_at < cutoff) & (Proposal.state == ProposalState.REJECTED),
        )
    )
    contacts = db.session.execute(
        delete(SupportContact).where(
            SupportContact.support_id.in_(select(Support.id).where(Support.proposal_id.in_(ended)))
        )
    )
    unconfirmed = db.session.execute(
        delete(Support).where(
            Support.confirmed_at.is_(None),
            Support.token_expires_at < now - UNCONFIRMED_RETENTION,
        )
    )
    db.session.commit()
    removed = cast(CursorResult[Any], contacts).rowcount
    dropped = cast(CursorResult[Any], unconfirmed).rowcount
    return f"deleted {removed} supporter contacts, {dropped} unconfirmed supports"


def register_jobs() -> None:
    register(ScheduledJob("expire_proposals", Every(timedelta(minutes=15)), expire_proposals))
    register(ScheduledJob("supporter_retention", DailyAt(time(3, 30)), delete_supporter_data))
