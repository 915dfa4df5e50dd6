"""Logging in with one-time links: they work once, in time, and only for current members."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from core.clock import utcnow
from extensions import db
from panel.members.models import LoginToken, MemberContact, MemberStatus
from tests.factories import MemberFactory
from tests.helpers import link_in, sent_mail

GONE = "Linket virker ikke længere"


@pytest.fixture
def member():
    member = MemberFactory(contact=MemberContact(email="ole@example.dk", name="Ole"))
    db.session.commit()
    return member


def request_link(client, email: str) -> str:
    client.post("/login", data={"email": email})
    (mail,) = sent_mail(to=email.lower(), kind="login")
    return link_in(mail, "/login/")


def test_a_member_gets_a_link_that_logs_them_in(client, member):
    response = client.post("/login", data={"email": "Ole@Example.dk"}, follow_redirects=True)
    assert "har vi sendt et login-link" in response.get_data(as_text=True)
    (mail,) = sent_mail(to="ole@example.dk", kind="login")
    assert mail.subject == "Dit login-link til borgerpanelet"
    link = link_in(mail, "/login/")
    assert client.get(link).status_code == 200  # a mail scanner's fetch spends nothing
    response = client.post(link)
    assert response.headers["Location"].endswith("/profile")
    assert "ole@example.dk" in client.get("/profile").get_data(as_text=True)


def test_an_unknown_address_gets_the_very_same_answer_and_no_mail(client, member):
    known = client.post("/login", data={"email": "ole@example.dk"})
    unknown = client.post("/login", data={"email": "nobody@example.dk"})
    assert known.headers["Location"] == unknown.headers["Location"]
    assert sent_mail(to="nobody@example.dk") == []


def test_a_link_works_only_once(client, member):
    link = request_link(client, "ole@example.dk")
    assert client.post(link).status_code == 302
    client.post("/logout")
    again = client.post(link)
    assert again.status_code == 410
    html = again.get_data(as_text=True)
    assert GONE in html
    assert 'action="/login"' in html  # offers to send a new link
    assert client.get("/profile").status_code == 302


def test_an_expired_link_is_refused_with_the_clear_page(client, member):
    link = request_link(client, "ole@example.dk")
    db.session.execute(update(LoginToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    response = client.post(link)
    assert response.status_code == 410
    assert GONE in response.get_data(as_text=True)
    assert client.get("/profile").status_code == 302


@pytest.mark.parametrize("path", ["/login/made-up-token", "/confirm/made-up-token"])
def test_a_forged_link_is_refused_with_the_clear_page(client, member, path):
    response = client.post(path)
    assert response.status_code == 410
    assert GONE in response.get_data(as_text=True)


def test_a_confirmation_link_cannot_be_used_to_log_in_and_vice_versa(client, member):
    link = request_link(client, "ole@example.dk")
    token = link.removeprefix("/login/")
    assert client.post(f"/confirm/{token}").status_code == 410


def test_a_pending_member_is_confirmed_by_logging_in_with_a_link(client):
    pending = MemberFactory(
        status=MemberStatus.PENDING,
        confirmed_at=None,
        contact=MemberContact(email="new@example.dk"),
    )
    db.session.commit()
    client.post(request_link(client, "new@example.dk"))
    db.session.refresh(pending)
    assert pending.status is MemberStatus.ACTIVE
    assert pending.confirmed_at is not None


def test_a_member_who_left_gets_no_link_and_old_links_stop_working(client, member):
    old_link = request_link(client, "ole@example.dk")
    member.leave()
    db.session.commit()
    client.post("/login", data={"email": "ole@example.dk"})
    assert len(sent_mail(to="ole@example.dk", kind="login")) == 1
    assert client.post(old_link).status_code == 410


def test_the_profile_needs_a_login(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")


def test_the_login_form_says_what_is_wrong_with_the_address(client):
    response = client.post("/login", data={"email": "not-an-address"})
    assert "Skriv en gyldig e-mailadresse" in response.get_data(as_text=True)
    assert sent_mail() == []
