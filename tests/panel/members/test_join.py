"""Joining the panel: the form, its errors in both languages, and the double opt-in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.clock import today
from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.members.consent import CONSENT_VERSION
from panel.members.models import Member, MemberContact, MemberStatus
from tests.factories import MemberFactory
from tests.factories.members import good_form
from tests.helpers import link_in, sent_mail


@pytest.fixture(autouse=True)
def attributes(app):
    install_default_attributes()
    db.session.commit()


def member_with(email: str) -> Member | None:
    return db.session.scalar(select(Member).join(MemberContact).filter_by(email=email))


def error_of(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', html, re.S)
    assert match, f"no error shown next to {field}"
    return match.group(1).strip()


def test_front_page_invites_to_join(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/join"' in html
    assert html.count("<h1") == 1


def test_joining_says_check_your_inbox_and_mails_a_confirmation_link(client):
    response = client.post("/join", data=good_form(), follow_redirects=True)
    assert response.status_code == 200
    assert "Tjek din indbakke" in response.get_data(as_text=True)
    member = member_with("karen@example.dk")
    assert member is not None and member.status is MemberStatus.PENDING
    assert member.source == "web"
    assert member.attributes == {
        "gender": "f",
        "municipality": "740",
        "education": "upper",
        "postcode": "8600",
    }
    assert [c.text_version for c in member.consents] == [CONSENT_VERSION]
    (mail,) = sent_mail(to="karen@example.dk", kind="confirm")
    assert link_in(mail, "/confirm/")


def test_member_is_pending_until_they_press_confirm_then_active_and_logged_in(client):
    client.post("/join", data=good_form())
    link = link_in(sent_mail(kind="confirm")[0], "/confirm/")
    page = client.get(link)  # what a mail scanner does: must not confirm anything
    assert page.status_code == 200
    assert "Bekræft mit medlemskab" in page.get_data(as_text=True)
    assert member_with("karen@example.dk").status is MemberStatus.PENDING
    response = client.post(link)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/profile")
    assert member_with("karen@example.dk").status is MemberStatus.ACTIVE
    assert "karen@example.dk" in client.get("/profile").get_data(as_text=True)


def test_join_form_uses_radio_buttons_for_few_choices_and_a_list_for_many(client):
    html = client.get("/join").get_data(as_text=True)
    assert "<legend>Køn</legend>" in html
    assert 'type="radio" value="f"' in html or 'value="f"' in html
    assert re.search(r'<select[^>]*name="attr_municipality"', html)
    assert 'name="attr_age"' not in html  # derived from the birth year
    assert re.search(r'for="attr_postcode">Postnummer</label> <span class="optional">', html)
    assert html.count("<h1") == 1


@pytest.mark.parametrize(
    ("field", "value", "english", "danish"),
    [
        ("email", "", "Enter your e-mail address.", "Skriv din e-mailadresse."),
        (
            "email",
            "karen.example.dk",
            "Enter a valid e-mail address, like name@example.dk.",
            "Skriv en gyldig e-mailadresse, fx navn@eksempel.dk.",
        ),
        ("birth_year", "", "Enter the year you were born.", "Skriv det år, du er født."),
        (
            "birth_year",
            "nineteen",
            "Write the year you were born with four digits, like 1980.",
            "Skriv dit fødselsår med fire cifre, fx 1980.",
        ),
        (
            "birth_year",
            str(today().year - 17),
            "You must turn between 18 and 110 this year to join.",
            "Du skal fylde mellem 18 og 110 år i år for at være med.",
        ),
        (
            "birth_year",
            str(today().year - 111),
            "You must turn between 18 and 110 this year to join.",
            "Du skal fylde mellem 18 og 110 år i år for at være med.",
        ),
        ("attr_gender", "", "Choose one of the options.", "Vælg en af mulighederne."),
        ("attr_municipality", "999", "Choose one of the options.", "Vælg en af mulighederne."),
        ("attr_education", "phd", "Choose one of the options.", "Vælg en af mulighederne."),
        ("attr_postcode", "8" * 41, "Use at most 40 characters.", "Brug højst 40 tegn."),
        ("name", "x" * 201, "Use at most 200 characters.", "Brug højst 200 tegn."),
        ("name", "Karen\nBcc: x@y.dk", "Write this on one line.", "Skriv det på én linje."),
        ("language", "", "Choose a language.", "Vælg et sprog."),
        (
            "consent",
            "",
            "Tick the box to join. We need your consent.",
            "Sæt kryds for at blive medlem. Vi skal have dit samtykke.",
        ),
    ],
)
@pytest.mark.parametrize("language", ["da", "en"])
def test_each_bad_field_gets_its_own_error_in_danish_and_english(
    client, language, field, value, english, danish
):
    # One language per test: the test app context (and so Flask-Babel's cached locale in
    # ``g``) is shared by every request of a test.
    client.get(f"/language/{language}")
    form = good_form(**{field: value})
    if value == "":
        del form[field]
    page = client.post("/join", data=form)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert error_of(html, field) == (danish if language == "da" else english)
    assert member_with("karen@example.dk") is None
    assert sent_mail() == []


def test_english_browser_gets_english_errors_from_accept_language(client):
    form = good_form()
    del form["email"]
    page = client.post("/join", data=form, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert error_of(page.get_data(as_text=True), "email") == "Enter your e-mail address."


def test_an_address_already_in_the_panel_gets_the_same_page_and_a_login_link(client):
    existing = MemberFactory(contact=MemberContact(email="karen@example.dk"))
    db.session.commit()
    new = client.post("/join", data=good_form(email="someone.new@example.dk"))
    dup = client.post("/join", data=good_form(email="KAREN@example.dk"))
    assert (dup.status_code, dup.headers["Location"]) == (new.status_code, new.headers["Location"])
    assert client.get(dup.headers["Location"]).data == client.get(new.headers["Location"]).data

    assert sent_mail(to="karen@example.dk", kind="confirm") == []
    (mail,) = sent_mail(to="karen@example.dk", kind="already_member")
    assert client.post(link_in(mail, "/login/")).headers["Location"].endswith("/profile")
    assert len(db.session.scalars(select(MemberContact)).all()) == 2
    assert member_with("karen@example.dk").id == existing.id


def test_a_member_who_left_joins_again_through_the_same_double_opt_in(client):
    member = MemberFactory(contact=MemberContact(email="karen@example.dk"))
    member.leave()
    db.session.commit()
    client.post("/join", data=good_form())
    db.session.expire_all()
    assert member_with("karen@example.dk").status is MemberStatus.PENDING
    (mail,) = sent_mail(to="karen@example.dk", kind="confirm")
    client.post(link_in(mail, "/confirm/"))
    rejoined = member_with("karen@example.dk")
    assert rejoined.id == member.id
    assert rejoined.status is MemberStatus.ACTIVE
    assert rejoined.attributes["municipality"] == "740"


def test_the_confirmation_mail_is_in_the_language_chosen_on_the_form(client):
    client.post("/join", data=good_form(language="en"))
    client.post("/join", data=good_form(email="ole@example.dk", language="da"))
    (english,) = sent_mail(to="karen@example.dk")
    (danish,) = sent_mail(to="ole@example.dk")
    assert english.subject == "Confirm your membership of the citizen panel"
    assert danish.subject == "Bekræft dit medlemskab af borgerpanelet"
    assert "Karen Jensen" in english.body
