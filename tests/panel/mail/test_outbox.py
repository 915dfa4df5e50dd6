"""Mail to members: the yearly reminders go once per period, and the outbox survives
a mail server that is down."""

from __future__ import annotations

import socket
from datetime import date, timedelta

import pytest
from aiosmtpd.controller import Controller

from core.clock import utcnow
from extensions import db
from panel.mail.models import OutboxMessage
from panel.mail.outbox import deliver_outbox, mail_member
from panel.members.models import MemberContact
from panel.members.operations import (
    queue_consent_renewals,
    queue_profile_checks,
    send_login_link,
)
from tests.conftest import make_config
from tests.factories import MemberFactory
from tests.helpers import link_in, sent_mail


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def app_config(request, database_url, tmp_path):
    """``smtp`` as the parameter points the app at a local port nothing listens on (yet)."""
    if getattr(request, "param", None) == "smtp":
        return make_config(
            database_url,
            tmp_path,
            MAIL_BACKEND="smtp",
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=_free_port(),
            MAIL_TIMEOUT=5,
        )
    return make_config(database_url, tmp_path)


def member_with(email: str, **fields):
    return MemberFactory(contact=MemberContact(email=email), **fields)


def test_profile_check_mail_goes_once_per_period_to_members_with_old_profiles(app):
    now = utcnow()
    member_with("old@example.dk", profile_checked_at=now - timedelta(days=400))
    member_with("recent@example.dk", profile_checked_at=now - timedelta(days=30))
    db.session.commit()

    assert queue_profile_checks(now) == 1
    db.session.commit()
    (mail,) = sent_mail(kind="profile_check")
    assert mail.to_address == "old@example.dk"
    assert mail.subject == "Er dine oplysninger i borgerpanelet stadig rigtige?"
    assert "http://localhost/login" in mail.body

    assert queue_profile_checks(now + timedelta(days=1)) == 0  # a re-run sends nothing
    # a year on, both profiles are more than a period old: each member is asked (again)
    assert queue_profile_checks(now + timedelta(days=366)) == 2
    assert len(sent_mail(kind="profile_check", to="old@example.dk")) == 2


def test_members_who_left_or_bounced_get_no_yearly_mail(app):
    old = utcnow() - timedelta(days=400)
    gone = member_with("gone@example.dk", profile_checked_at=old)
    gone.leave()
    bounced = member_with("bounced@example.dk", profile_checked_at=old)
    bounced.email_bounced_at = utcnow()
    db.session.commit()
    assert queue_profile_checks() == 0
    assert sent_mail() == []


def test_consent_renewal_mail_goes_once_per_consent_in_the_members_language(app):
    now = utcnow()
    soon = member_with("soon@example.dk", language="en")
    (consent,) = soon.consents
    consent.expires_at = soon.consent_expires_at = now + timedelta(days=30)
    member_with("later@example.dk")  # consent valid for five more years
    lapsed = member_with("lapsed@example.dk")
    lapsed.consents[0].given_at = now - timedelta(days=2000)
    lapsed.consents[0].expires_at = lapsed.consent_expires_at = now - timedelta(days=10)
    db.session.commit()

    assert queue_consent_renewals(now) == 2
    db.session.commit()
    assert {m.to_address for m in sent_mail(kind="consent_renewal")} == {
        "soon@example.dk",
        "lapsed@example.dk",
    }
    (english,) = sent_mail(to="soon@example.dk")
    assert english.subject == "Your consent to the citizen panel runs out soon"
    assert queue_consent_renewals(now + timedelta(days=7)) == 0
    assert len(sent_mail(kind="consent_renewal")) == 2


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.mark.parametrize("app_config", ["smtp"], indirect=True)
def test_mail_waits_in_the_outbox_while_the_server_is_down_and_goes_exactly_once(app, client):
    response = client.post("/login", data={"email": "ole@example.dk"})
    assert response.status_code == 302  # nothing to send: no member yet
    member_with("ole@example.dk")
    db.session.commit()
    before = utcnow()
    response = client.post("/login", data={"email": "ole@example.dk"})
    assert response.status_code == 302  # the citizen never sees the mail server's trouble

    db.session.expire_all()
    (message,) = db.session.query(OutboxMessage).all()
    assert message.sent_at is None
    assert message.attempts == 1
    assert (message.last_error or "").startswith("ConnectionRefusedError")
    assert message.next_attempt_at > before

    inbox = _Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=app.config["MAIL_PORT"])
    server.start()
    try:
        assert deliver_outbox(now=utcnow()) == (0, 0)  # not due yet: backoff
        assert deliver_outbox(now=utcnow() + timedelta(minutes=5)) == (1, 0)
        assert deliver_outbox(now=utcnow() + timedelta(minutes=10)) == (0, 0)
    finally:
        server.stop()
    assert len(inbox.messages) == 1
    assert b"ole@example.dk" in inbox.messages[0]
    db.session.refresh(message)
    assert message.sent_at is not None and message.last_error is None


def test_a_sent_message_keeps_no_working_login_or_answer_link(app):
    member = member_with("karen@example.dk")
    db.session.commit()
    send_login_link(member)
    db.session.commit()
    (queued,) = sent_mail(kind="login")
    secret = link_in(queued, "/login/")
    assert secret.removeprefix("/login/") in queued.body
    deliver_outbox()
    (sent,) = sent_mail(kind="login")
    assert sent.sent_at is not None
    assert "/login/" not in sent.body and secret not in sent.body
    assert "[…]" in sent.body and "borgerpanel" in sent.body.lower()
    assert secret in link_in(sent, "/login/")  # the mail itself, as sent, has it
    assert member.contact.email == sent.to_address


def test_a_message_that_cannot_be_a_mail_is_set_aside_and_the_others_go(app):
    bad = OutboxMessage(kind="invitation", to_address="a@example.dk",
                        subject="Invited\r\nBcc: everyone@example.dk", body="x")  # fmt: skip
    good = OutboxMessage(kind="invitation", to_address="b@example.dk", subject="Ok", body="y")
    db.session.add_all([bad, good])
    db.session.commit()
    assert deliver_outbox() == (1, 1)
    db.session.refresh(bad)
    db.session.refresh(good)
    assert good.sent_at is not None
    assert bad.sent_at is None and "undeliverable" in bad.last_error
    assert deliver_outbox() == (0, 0)  # never tried again, never in the way again


def test_line_breaks_in_a_name_or_a_title_never_reach_a_mail(app):
    member = member_with("karen@example.dk")
    member.contact.name = "Karen\nJensen\r\nBcc: x@example.dk"
    db.session.commit()
    mail = mail_member("invitation", member, title="Bus\nfares", link="http://localhost/a/x",
                       closes_on=date(2030, 5, 1))  # fmt: skip
    assert "\n" not in mail.subject and "Bus fares" in mail.subject
    assert "Karen Jensen Bcc: x@example.dk" in mail.body
