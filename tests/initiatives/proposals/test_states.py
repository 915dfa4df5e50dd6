"""A proposal's life: only the moves the state machine allows, each with what it records."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.errors import InvalidTransition, Refusal
from extensions import db
from initiatives.proposals import operations as proposals
from initiatives.proposals.models import TRANSITIONS, ProposalState
from initiatives.proposals.scheme import PRESETS, Scheme, add_months
from tests.factories.initiatives import ProposalFactory
from tests.helpers import link_in, sent_mail

ADULT = date(1990, 5, 1)


def test_a_draft_cannot_be_published_without_screening(app, english):
    proposal = ProposalFactory(state=ProposalState.DRAFT)
    with pytest.raises(InvalidTransition, match="cannot become"):
        proposal.move_to(ProposalState.PUBLISHED)
    assert proposal.state is ProposalState.DRAFT


@pytest.mark.parametrize("end", [ProposalState.ANSWERED, ProposalState.REJECTED,
                                 ProposalState.WITHDRAWN])  # fmt: skip
def test_a_finished_proposal_moves_nowhere(app, english, end):
    proposal = ProposalFactory(state=end)
    for target in ProposalState:
        with pytest.raises(InvalidTransition):
            proposal.move_to(target)


def test_every_state_can_reach_an_answer_or_an_end():
    """Every proposal gets an answer: no state is a dead end short of one."""
    ends = {ProposalState.ANSWERED, ProposalState.REJECTED, ProposalState.WITHDRAWN}
    for state in ProposalState:
        seen, todo = set(), [state]
        while todo:
            current = todo.pop()
            seen.add(current)
            todo.extend(TRANSITIONS[current] - seen)
        assert seen & ends, state


def test_starting_a_proposal_mails_the_main_proposer_a_link_and_copies_the_rules(app):
    app.config["PROPOSAL_SCHEME_RULES"] = Scheme(threshold=1_500, window_months=6, min_age=15)
    proposal = proposals.start_proposal(
        "Night buses", "More night buses.", "da", "Ida", "Ida@Example.dk", ADULT
    )
    db.session.commit()
    assert (proposal.state, proposal.threshold, proposal.min_age) == (
        ProposalState.DRAFT, 1_500, 15,
    )  # fmt: skip
    [mail] = sent_mail(to="ida@example.dk", kind="proposal_manage")
    assert link_in(mail, "/proposals/manage/")


def test_the_scheme_minimum_age_is_checked_against_the_birth_date(app, english):
    app.config["PROPOSAL_SCHEME_RULES"] = Scheme(threshold=10, window_days=180, min_age=18)
    seventeen = date.today().replace(year=date.today().year - 17)
    with pytest.raises(Refusal, match="at least 18"):
        proposals.start_proposal("T", "x", "da", "Ung", "ung@example.dk", seventeen)


def test_screening_publishes_with_a_published_reason_and_the_window(app):
    app.config["PROPOSAL_SCHEME_RULES"] = PRESETS["folketinget"]
    proposal = ProposalFactory(state=ProposalState.SCREENING, published_at=None, closes_at=None)
    now = datetime(2026, 3, 1, 12, 0)
    proposals.screen(proposal, True, "Within the region's tasks.", now)
    db.session.commit()
    assert proposal.state is ProposalState.PUBLISHED
    assert proposal.closes_at == now + timedelta(days=180)
    assert proposal.screening_reason == "Within the region's tasks."
    assert db.session.scalar(select(AuditEvent.action)) == "proposal.publish"
    assert sent_mail(kind="proposal_screened")


def test_screening_without_a_reason_is_refused(app, english):
    proposal = ProposalFactory(state=ProposalState.SCREENING)
    with pytest.raises(Refusal, match="reason"):
        proposals.screen(proposal, False, "  ")


def test_six_months_end_on_the_last_day_of_a_shorter_month():
    assert add_months(datetime(2026, 8, 31, 9), 6) == datetime(2027, 2, 28, 9)
    assert PRESETS["aarhus"].closes_at(datetime(2026, 1, 15)) == datetime(2026, 7, 15)


def test_the_council_decision_and_the_outcome_complete_the_story(app, english):
    proposal = ProposalFactory(state=ProposalState.THRESHOLD_REACHED)
    with pytest.raises(InvalidTransition):
        proposals.record_outcome(proposal, "Done.")
    proposals.record_decision(proposal, "The council adopted the proposal.")
    proposals.record_outcome(proposal, "Two night buses run from 1 May.")
    db.session.commit()
    assert proposal.state is ProposalState.ANSWERED
    assert proposal.council_decision == "The council adopted the proposal."
    [mail] = sent_mail(kind="proposal_answered")
    assert "Two night buses run from 1 May." in mail.body


def test_an_expired_proposal_still_gets_an_answer(app):
    proposal = ProposalFactory(state=ProposalState.EXPIRED)
    proposals.record_outcome(proposal, "We will look at night buses in the budget.")
    assert proposal.state is ProposalState.ANSWERED
