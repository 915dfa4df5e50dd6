"""A member's own profile: see and correct it, pause, renew consent, language, leave."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import today, utcnow
from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.members.models import Consent, MemberContact, MemberStatus
from tests.factories import MemberFactory
from tests.helpers import link_in, login_member, sent_mail


@pytest.fixture
def member(app):
    install_default_attributes()
    member = MemberFactory(
        birth_year=1970,
        attributes={"gender": "m", "municipality": "751", "education": "long"},
        contact=MemberContact(email="ole@example.dk", name="Ole Hansen"),
    )
    db.session.commit()
    return member


@pytest.fixture
def logged_in(client, member):
    login_member(client, member)
    return client


def edit_form(**changes: str) -> dict[str, str]:
    form = {
        "email": "ole@example.dk",
        "birth_year": "1970",
        "attr_gender": "m",
        "attr_municipality": "751",
        "attr_education": "long",
        "name": "Ole Hansen",
        "language": "da",
    }
    form.update(changes)
    return form


def test_profile_shows_attributes_with_labels_contact_and_consent(logged_in):
    html = logged_in.get("/profile").get_data(as_text=True)
    assert "Ole Hansen" in html and "ole@example.dk" in html
    assert "Aarhus" in html and "Lang videregående uddannelse" in html
    assert "Aktivt medlem" in html
    assert "2026-11" in html  # the consent text version
    assert html.count("<h1") == 1


def test_profile_labels_follow_the_chosen_language(client, member):
    client.get("/language/en")
    login_member(client, member)
    html = client.get("/profile").get_data(as_text=True)
    assert "Long-cycle higher education" in html
    assert "Active member" in html


def test_editing_the_profile_saves_the_new_details(logged_in, member):
    form = edit_form(attr_municipality="740", name="Ole H.")
    response = logged_in.post("/profile/edit", data=form, follow_redirects=True)
    assert "Din profil er gemt." in response.get_data(as_text=True)
    assert "Silkeborg" in response.get_data(as_text=True)
    db.session.refresh(member)
    assert member.attributes["municipality"] == "740"
    assert member.contact.name == "Ole H."


def test_editing_checks_fields_as_joining_does(logged_in, member):
    response = logged_in.post("/profile/edit", data=edit_form(birth_year="20"))
    assert "Skriv dit fødselsår med fire cifre, fx 1980." in response.get_data(as_text=True)
    db.session.refresh(member)
    assert member.birth_year == 1970


def test_another_members_address_cannot_be_taken_and_is_not_revealed(logged_in, member):
    MemberFactory(contact=MemberContact(email="karen@example.dk"))
    db.session.commit()
    response = logged_in.post("/profile/edit", data=edit_form(email="Karen@example.dk"))
    html = response.get_data(as_text=True)
    assert "Adressen kan ikke bruges. Brug en anden adresse." in html
    assert "medlem" not in html.split('id="email-error">')[1].split("</p>")[0]
    db.session.refresh(member)
    assert member.contact.email == "ole@example.dk"


def test_a_new_address_counts_only_once_the_link_sent_to_it_is_opened(app, logged_in, member):
    response = logged_in.post(
        "/profile/edit", data=edit_form(email="Ole.New@example.dk"), follow_redirects=True
    )
    assert "ole.new@example.dk" in response.get_data(as_text=True)
    db.session.refresh(member)
    assert member.contact.email == "ole@example.dk"  # not yet
    (notice,) = sent_mail(to="ole@example.dk", kind="email_change_notice")
    assert "ole.new@example.dk" in notice.body
    (confirmation,) = sent_mail(to="ole.new@example.dk", kind="email_change")
    link = link_in(confirmation, "/email/confirm/")

    anyone = app.test_client()  # the link works without a session, from the new inbox
    assert anyone.get(link).status_code == 200
    db.session.refresh(member)
    assert member.contact.email == "ole@example.dk"  # opening the link alone changes nothing
    assert anyone.post(link).status_code == 302
    db.session.refresh(member)
    assert member.contact.email == "ole.new@example.dk"
    assert anyone.post(link).status_code == 410  # once only


def test_a_forged_or_expired_address_link_changes_nothing(app, logged_in, member):
    logged_in.post("/profile/edit", data=edit_form(email="ole.new@example.dk"))
    (confirmation,) = sent_mail(to="ole.new@example.dk", kind="email_change")
    link = link_in(confirmation, "/email/confirm/")
    assert logged_in.post(link[:-3] + "xyz").status_code == 410
    app.config["CONFIRM_LINK_MAX_AGE"] = timedelta(seconds=-1)
    assert logged_in.post(link).status_code == 410
    db.session.refresh(member)
    assert member.contact.email == "ole@example.dk"


def test_confirming_the_profile_is_still_correct_records_the_time(logged_in, member):
    member.profile_checked_at = utcnow() - timedelta(days=400)
    db.session.commit()
    logged_in.post("/profile/checked")
    db.session.refresh(member)
    assert member.profile_checked_at > utcnow() - timedelta(minutes=1)


def test_pausing_and_resuming_invitations(logged_in, member):
    until = today() + timedelta(days=30)
    response = logged_in.post(
        "/profile/pause", data={"until": until.isoformat()}, follow_redirects=True
    )
    assert "Inviter mig igen nu" in response.get_data(as_text=True)
    db.session.refresh(member)
    assert member.is_paused() and member.paused_until == until

    logged_in.post("/profile/resume")
    db.session.refresh(member)
    assert not member.is_paused()


@pytest.mark.parametrize(
    ("until", "message"),
    [
        (lambda: today() + timedelta(days=400), "højst et år frem"),
        (lambda: today() - timedelta(days=1), "højst et år frem"),
        (lambda: "31/12", "Skriv datoen sådan her: 2027-03-31."),
    ],
)
def test_a_pause_beyond_a_year_or_in_the_past_is_refused(logged_in, member, until, message):
    value = until()
    response = logged_in.post("/profile/pause", data={"until": str(value)})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.refresh(member)
    assert member.paused_until is None


def test_consent_close_to_lapsing_can_be_renewed(logged_in, member):
    (consent,) = member.consents
    consent.given_at = utcnow() - timedelta(days=5 * 365 - 30)
    consent.expires_at = member.consent_expires_at = utcnow() + timedelta(days=30)
    db.session.commit()
    assert "Forny mit samtykke" in logged_in.get("/profile").get_data(as_text=True)
    logged_in.post("/profile/consent")
    db.session.refresh(member)
    assert len(member.consents) == 2
    newest = member.consents[-1]
    assert newest.source == "renewal"
    assert newest.expires_at > utcnow() + timedelta(days=4 * 365)


def test_fresh_consent_is_not_offered_for_renewal(logged_in, member):
    assert "Forny mit samtykke" not in logged_in.get("/profile").get_data(as_text=True)
    logged_in.post("/profile/consent")
    db.session.refresh(member)
    assert len(member.consents) == 1
    assert db.session.query(Consent).count() == 1


def test_choosing_english_changes_pages_and_future_mail(logged_in, member):
    response = logged_in.post("/profile/language", data={"language": "en"}, follow_redirects=True)
    assert "Your language is saved." in response.get_data(as_text=True)
    db.session.refresh(member)
    assert member.language == "en"
    logged_in.post("/login", data={"email": "ole@example.dk"})
    (mail,) = sent_mail(kind="login")
    assert mail.subject == "Your login link for the citizen panel"


def test_leaving_asks_first_then_stops_mail_and_login(logged_in, member):
    page = logged_in.get("/profile/leave")
    assert "Ja, jeg vil forlade panelet" in page.get_data(as_text=True)
    db.session.refresh(member)
    assert member.status is MemberStatus.ACTIVE

    goodbye = logged_in.post("/profile/leave")
    assert "Du har forladt panelet" in goodbye.get_data(as_text=True)
    db.session.refresh(member)
    assert member.status is MemberStatus.LEFT
    assert all(c.withdrawn_at is not None for c in member.consents)
    assert logged_in.get("/profile").status_code == 302
    logged_in.post("/login", data={"email": "ole@example.dk"})
    assert sent_mail(kind="login", to="ole@example.dk") == []
