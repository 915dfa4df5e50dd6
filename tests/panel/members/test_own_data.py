"""A member's rights over their data: download everything, and delete it for good."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import func, select

from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.mail.models import OutboxMessage
from panel.members.models import Consent, LoginToken, Member, MemberContact
from panel.members.operations import member_data_sections
from panel.signals import NOT_EXPORTED
from panel.staff.models import Role
from surveys.answering.models import Answer, Response
from surveys.publishing.models import Publication, PublicationMail, Quote
from surveys.questionnaires.models import Questionnaire
from surveys.waves.models import Invitation, Wave, WaveState
from tests.factories import MemberFactory
from tests.helpers import login_member, login_staff, sent_mail


@pytest.fixture
def member(app):
    install_default_attributes()
    member = MemberFactory(
        attributes={"gender": "f", "municipality": "740", "education": "short"},
        contact=MemberContact(email="karen@example.dk", name="Karen Jensen"),
    )
    other = MemberFactory(contact=MemberContact(email="ole@example.dk", name="Ole Hansen"))
    questionnaire = Questionnaire(title={"da": "Trafik"})
    db.session.add(questionnaire)
    db.session.flush()
    response = Response(
        questionnaire=questionnaire, member_id=member.id, attributes={"gender": "f"}
    )
    response.answers.append(Answer(question_key="q1", value="Bedre busser"))
    db.session.add_all([response, Response(questionnaire=questionnaire, member_id=other.id)])
    wave = Wave(
        name="Trafik forår",
        questionnaire=questionnaire,
        state=WaveState.CLOSED,
        invite_at=datetime(2026, 3, 2, 8),
        closes_at=datetime(2026, 3, 23, 8),
    )
    db.session.add(wave)
    db.session.flush()
    for who in (member, other):
        db.session.add(
            Invitation(
                wave_id=wave.id,
                member_id=who.id,
                stratum='["f"]',
                invited_at=datetime(2026, 3, 2, 8),
                reminders_sent=1,
            )
        )
    publication = Publication(wave=wave, published_at=datetime(2026, 5, 1))
    db.session.add(publication)
    db.session.flush()
    db.session.add(PublicationMail(publication_id=publication.id, member_id=member.id, round=1))
    db.session.commit()
    return member


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_download_gives_a_json_file_with_everything_about_me_and_nobody_else(client, member):
    login_member(client, member)
    client.post("/login", data={"email": "karen@example.dk"})  # so there is mail to list
    response = client.get("/profile/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert (data["member"]["status"], data["member"]["birth_year"]) == ("active", 1980)
    assert data["contact"] == {"email": "karen@example.dk", "name": "Karen Jensen"}
    assert data["member"]["email_bounced_at"] is None
    assert {"key": "municipality", "label": "Kommune", "code": "740", "value": "Silkeborg"} in (
        data["attributes"]
    )
    assert [c["text_version"] for c in data["consents"]] == ["2026-11"]
    assert [m["kind"] for m in data["mail"]] == ["login"]
    assert data["responses"][0]["answers"] == {"q1": "Bedre busser"}
    assert len(data["responses"]) == 1
    assert data["invitations"] == [
        {
            "wave": "Trafik forår",
            "stratum": '["f"]',
            "invited_at": "2026-03-02T08:00:00",
            "reminders_sent": 1,
            "last_reminded_at": None,
            "started_at": None,
            "completed_at": None,
        }
    ]
    assert [(m["wave"], m["round"]) for m in data["result_mails"]] == [("Trafik forår", 1)]
    assert "ole@example.dk" not in response.get_data(as_text=True)
    assert "Ole Hansen" not in response.get_data(as_text=True)


def test_every_table_that_refers_to_a_member_is_exported_or_left_out_on_purpose(app, member):
    """A new table with a member foreign key fails here until the export covers it."""
    referring = {
        fk.parent.table.name
        for table in db.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == "member" and fk.column.name == "id"
    }
    exported = {
        table for section in member_data_sections(member, [], "da") for table in section.tables
    }
    assert "invitation" in referring and "publication_mail" in referring  # the check sees them
    assert referring - exported - set(NOT_EXPORTED) == set()
    assert exported & set(NOT_EXPORTED) == set()


def test_deleting_asks_first(client, member):
    login_member(client, member)
    page = client.get("/profile/delete")
    assert "Ja, slet alle mine data" in page.get_data(as_text=True)
    assert db.session.get(Member, member.id) is not None


def test_deleting_removes_me_and_keeps_my_answers_anonymous(client, member):
    member_id = member.id
    login_member(client, member)
    client.post("/login", data={"email": "karen@example.dk"})
    assert sent_mail(to="karen@example.dk") and count(LoginToken) == 2

    goodbye = client.post("/profile/delete")
    assert goodbye.status_code == 200
    assert "Dine data er slettet" in goodbye.get_data(as_text=True)
    db.session.expire_all()

    assert db.session.get(Member, member_id) is None
    assert db.session.scalar(select(MemberContact).filter_by(email="karen@example.dk")) is None
    assert db.session.scalar(select(Consent).filter_by(member_id=member_id)) is None
    assert db.session.scalar(select(LoginToken).filter_by(member_id=member_id)) is None
    assert db.session.scalar(select(OutboxMessage).filter_by(member_id=member_id)) is None
    assert sent_mail(to="karen@example.dk") == []

    kept = db.session.scalar(select(Response).join(Answer).filter(Answer.question_key == "q1"))
    assert kept is not None and kept.member_id is None
    assert [a.value for a in kept.answers] == ["Bedre busser"]
    assert count(Member) == 1 and count(Response) == 2  # the other member is untouched
    assert client.get("/profile").status_code == 302  # logged out


def test_the_download_has_the_quotes_of_my_answers_and_who_looked_me_up(client, member):
    answer = db.session.scalar(select(Answer).join(Response).where(Response.member_id == member.id))
    wave = db.session.scalar(select(Wave))
    db.session.add(Quote(answer_id=answer.id, wave_id=wave.id, question_key="q1",
                         text="Bedre busser!", published=True))  # fmt: skip
    db.session.commit()
    colleague = client.application.test_client()
    staff = login_staff(colleague, Role.STAFF)
    assert colleague.get(f"/staff/members/{member.id}").status_code == 200
    login_member(client, member)
    data = json.loads(client.get("/profile/export").get_data(as_text=True))
    assert [(q["wave"], q["text"], q["published"]) for q in data["quotes"]] == [
        ("Trafik forår", "Bedre busser!", True)
    ]
    seen = {(e["actor"], e["action"], e["target"]) for e in data["audit"]}
    assert (f"staff:{staff.id}", "member.view", f"member:{member.id}") in seen
