"""The idea bank: moderation before publication, similar ideas, the answer and its history."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.errors import InvalidTransition, Refusal
from extensions import db
from initiatives.ideas import operations as ideas
from initiatives.ideas.models import Idea, IdeaState
from panel.staff.models import Role
from tests.helpers import login_staff, sent_mail


def _idea(title="Natbusser til hospitalet", text="Flere natbusser til hospitalet.", **kw):
    return ideas.submit_idea("transport", title, text, "da", **kw)


def test_an_idea_is_public_only_after_moderation(client):
    response = client.post(
        "/ideas/new",
        data={"topic": "transport", "title": "Natbusser", "text": "Flere natbusser.",
              "submit": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    idea = db.session.scalar(select(Idea))
    assert idea.state is IdeaState.SUBMITTED
    assert client.get(f"/ideas/{idea.id}").status_code == 404
    assert b"Natbusser" not in client.get("/ideas/").data
    ideas.change_state(idea, IdeaState.PUBLISHED, "")
    db.session.commit()
    assert client.get(f"/ideas/{idea.id}").status_code == 200
    assert b"Natbusser" in client.get("/ideas/?topic=transport").data
    assert b"Natbusser" not in client.get("/ideas/?topic=psychiatry").data


def test_writing_an_idea_can_show_similar_ones_first_without_submitting(client):
    ideas.change_state(_idea(), IdeaState.PUBLISHED, "")
    db.session.commit()
    response = client.post(
        "/ideas/new",
        data={"topic": "transport", "title": "Busser om natten til hospitalet",
              "text": "Natbusser, tak.", "check": "y"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Natbusser til hospitalet" in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(Idea)) == 1


def test_the_same_idea_twice_is_refused(app, english):
    _idea()
    with pytest.raises(Refusal, match="already been submitted"):
        _idea(text="  flere natbusser til  hospitalet. ")


def test_the_answer_and_the_history_are_on_the_ideas_page_and_mailed(client):
    idea = _idea(name="Ida", email="ida@example.dk")
    ideas.change_state(idea, IdeaState.PUBLISHED, "")
    ideas.change_state(idea, IdeaState.UNDER_CONSIDERATION, "Vi ser på det i budgettet.")
    ideas.change_state(idea, IdeaState.ANSWERED, "Der kører natbusser fra 1. maj.")
    db.session.commit()
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Der kører natbusser fra 1. maj." in page
    assert "Vi ser på det i budgettet." in page
    assert "ida@example.dk" not in page and "Ida" not in page
    assert [m.kind for m in sent_mail(to="ida@example.dk")] == ["idea_published", "idea_answered"]
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["idea.published", "idea.under_consideration", "idea.answered"]


def test_an_answer_needs_a_text_and_a_refused_idea_moves_no_further(app, english):
    idea = _idea()
    ideas.change_state(idea, IdeaState.PUBLISHED, "")
    with pytest.raises(Refusal, match="answer or the reason"):
        ideas.change_state(idea, IdeaState.ANSWERED, " ")
    other = _idea(title="Noget andet")
    ideas.change_state(other, IdeaState.REFUSED, "Indeholder personoplysninger.")
    with pytest.raises(InvalidTransition):
        ideas.change_state(other, IdeaState.PUBLISHED, "")


def test_staff_moderate_on_the_ideas_page(client):
    idea = _idea()
    db.session.commit()
    login_staff(client, Role.STAFF)
    assert b"Natbusser" in client.get("/staff/ideas/").data
    response = client.post(f"/staff/ideas/{idea.id}", data={"state": "published", "note": ""})
    assert response.status_code == 302
    db.session.refresh(idea)
    assert idea.state is IdeaState.PUBLISHED
