"""Mail to people, through the outbox: the only way a message leaves Borgerpanel.

``queue_mail`` renders a message in the recipient's language and stores it in the same
transaction as the change that causes it. ``deliver_outbox`` hands due messages to the
configured backend; a failure is recorded and retried later with backoff, so a mail
server that is down delays mail but never loses it.
"""

from __future__ import annotations

import logging
import os
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

from flask import current_app, g, has_request_context, render_template
from flask_babel import force_locale
from sqlalchemy import select

from extensions import db
from panel.clock import utcnow
from panel.models import Member, OutboxMessage

log = logging.getLogger(__name__)

#: Longest wait between two attempts at one message.
MAX_BACKOFF = timedelta(hours=1)


class MailBackend(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class FileBackend:
    """Writes each message as an .eml file, so the flow can be followed without a server."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def send(self, message: EmailMessage) -> None:
        os.makedirs(self.directory, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{message['X-Borgerpanel-Id']}.eml"
        with open(os.path.join(self.directory, name), "wb") as handle:
            handle.write(bytes(message))


class SMTPBackend:
    def __init__(self, config: Any) -> None:
        self.config = config

    def send(self, message: EmailMessage) -> None:
        cfg = self.config
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"]) as s:
            if cfg["MAIL_USE_TLS"]:
                s.starttls()
            if cfg["MAIL_USERNAME"]:
                s.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            s.send_message(message)


def get_backend() -> MailBackend:
    kind = current_app.config["MAIL_BACKEND"]
    if kind == "smtp":
        return SMTPBackend(current_app.config)
    if kind == "file":
        directory = current_app.config.get("MAIL_FILE_DIR")
        return FileBackend(directory or os.path.join(current_app.instance_path, "outbox"))
    raise ValueError(f"unknown MAIL_BACKEND {kind!r}: use 'file' or 'smtp'")


def queue_mail(
    kind: str,
    to_address: str,
    *,
    language: str = "da",
    member: Member | None = None,
    **context: Any,
) -> OutboxMessage:
    """Render ``templates/emails/<kind>.txt`` (and ``<kind>_subject.txt``) into the outbox.

    The caller commits; the message is then sent after the request, or by the
    scheduler's every-minute delivery job (``surveys.jobs``).
    """
    with force_locale(language):
        context.setdefault("base_url", current_app.config["BASE_URL"])
        subject = render_template(f"emails/{kind}_subject.txt", **context).strip()
        body = render_template(f"emails/{kind}.txt", **context)
    message = OutboxMessage(
        kind=kind,
        to_address=to_address,
        subject=subject,
        body=body,
        member_id=member.id if member is not None else None,
    )
    db.session.add(message)
    db.session.flush()
    if has_request_context() and current_app.config["MAIL_DELIVER_ON_QUEUE"]:
        _deliver_after_request()
    return message


def absolute_url(path: str) -> str:
    """A link for a mail: ``path`` on the public BASE_URL."""
    return str(current_app.config["BASE_URL"]).rstrip("/") + path


def mail_member(kind: str, member: Member, **context: Any) -> OutboxMessage:
    """``queue_mail`` to a member's address, in their language, greeting them by name."""
    if member.contact is None:
        raise ValueError(f"member {member.id} has no contact details to mail")
    context.setdefault("name", member.contact.name)
    return queue_mail(
        kind, member.contact.email, language=member.language, member=member, **context
    )


def _deliver_after_request() -> None:
    from flask import after_this_request

    if g.get("_mail_delivery_scheduled"):
        return
    g._mail_delivery_scheduled = True

    @after_this_request
    def deliver(response: Any) -> Any:
        try:
            deliver_outbox(limit=20)
        except Exception:  # a failure here must never break the page the citizen sees
            log.exception("delivering mail after the request failed; the outbox keeps it")
            db.session.rollback()
        return response


def build_email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_SENDER"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}")
    email["X-Borgerpanel-Id"] = str(message.id)
    email.set_content(message.body)
    return email


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes after the n-th failure, at most MAX_BACKOFF."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def deliver_outbox(now: datetime | None = None, limit: int = 500) -> tuple[int, int]:
    """Send due messages; returns (sent, failed). Safe to run in several processes at once.

    Each message is claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite
    serialises writers anyway) and committed on its own, so one bad address or a server
    going away half-way never holds back or repeats the others.
    """
    now = now or utcnow()
    backend = get_backend()
    sent = failed = 0
    for _ in range(limit):
        message = db.session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if message is None:
            break
        try:
            backend.send(build_email(message))
        except (OSError, smtplib.SMTPException) as error:
            message.attempts += 1
            message.last_error = f"{type(error).__name__}: {error}"[:500]
            message.next_attempt_at = now + backoff(message.attempts)
            failed += 1
            log.warning("mail %s not sent (attempt %s): %s", message.id, message.attempts, error)
        else:
            message.attempts += 1
            message.sent_at = utcnow()
            message.last_error = None
            sent += 1
        db.session.commit()
        if failed:
            break  # the server is unwell: leave the rest for the next run instead of hammering it
    return sent, failed
