"""Giving results back: publishing mails each respondent once (not again on a second publish
or after a crash), the profile shows the results with "you said, we did", the public page
exists only when public and hides small groups, and quotes appear only when published."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.members.models import Member
from panel.staff.models import Role
from surveys.answering.models import Answer, Response, ResponseMode
from surveys.publishing import operations as results_publish
from surveys.publishing.operations import mail_respondents, publish
from surveys.waves.models import Wave, WaveState
from tests.factories import MemberFactory
from tests.factories.results import answer, closed_wave
from tests.helpers import login_as, login_member, login_staff, sent_mail

KIND = "results_published"


def respond(wave: Wave, member: Member, bus: str, wish: str | None = None) -> Response:
    response = Response(
        questionnaire_id=wave.questionnaire_id, wave_id=wave.id, mode=ResponseMode.WEB,
        member_id=member.id, attributes=member.attributes,
        completed_at=wave.closes_at - timedelta(days=1),
    )  # fmt: skip
    response.answers.append(Answer(question_key="bus", value=bus))
    if wish:
        response.answers.append(Answer(question_key="wish", value=wish))
    db.session.add(response)
    return response


@pytest.fixture
def wave(app):
    """Three members answered (one in English); 30 anonymous answers besides; 3 "upper"."""
    install_default_attributes()
    wave = closed_wave()
    answer(wave, {"gender": "f", "education": "long"}, "yes", 15)
    answer(wave, {"gender": "m", "education": "long"}, "no", 12)
    answer(wave, {"gender": "f", "education": "upper"}, "yes", 3)
    wave.respondents = [  # type: ignore[attr-defined]
        MemberFactory(attributes={"gender": "f", "education": "short"}),
        MemberFactory(attributes={"gender": "m", "education": "short"}, language="en"),
        MemberFactory(attributes={"gender": "f", "education": "short"}),
    ]
    for i, member in enumerate(wave.respondents):  # type: ignore[attr-defined]
        respond(wave, member, "yes" if i else "no",
                wish="Hans Jensen fra Ry vil have flere busser" if i == 0 else None)  # fmt: skip
    wave.bystander = MemberFactory()  # type: ignore[attr-defined]
    db.session.commit()
    return wave


def post_publish(client, wave: Wave, **data: str) -> str:
    response = client.post(f"/staff/publishing/{wave.id}", data=data, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_publishing_mails_each_respondent_once_with_the_results(client, wave):
    login_staff(client, language="en")
    text = post_publish(client, wave, you_said_we_did_da="Vi indsætter flere busser.",
                        you_said_we_did_en="We are adding buses.")  # fmt: skip
    assert "3 mails are on their way" in text
    mails = sent_mail(kind=KIND)
    assert sorted(m.to_address for m in mails) == sorted(m.contact.email for m in wave.respondents)
    danish = next(m for m in mails if m.to_address == wave.respondents[0].contact.email)
    english = next(m for m in mails if m.to_address == wave.respondents[1].contact.email)
    assert "Tager du bussen?" in danish.body and "Ja: " in danish.body
    assert "Vi indsætter flere busser." in danish.body and "/profile" in danish.body
    assert "Do you take the bus?" in english.body and "We are adding buses." in english.body
    assert english.subject == "Results: Transport"
    assert "Hans Jensen" not in danish.body  # free text is not a result
    # publishing again, e.g. to change the text, mails no one
    post_publish(client, wave, you_said_we_did_da="Ændret.", public="y")
    assert len(sent_mail(kind=KIND)) == 3


class Crash(Exception):
    pass


def test_a_crash_halfway_loses_and_repeats_no_mail(app, wave, monkeypatch):
    publication = publish(wave, False, {})
    db.session.commit()
    real = results_publish.queue_member_mails
    calls = []

    def crash_on_second(kind, letters):
        calls.append(len(letters))
        if len(calls) == 2:
            raise Crash("the server went away")
        return real(kind, letters)

    monkeypatch.setattr(results_publish, "queue_member_mails", crash_on_second)
    with pytest.raises(Crash):
        mail_respondents(publication, batch_size=1)
    db.session.rollback()
    assert len(sent_mail(kind=KIND)) == 1
    monkeypatch.setattr(results_publish, "queue_member_mails", real)
    assert mail_respondents(publication, batch_size=1) == 2
    assert mail_respondents(publication) == 0
    assert "/results/public/" not in sent_mail(kind=KIND)[0].body  # not public
    addresses = [m.to_address for m in sent_mail(kind=KIND)]
    assert sorted(addresses) == sorted(m.contact.email for m in wave.respondents)


def test_staff_can_mail_the_results_again_on_request(client, wave):
    login_staff(client)
    post_publish(client, wave)
    post_publish(client, wave, you_said_we_did_da="Nu med svar.", mail_again="y")
    mails = sent_mail(kind=KIND)
    assert len(mails) == 6
    assert sum("Nu med svar." in m.body for m in mails) == 3


def test_the_profile_shows_published_results_and_the_latest_you_said_we_did(app, client, wave):
    member = wave.respondents[0]
    login_member(client, member)
    text = client.get("/profile").get_data(as_text=True)
    assert "Resultater af de undersøgelser, du har svaret på" in text
    assert "Tager du bussen?" not in text  # not published yet
    publish(wave, False, {"da": "Vi indsætter flere busser."})
    db.session.commit()
    text = client.get("/profile").get_data(as_text=True)
    assert "Tager du bussen?" in text and "Vi indsætter flere busser." in text
    publish(wave, False, {"da": "Ruten til Ry kører nu hver time."})
    db.session.commit()
    text = client.get("/profile").get_data(as_text=True)
    assert "Ruten til Ry kører nu hver time." in text and "flere busser" not in text
    other = app.test_client()
    login_member(other, wave.bystander)
    assert "Tager du bussen?" not in other.get("/profile").get_data(as_text=True)


def test_the_public_page_exists_only_when_public_and_hides_small_groups(client, wave):
    assert client.get(f"/results/public/{wave.id}").status_code == 404
    publish(wave, False, {})
    db.session.commit()
    assert client.get(f"/results/public/{wave.id}").status_code == 404
    publish(wave, True, {"en": "We are adding buses."})
    db.session.commit()
    client.get("/language/en")
    page = client.get(f"/results/public/{wave.id}?by=education")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Do you take the bus?" in text and "We are adding buses." in text
    # upper (3) is hidden, and short (3) with it; only long (27) is shown
    assert text.count("fewer than 10 answers") >= 3
    assert "Hans Jensen" not in text and "Wishes?" not in text


def test_an_open_wave_cannot_be_published(client, wave):
    wave.state = WaveState.OPEN
    db.session.commit()
    login_staff(client, language="en")
    assert "Only a closed wave" in post_publish(client, wave)
    assert sent_mail(kind=KIND) == []


@pytest.mark.parametrize("who", ["politician", "citizen"])
def test_only_staff_publish_and_pick_quotes(client, wave, who):
    login_as(client, who)
    assert client.get(f"/staff/publishing/{wave.id}").status_code == 403
    assert client.post(f"/staff/publishing/{wave.id}", data={}).status_code == 403
    assert client.get(f"/staff/publishing/{wave.id}/quotes").status_code == 403
    assert sent_mail(kind=KIND) == []


def test_a_quote_appears_only_when_published_and_in_its_edited_words(app, client, wave):
    publish(wave, True, {})
    db.session.commit()
    politician = app.test_client()
    login_staff(politician, Role.POLITICIAN)
    login_staff(client, language="en")
    listing = client.get(f"/staff/publishing/{wave.id}/quotes").get_data(as_text=True)
    assert "Hans Jensen fra Ry vil have flere busser" in listing
    answer_id = db.session.scalar(select(Answer.id).filter_by(question_key="wish"))
    for url in (f"/results/waves/{wave.id}", f"/results/public/{wave.id}"):
        page = politician.get(url).get_data(as_text=True)
        assert "flere busser" not in page and "Ønsker?" not in page
    client.post(
        f"/staff/publishing/{wave.id}/quotes?question=wish",
        data={"answer": str(answer_id), "publish": str(answer_id),
              f"text-{answer_id}": "[Navn] fra Ry vil have flere busser"},
    )  # fmt: skip
    for url in (f"/results/waves/{wave.id}", f"/results/public/{wave.id}"):
        page = politician.get(url).get_data(as_text=True)
        assert "[Navn] fra Ry vil have flere busser" in page
        assert "Hans Jensen" not in page
    client.post(
        f"/staff/publishing/{wave.id}/quotes?question=wish",
        data={"answer": str(answer_id), f"text-{answer_id}": "[Navn] fra Ry"},
    )  # withdrawn: the box is unticked
    assert "fra Ry" not in politician.get(f"/results/public/{wave.id}").get_data(as_text=True)


def test_publishing_is_in_the_audit_trail(client, wave):
    staff = login_staff(client, language="en")
    post_publish(client, wave, you_said_we_did_da="Vi gør noget.", you_said_we_did_en="We act.")
    events = db.session.scalars(select(AuditEvent).filter_by(action="results.publish")).all()
    assert [(e.actor, e.target) for e in events] == [(f"staff:{staff.id}", f"wave:{wave.id}")]
