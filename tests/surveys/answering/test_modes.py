"""The other ways in: a public link for open consultations, and staff typing in paper or
telephone answers for an invited member (mixed mode)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from extensions import db
from panel.staff.models import Role
from surveys.answering.models import Response, ResponseMode
from surveys.waves.models import Invitation
from surveys.waves.operations import personal_token
from tests.answering import open_invitation, responses, stored, submit, text
from tests.conftest import make_config
from tests.helpers import login_as, login_staff


@pytest.fixture
def app_config(request, database_url, tmp_path):
    return make_config(database_url, tmp_path, **getattr(request, "param", {}))


@pytest.fixture
def invitation(app) -> Invitation:
    return open_invitation()


@pytest.fixture
def link(invitation) -> str:
    return f"/a/{personal_token(invitation)}"


def open_public_link(client, questionnaire) -> str:
    login_staff(client)
    client.post(f"/staff/questionnaires/{questionnaire.id}/public")
    db.session.refresh(questionnaire)
    client.post("/logout")
    return f"/p/{questionnaire.public_token}"


def test_a_public_link_is_marked_as_open_consultation_and_a_double_start_makes_one_response(
    client, invitation
):
    questionnaire = invitation.wave.questionnaire
    public = open_public_link(client, questionnaire)
    intro = text(client.get(f"{public}?lang=en"))
    assert "Open consultation: anyone can answer" in intro
    resume = re.search(r'name="resume" value="([^"]+)"', intro).group(1)

    first = client.post(public, data={"resume": resume, "lang": "en"})
    second = client.post(public, data={"resume": resume, "lang": "en"})
    assert first.headers["Location"] == second.headers["Location"]
    url = first.headers["Location"]
    submit(client, url, q1="17")
    third = url.replace("/1?", "/3?")
    submit(client, third, q9="8000")
    done = submit(client, third, q9="8000")
    page = text(client.get(done.headers["Location"]))
    assert "We have received your answers." in page and "Go to your profile" not in page

    (response,) = responses()
    assert response.mode is ResponseMode.PUBLIC
    assert response.member_id is None and response.wave_id is None and response.attributes == {}
    assert response.completed_at is not None


def test_a_public_link_takes_only_resume_tokens_it_made(client, invitation):
    questionnaire = invitation.wave.questionnaire
    public = open_public_link(client, questionnaire)
    chosen = "a" * 40  # long enough, but not one the server handed out
    assert client.post(public, data={"resume": chosen, "lang": "en"}).status_code == 400
    intro = text(client.get(f"{public}?lang=en"))
    made = re.search(r'name="resume" value="([^"]+)"', intro).group(1)
    assert client.post(public, data={"resume": made[:-1] + "x", "lang": "en"}).status_code == 400
    assert client.post(public, data={"resume": made, "lang": "en"}).status_code == 302
    assert len(responses()) == 1


@pytest.mark.parametrize(
    "app_config",
    [{"RATELIMIT_ENABLED": True, "PUBLIC_START_RATE_LIMIT": "3 per minute"}],
    indirect=True,
)
def test_starting_through_a_public_link_is_limited_per_address(client, invitation):
    public = open_public_link(client, invitation.wave.questionnaire)
    for _ in range(3):
        intro = text(client.get(public))
        made = re.search(r'name="resume" value="([^"]+)"', intro).group(1)
        assert client.post(public, data={"resume": made}).status_code == 302
    assert client.post(public, data={"resume": made}).status_code == 429
    assert len(responses()) == 3


def test_a_closed_public_link_takes_no_answers_and_only_staff_can_open_one(client, invitation):
    questionnaire = invitation.wave.questionnaire
    public = open_public_link(client, questionnaire)
    login_as(client, "politician")
    assert client.post(f"/staff/questionnaires/{questionnaire.id}/public").status_code == 403
    client.post("/logout")
    login_staff(client)
    client.post(f"/staff/questionnaires/{questionnaire.id}/public")  # closes it
    assert client.get(public).status_code == 404


def test_closing_a_public_link_stops_respondents_who_had_started_it(client, invitation):
    questionnaire = invitation.wave.questionnaire  # in use: the wave has opened
    public = open_public_link(client, questionnaire)
    intro = text(client.get(f"{public}?lang=en"))
    resume = re.search(r'name="resume" value="([^"]+)"', intro).group(1)
    first_page = client.post(public, data={"resume": resume, "lang": "en"}).headers["Location"]
    assert submit(client, first_page, q1="70").status_code == 302
    login_staff(client)
    client.post(f"/staff/questionnaires/{questionnaire.id}/public")  # closes it
    client.post("/logout")

    second_page = first_page.replace("/1?", "/2?")
    assert client.get(second_page).status_code == 410
    assert submit(client, second_page, q6="7").status_code == 410
    (response,) = [r for r in responses() if r.mode is ResponseMode.PUBLIC]
    assert stored(response) == {"q1": 70}


def test_staff_type_in_paper_answers_through_the_same_pages_and_they_are_marked(client, invitation):
    staff = login_staff(client, Role.STAFF)
    wave = invitation.wave
    refused = text(
        client.post(f"/staff/entry/waves/{wave.id}", data={"member_id": "999999", "mode": "paper"})
    )
    assert "not invited in this wave" in refused or "ikke inviteret" in refused

    start = client.post(
        f"/staff/entry/waves/{wave.id}", data={"member_id": invitation.member_id, "mode": "paper"}
    )
    first = client.get(start.headers["Location"]).headers["Location"]
    assert "/staff/entry/" in first
    error = client.post(first, data={"action": "next", "q1": "200"})
    assert error.status_code == 200 and "16" in text(error)  # the same checks as online
    submit(client, first, q1="17")
    third = re.sub(r"/1(\?|$)", r"/3\1", first)
    submit(client, third, q9="8000")
    done = submit(client, third, q9="8000")
    assert "/staff/entry/" in done.headers["Location"]

    (response,) = responses()
    assert response.mode is ResponseMode.PAPER and response.entered_by_id == staff.id
    assert response.invitation_id == invitation.id and response.completed_at is not None
    assert stored(response)["q1"] == 17
    again = text(
        client.post(
            f"/staff/entry/waves/{wave.id}",
            data={"member_id": invitation.member_id, "mode": "phone"},
        )
    )
    assert "already answered" in again or "allerede svaret" in again


def test_staff_can_neither_open_nor_rewrite_a_members_unfinished_web_answers(
    client, invitation, link
):
    client.post(link, data={"lang": "en"})
    submit(client, client.post(link).headers["Location"], q1="45")
    client.get("/")
    login_staff(client, language="en")
    refused = client.post(
        f"/staff/entry/waves/{invitation.wave_id}",
        data={"member_id": invitation.member_id, "mode": "phone"},
    )
    assert refused.status_code == 200
    assert "started answering online" in text(refused)
    response = db.session.scalar(select(Response))
    assert client.get(f"/staff/entry/{response.id}").status_code == 403
    assert client.get(f"/staff/entry/{response.id}/1").status_code == 403
    assert client.post(f"/staff/entry/{response.id}/1", data={"q1": "99"}).status_code == 403
    db.session.refresh(response)
    assert response.mode is ResponseMode.WEB and response.entered_by_id is None
    assert stored(response) == {"q1": 45}


def test_staff_entry_is_in_the_audit_trail(client, invitation):
    staff = login_staff(client)
    start = client.post(
        f"/staff/entry/waves/{invitation.wave_id}",
        data={"member_id": invitation.member_id, "mode": "paper"},
    )
    first = client.get(start.headers["Location"]).headers["Location"]
    submit(client, first, q1="17")
    (response,) = responses()
    entries = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    typed = [(e.actor, e.action, e.target) for e in entries if e.action.startswith("answers.")]
    assert typed == [
        (f"staff:{staff.id}", "answers.entry_start", f"response:{response.id}"),
        (f"staff:{staff.id}", "answers.entry_page", f"response:{response.id}"),
    ]


def test_citizens_cannot_use_the_staff_entry_pages(client, invitation):
    login_as(client, "citizen")
    assert client.get(f"/staff/entry/waves/{invitation.wave_id}").status_code == 403
