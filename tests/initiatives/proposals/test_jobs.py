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


def test_supporters_personal_data_goes_after_the_retention_but_the_count_stays(app):
    from datetime import date

    from sqlalchemy import func

    from initiatives.proposals import support as supports
    from initiatives.proposals.jobs import delete_supporter_data
    from initiatives.proposals.models import Support, SupportContact

    now = utcnow()
    answered = ProposalFactory(state=ProposalState.ANSWERED, answered_at=now - timedelta(days=91))
    running = ProposalFactory()
    for proposal in (answered, running):
        support = Support(
            proposal_id=proposal.id, channel="paper", identity_hash=f"{proposal.id:064d}",
            confirmed_at=now, contact=SupportContact(name="Kaj", note="form"),
        )  # fmt: skip
        db.session.add(support)
    supports.request_support(
        running, "Bo", "bo@example.dk", date(1990, 1, 1), now - timedelta(days=15)
    )
    db.session.commit()
    delete_supporter_data(now)
    assert db.session.scalar(select(func.count()).select_from(SupportContact)) == 1
    assert supports.support_counts([answered.id, running.id]) == {answered.id: 1, running.id: 1}
    assert db.session.scalar(select(func.count()).select_from(Support)) == 2  # unconfirmed gone
