"""Bounced addresses are marked, from a bounce report or the mail server's refusal, and
get no more mail."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from core.clock import utcnow
from extensions import db
from panel.mail.models import OutboxMessage
from panel.mail.outbox import deliver_outbox
from panel.members.models import MemberContact
from panel.members.operations import queue_profile_checks, send_login_link
from tests.conftest import make_config
from tests.factories import MemberFactory


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def app_config(database_url, tmp_path):
    return make_config(
        database_url,
        tmp_path,
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=_free_port(),
        MAIL_TIMEOUT=5,
        MAIL_DELIVER_ON_QUEUE=False,
    )


def member_with(email: str):
    return MemberFactory(
        contact=MemberContact(email=email), profile_checked_at=utcnow() - timedelta(days=400)
    )


def bounced(email: str) -> bool:
    contact = db.session.query(MemberContact).filter_by(email=email).one()
    return contact.member.email_bounced_at is not None


@pytest.mark.parametrize(
    "report",
    [
        "gone@example.dk\n  Moved@Example.dk \nstranger@example.dk\n",
        "date,email,reason\n2026-11-01,gone@example.dk,550\n2026-11-02,MOVED@example.dk,550\n"
        "2026-11-02,stranger@example.dk,550\n",
    ],
    ids=["one a line", "csv"],
)
def test_a_bounce_report_marks_the_members_addresses_and_says_how_many_matched(
    app, runner, tmp_path, report
):
    for email in ("gone@example.dk", "moved@example.dk", "here@example.dk"):
        member_with(email)
    db.session.commit()
    path = tmp_path / "bounces.txt"
    path.write_text(report, encoding="utf-8")

    result = runner.invoke(args=["mail", "bounces", str(path)])

    assert result.exit_code == 0, result.output
    assert "2 of 3 addresses" in result.output
    db.session.expire_all()
    assert bounced("gone@example.dk") and bounced("moved@example.dk")
    assert not bounced("here@example.dk")
    assert queue_profile_checks() == 1  # only here@ is still mailed


class _Server:
    """Accepts mail, but refuses some recipients the way a real server does."""

    def __init__(self, refusals: dict[str, str]) -> None:
        self.refusals = refusals
        self.delivered: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refusals:
            return self.refusals[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.delivered.extend(envelope.rcpt_tos)
        return "250 OK"


def test_a_permanent_refusal_marks_the_address_and_is_not_retried(app):
    for email in ("nobody@example.dk", "full@example.dk", "ok@example.dk"):
        send_login_link(member_with(email))
    db.session.commit()
    inbox = _Server(
        {
            "nobody@example.dk": "550 5.1.1 No such user",
            "full@example.dk": "452 4.2.2 Mailbox full, try later",
        }
    )
    server = Controller(inbox, hostname="127.0.0.1", port=app.config["MAIL_PORT"])
    server.start()
    try:
        assert deliver_outbox() == (0, 1)  # nobody@ given up on, full@ failed: stop for now
        assert deliver_outbox(now=utcnow() + timedelta(minutes=5)) == (1, 1)  # ok@ goes
        later = deliver_outbox(now=utcnow() + timedelta(days=30))
    finally:
        server.stop()

    assert later == (0, 1)  # full@ is tried again; nobody@ never is
    assert inbox.delivered == ["ok@example.dk"]
    assert bounced("nobody@example.dk") and not bounced("full@example.dk")
    refused = db.session.query(OutboxMessage).filter_by(to_address="nobody@example.dk").one()
    assert refused.sent_at is None and refused.attempts == 1
    assert (refused.last_error or "").startswith("bounced:")
    assert queue_profile_checks() == 2  # no more mail to nobody@
