"""The expiry job: a proposal whose window ended below the threshold expires exactly once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.audit import AuditEvent
from core.clock import utcnow
from core.jobs import registered_jobs, run_due
from extensions import db
from initiatives.proposals.models import ProposalState
from tests.factories.initiatives import ProposalFactory
from tests.helpers import sent_mail


def test_the_job_expires_proposals_whose_window_ended_once(app):
    now = utcnow()
    ended = ProposalFactory(closes_at=now - timedelta(hours=1))
    running = ProposalFactory(closes_at=now + timedelta(days=1))
    reached = ProposalFactory(
        closes_at=now - timedelta(hours=1), state=ProposalState.THRESHOLD_REACHED
    )
    db.session.commit()
    assert "expire_proposals" in {job.id for job in registered_jobs()}
    run_due(now, "test")
    run_due(now + timedelta(minutes=20), "test")  # the next slot: nothing left to do
    states = [p.state for p in (ended, running, reached)]
    assert states == [
        ProposalState.EXPIRED, ProposalState.PUBLISHED, ProposalState.THRESHOLD_REACHED,
    ]  # fmt: skip
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions == ["proposal.expire"]
    assert len(sent_mail(kind="proposal_expired")) == 1
