"""Small helpers the tests share: logging in as a role, reading the outbox."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

import pyotp
from flask import current_app
from flask.testing import FlaskClient
from sqlalchemy import select

from extensions import db
from panel.auth import issue_token
from panel.mail.models import OutboxMessage
from panel.members.models import Member, TokenPurpose
from panel.staff.models import Role, StaffUser
from tests.factories import STAFF_PASSWORD, StaffUserFactory


def login_staff(
    client: FlaskClient, role: Role = Role.STAFF, language: str | None = None
) -> StaffUser:
    """Create a staff user with ``role`` and log in through the real login form, then
    choose ``language`` for the pages if given.

    Admins must use two-factor login, so an admin gets a TOTP secret and logs in with a
    code from it too.
    """
    user = StaffUserFactory(role=role)
    if role is Role.ADMIN:
        user.totp_secret = pyotp.random_base32()
    db.session.commit()
    response = client.post("/staff/login", data={"email": user.email, "password": STAFF_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    if user.totp_secret:
        code = pyotp.TOTP(user.totp_secret).now()
        response = client.post("/staff/login/code", data={"code": code})
        assert response.status_code == 302, response.get_data(as_text=True)
    if language:
        client.get(f"/language/{language}")
    return user


def login_member(client: FlaskClient, member: Member) -> None:
    """Log ``member`` in through a real one-time login link."""
    from datetime import timedelta

    token = issue_token(member, TokenPurpose.LOGIN, timedelta(minutes=30))
    db.session.commit()
    response = client.post(f"/login/{token}")
    assert response.status_code == 302, response.get_data(as_text=True)


def sent_mail(to: str | None = None, kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if to is not None:
        query = query.filter_by(to_address=to)
    if kind is not None:
        query = query.filter_by(kind=kind)
    return list(db.session.scalars(query))


def mail_text(message: OutboxMessage) -> str:
    """The text the recipient got: once sent, the outbox keeps no secret links, so a sent
    message is read from the file backend's .eml file."""
    if message.sent_at is None:
        return message.body
    directory = Path(current_app.config["MAIL_FILE_DIR"])
    (path,) = directory.glob(f"*-{message.id}.eml")
    email = message_from_bytes(path.read_bytes(), policy=policy.default)
    return str(email.get_content())


def link_in(message: OutboxMessage, path_prefix: str) -> str:
    """The path of the first link in ``message`` that starts with ``path_prefix``."""
    body = mail_text(message)
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]*)", body)
    assert match, f"no {path_prefix} link in: {body}"
    return match.group(1)


def login_as(client: FlaskClient, who: str) -> None:
    """Log in as someone who must never reach staff pages: "politician" or "citizen"."""
    from tests.factories import MemberFactory

    if who == "politician":
        login_staff(client, Role.POLITICIAN)
        return
    member = MemberFactory()
    db.session.commit()
    login_member(client, member)
