"""Support: each verified person counts once, by whichever route; counts decide the threshold."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.clock import utcnow
from core.errors import Refusal
from extensions import db
from initiatives.proposals import operations as proposals
from initiatives.proposals import support as supports
from initiatives.proposals.models import ProposalState, Support
from tests.factories import MemberFactory
from tests.factories.initiatives import ProposalFactory
from tests.helpers import link_in, sent_mail

ADULT = date(1990, 5, 1)


def _confirm_by_mail(proposal, name, email):
    supports.request_support(proposal, name, email, ADULT)
    db.session.commit()
    token = link_in(sent_mail(to=email)[-1], "/proposals/confirm/").rsplit("/", 1)[1]
    support = supports.confirm_support(token)
    db.session.commit()
    return token, support


def test_a_support_by_mail_counts_only_once_confirmed(app):
    proposal = ProposalFactory()
    supports.request_support(proposal, "Bo", "bo@example.dk", ADULT)
    db.session.commit()
    assert supports.support_counts([proposal.id]) == {proposal.id: 0}
    token = link_in(sent_mail(to="bo@example.dk")[0], "/proposals/confirm/").rsplit("/", 1)[1]
    assert supports.confirm_support(token) is not None
    db.session.commit()
    assert supports.support_counts([proposal.id]) == {proposal.id: 1}
    assert supports.confirm_support(token) is None  # the link works once


def test_only_a_hash_of_the_confirmation_token_is_stored(app):
    proposal = ProposalFactory()
    supports.request_support(proposal, "Bo", "bo@example.dk", ADULT)
    db.session.commit()
    token = link_in(sent_mail(to="bo@example.dk")[0], "/proposals/confirm/").rsplit("/", 1)[1]
    stored = db.session.scalar(select(Support.token_hash))
    assert stored == proposals.digest(token) and token not in stored


def test_the_same_person_by_mail_and_as_member_counts_once(app):
    proposal = ProposalFactory()
    member = MemberFactory()
    assert supports.support_as_member(proposal, member)
    assert not supports.support_as_member(proposal, member)  # a double click
    db.session.commit()
    supports.request_support(proposal, "X", member.contact.email.upper(), ADULT)
    db.session.commit()
    assert sent_mail(kind="proposal_support_confirm") == []
    assert supports.support_counts([proposal.id]) == {proposal.id: 1}


def test_paper_supports_are_audited_and_the_same_form_counts_once(app):
    proposal = ProposalFactory()
    assert supports.record_paper_support(proposal, "Kaj Hansen", ADULT, "Library, box 2")
    assert not supports.record_paper_support(proposal, "kaj  hansen", ADULT, "typed twice")
    db.session.commit()
    assert supports.support_counts([proposal.id]) == {proposal.id: 1}
    from core.audit import AuditEvent

    assert db.session.scalar(select(AuditEvent.action)) == "proposal.paper_support"


def test_the_threshold_is_reached_once_and_the_proposers_are_told(app):
    proposal = ProposalFactory(threshold=2)
    _confirm_by_mail(proposal, "A", "a@example.dk")
    assert proposal.state is ProposalState.PUBLISHED
    _confirm_by_mail(proposal, "B", "b@example.dk")
    db.session.refresh(proposal)
    assert proposal.state is ProposalState.THRESHOLD_REACHED
    _confirm_by_mail(proposal, "C", "c@example.dk")  # support goes on until the window ends
    assert supports.support_counts([proposal.id]) == {proposal.id: 3}
    assert len(sent_mail(kind="proposal_threshold")) == 1


def test_no_support_outside_the_window_or_below_the_age(app, english):
    closed = ProposalFactory(closes_at=utcnow() - timedelta(minutes=1))
    with pytest.raises(Refusal, match="not collecting"):
        supports.request_support(closed, "A", "a@example.dk", ADULT)
    young = ProposalFactory(min_age=18)
    with pytest.raises(Refusal, match="at least 18"):
        supports.request_support(young, "A", "a@example.dk", date.today() - timedelta(days=365))


def test_a_bounced_members_address_gets_no_mail(app):
    member = MemberFactory(email_bounced_at=utcnow())
    supports.request_support(ProposalFactory(), "M", member.contact.email, ADULT)
    db.session.commit()
    assert sent_mail(to=member.contact.email) == []
    assert db.session.scalar(select(func.count()).select_from(Support)) == 1


def test_a_members_data_export_lists_the_proposals_they_supported(app):
    from panel.members.operations import export_member_data

    proposal = ProposalFactory(title="Natbusser")
    member = MemberFactory()
    supports.support_as_member(proposal, member)
    db.session.commit()
    data = export_member_data(member, [], "da")
    assert [s["proposal"] for s in data["proposal_supports"]] == ["Natbusser"]
