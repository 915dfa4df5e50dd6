"""Proposals and ideas over the API: what the public pages show, and webhooks about proposals."""

from __future__ import annotations

import json
from datetime import date, timedelta

from api.models import WebhookEvent
from api.webhooks import create_endpoint, run_webhooks
from core.clock import utcnow
from extensions import db
from initiatives.ideas.models import IdeaState
from initiatives.ideas.operations import change_state, submit_idea
from initiatives.proposals import operations as proposals
from initiatives.proposals import support as supports
from initiatives.proposals.models import ProposalState
from tests.api.test_webhooks import Receiver
from tests.api_client import bearer, problem
from tests.factories.initiatives import ProposalFactory


def test_public_proposals_with_counts_and_never_supporters(client):
    shown = ProposalFactory(title="Natbusser", threshold=10)
    supports.request_support(shown, "Bo Lund", "bo@example.dk", date(1990, 1, 1))
    supports.record_paper_support(shown, "Kaj", date(1950, 1, 1), "form")
    hidden = ProposalFactory(state=ProposalState.SCREENING)
    db.session.commit()
    headers = bearer()
    body = client.get("/api/v1/proposals", headers=headers).get_json()
    [item] = body["items"]
    assert (item["id"], item["supporters"], item["threshold"]) == (shown.id, 1, 10)
    assert "bo@example.dk" not in json.dumps(body) and "Kaj" not in json.dumps(body)
    problem(client.get(f"/api/v1/proposals/{hidden.id}", headers=headers), 404)
    assert client.get("/api/v1/proposals").status_code == 401


def test_published_ideas_with_their_history(client):
    idea = submit_idea("hospital", "Bedre mad", "Bedre mad på hospitalet.", "da",
                       email="ida@example.dk")  # fmt: skip
    waiting = submit_idea("transport", "Busser", "Flere busser.", "da")
    change_state(idea, IdeaState.PUBLISHED, "")
    change_state(idea, IdeaState.ANSWERED, "Ny menu fra marts.")
    db.session.commit()
    headers = bearer()
    body = client.get(f"/api/v1/ideas/{idea.id}", headers=headers).get_json()
    assert body["answer"] == "Ny menu fra marts."
    assert [step["state"] for step in body["history"]] == ["published", "answered"]
    assert "ida@example.dk" not in json.dumps(body)
    problem(client.get(f"/api/v1/ideas/{waiting.id}", headers=headers), 404)


def test_webhooks_tell_of_a_threshold_reached_and_an_answer_once(app, monkeypatch):
    now = utcnow()
    create_endpoint(
        "https://esdh.example.dk/hook",
        [WebhookEvent.PROPOSAL_THRESHOLD_REACHED, WebhookEvent.PROPOSAL_ANSWERED],
    )
    db.session.commit()
    proposal = ProposalFactory(threshold=1)
    supports.record_paper_support(proposal, "Kaj", date(1950, 1, 1), "form",
                                   now=now + timedelta(seconds=1))  # fmt: skip
    db.session.commit()
    receiver = Receiver()
    monkeypatch.setattr("api.webhooks.post", receiver)
    run_webhooks(now + timedelta(minutes=1))
    run_webhooks(now + timedelta(minutes=6))
    [(_url, body, headers)] = receiver.calls
    assert headers["X-Borgerpanel-Event"] == "proposal.threshold_reached"
    assert json.loads(body)["proposal"]["supporters"] == 1
    proposals.record_decision(proposal, "Vedtaget.")
    proposals.record_outcome(proposal, "Busser fra maj.", now=now + timedelta(minutes=7))
    db.session.commit()
    run_webhooks(now + timedelta(minutes=11))
    assert [call[2]["X-Borgerpanel-Event"] for call in receiver.calls] == [
        "proposal.threshold_reached", "proposal.answered",
    ]  # fmt: skip
