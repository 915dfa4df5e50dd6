"""Mail to people, through the outbox: the only way a message leaves Borgerpanel.

``queue_mail`` renders a message in the recipient's language and stores it in the same
transaction as the change that causes it; ``queue_member_mails`` does the same for
thousands of members at once (a wave's invitations), with one multi-row INSERT per call.
``deliver_outbox`` hands due messages to the configured backend; a failure is recorded and
retried later with backoff, so a mail server that is down delays mail but never loses it,
while an address the server refuses for good is marked bounced and not tried again.

Answer, login and confirmation links in a body work for days and name one person; once a
message is sent its stored body keeps its text but loses those links (``redact_links``),
so the outbox, its backups and whoever reads them hold no working key to anyone's answers
or account. The mail itself, as sent, still has them.

Every mail to a member carries an unsubscribe link (in the footer, and as RFC 8058
``List-Unsubscribe`` headers for one-click unsubscribing in mail programs): a token signed
with SECRET_KEY that names the member and never expires, since old mails must keep working.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, NamedTuple, Protocol

from flask import current_app, g, has_request_context, render_template
from flask_babel import force_locale
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, insert, select, update

from core.clock import utcnow
from core.input_checks import one_line
from extensions import db
from panel.mail.models import OutboxMessage
from panel.members.models import Member, MemberContact

log = logging.getLogger(__name__)

#: Paths whose links carry a secret token: answering, login, confirming an address.
SECRET_LINK_PATHS = ("/a/", "/login/", "/confirm/", "/email/confirm/")
#: What a secret link is replaced with in a sent message's stored body.
REDACTED_LINK = "[…]"
#: Longest wait between two attempts at one message.
MAX_BACKOFF = timedelta(hours=1)
#: ``next_attempt_at`` of a message whose address the server refused for good: never due.
NEVER = datetime(9999, 1, 1)


class MailBackend(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class FileBackend:
    """Writes each message as an .eml file, so the flow can be followed without a server.

    The files hold the mail as sent, links and all, so the retention job deletes them with
    the sent mail (``delete_before``).
    """

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def delete_before(self, cutoff: datetime) -> int:
        """Delete the files of mail sent before ``cutoff`` (named by when they were sent)."""
        if not os.path.isdir(self.directory):
            return 0
        deleted = 0
        for name in os.listdir(self.directory):
            if not name.endswith(".eml"):
                continue
            try:
                written = datetime.strptime(name.split("-", 1)[0], "%Y%m%dT%H%M%S%f")
            except ValueError:
                continue  # not one of ours
            if written < cutoff:
                os.remove(os.path.join(self.directory, name))
                deleted += 1
        return deleted

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


def _render(kind: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of ``templates/emails/<kind>``, in the locale in force."""
    context.setdefault("base_url", current_app.config["BASE_URL"])
    subject = one_line(render_template(f"emails/{kind}_subject.txt", **context))
    return subject, render_template(f"emails/{kind}.txt", **context)


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
    scheduler's every-minute delivery job (``core.jobs``).
    """
    with force_locale(language):
        subject, body = _render(kind, context)
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


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt="unsubscribe")


def unsubscribe_url(member_id: int) -> str:
    """The member's own unsubscribe link; the same in every mail, valid for as long as they are."""
    return absolute_url(f"/unsubscribe/{_unsubscribe_serializer().dumps(member_id)}")


def member_id_from_unsubscribe(token: str) -> int | None:
    """The member an unsubscribe token names, or None when it is not one we signed."""
    try:
        member_id = _unsubscribe_serializer().loads(token)
    except BadSignature:
        return None
    return member_id if isinstance(member_id, int) else None


def mail_member(kind: str, member: Member, **context: Any) -> OutboxMessage:
    """``queue_mail`` to a member's address, in their language, greeting them by name.

    Adds the unsubscribe link that the footer (``templates/emails/_footer.txt``) shows.
    """
    if member.contact is None:
        raise ValueError(f"member {member.id} has no contact details to mail")
    context.setdefault("name", one_line(member.contact.name or "") or None)
    context.setdefault("unsubscribe_link", unsubscribe_url(member.id))
    return queue_mail(
        kind, member.contact.email, language=member.language, member=member, **context
    )


class Recipient(NamedTuple):
    """What ``queue_member_mails`` needs of a member: plain values, no ORM object."""

    member_id: int
    email: str
    name: str | None
    language: str


#: What differs from one member's mail to the next in a batch: rendered once as markers.
PERSONAL = ("name", "link", "unsubscribe_link")


def queue_member_mails(kind: str, letters: Sequence[tuple[Recipient, dict[str, Any]]]) -> int:
    """``mail_member`` for many members at once; returns how many messages were queued.

    A wave's mails differ only in the greeting's name and the personal links, so each
    distinct rest (language, other context, name or none) is rendered once with markers
    in their place, which are then replaced per member: rendering 12,500 invitations one
    by one took most of opening a wave. All messages go in with one multi-row INSERT
    instead of a flush per message. The caller commits, in the same transaction as
    whatever records that the mails went (so a re-run neither repeats nor loses one).
    """
    rendered: dict[tuple[str, bool, str], tuple[str, str]] = {}
    rows = []
    for recipient, context in letters:
        personal = {
            "name": one_line(recipient.name or "") or None,
            "unsubscribe_link": unsubscribe_url(recipient.member_id),
            **{k: v for k, v in context.items() if k in PERSONAL},
        }
        shared = {k: v for k, v in context.items() if k not in PERSONAL}
        key = (recipient.language, bool(personal["name"]), repr(sorted(shared.items())))
        if key not in rendered:
            markers = {k: f"\x1f{k}\x1f" for k in PERSONAL}
            if not personal["name"]:
                markers["name"] = None  # type: ignore[assignment]
            with force_locale(recipient.language):
                rendered[key] = _render(kind, {**shared, **markers})
        subject, body = rendered[key]
        for k in PERSONAL:
            marker, value = f"\x1f{k}\x1f", str(personal.get(k) or "")
            subject, body = subject.replace(marker, value), body.replace(marker, value)
        rows.append(
            {
                "kind": kind,
                "to_address": recipient.email,
                "subject": subject,
                "body": body,
                "member_id": recipient.member_id,
            }
        )
    if rows:
        db.session.execute(insert(OutboxMessage), rows)
    return len(rows)


def mark_bounced(addresses: Iterable[str], now: datetime | None = None) -> int:
    """Mark these addresses as bounced (no more mail to them); returns how many matched.

    Addresses are compared lower-cased, as they are stored. An address already marked
    keeps its first bounce time. The caller commits.
    """
    wanted = sorted({a.strip().lower() for a in addresses if a.strip()})
    now = now or utcnow()
    matched = 0
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        matched += (
            db.session.scalar(
                select(func.count())
                .select_from(MemberContact)
                .where(MemberContact.email.in_(chunk))
            )
            or 0
        )
        owners = select(MemberContact.member_id).where(MemberContact.email.in_(chunk))
        db.session.execute(
            update(Member)
            .where(Member.id.in_(owners), Member.email_bounced_at.is_(None))
            .values(email_bounced_at=now)
        )
    log.info("marked %s of %s addresses as bounced", matched, len(wanted))
    return matched


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
    if message.member_id is not None:  # RFC 8058 one-click unsubscribe
        email["List-Unsubscribe"] = f"<{unsubscribe_url(message.member_id)}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(message.body)
    return email


def redact_links(body: str) -> str:
    """``body`` without its links that carry a secret token (``SECRET_LINK_PATHS``)."""
    base = re.escape(str(current_app.config["BASE_URL"]).rstrip("/"))
    paths = "|".join(re.escape(path) for path in SECRET_LINK_PATHS)
    return re.sub(rf"{base}(?:{paths})\S*", REDACTED_LINK, body)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes after the n-th failure, at most MAX_BACKOFF."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def deliver_outbox(now: datetime | None = None, limit: int = 500) -> tuple[int, int]:
    """Send due messages; returns (sent, failed). Safe to run in several processes at once.

    Each message is claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite
    serialises writers anyway) and committed on its own, so one bad address or a server
    going away half-way never holds back or repeats the others. A message that cannot be
    made into a mail at all (a header with a line break, from before titles were checked)
    is set aside as failed for good, and the others go.
    """
    now = now or utcnow()
    backend = get_backend()
    sent = failed = undeliverable = 0
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
            email = build_email(message)
        except ValueError as error:  # this message cannot be a mail (a header with a newline)
            _undeliverable(message, error)
            undeliverable += 1
            db.session.commit()
            continue
        try:
            backend.send(email)
        except smtplib.SMTPRecipientsRefused as error:
            if not _refused_for_good(error):
                failed += _failed(message, error, now)
            else:
                mark_bounced([message.to_address], now)
                message.attempts += 1
                message.last_error = f"bounced: {error}"[:500]
                message.next_attempt_at = NEVER
                log.warning("mail %s refused for good; address marked bounced", message.id)
        except (OSError, smtplib.SMTPException) as error:
            failed += _failed(message, error, now)
        else:
            message.attempts += 1
            message.sent_at = utcnow()
            message.last_error = None
            message.body = redact_links(message.body)
            sent += 1
        db.session.commit()
        if failed:
            break  # the server is unwell: leave the rest for the next run instead of hammering it
    return sent, failed + undeliverable


def _undeliverable(message: OutboxMessage, error: Exception) -> None:
    """Set aside a message that can never be sent, so it holds back no other mail."""
    message.attempts += 1
    message.last_error = f"undeliverable: {type(error).__name__}: {error}"[:500]
    message.next_attempt_at = NEVER
    log.error("mail %s cannot be built and is set aside: %s", message.id, error)


def _refused_for_good(error: smtplib.SMTPRecipientsRefused) -> bool:
    """A 5xx answer to every recipient is permanent (no such user); 4xx may pass later."""
    codes = [code for code, _message in error.recipients.values()]
    return bool(codes) and all(500 <= code < 600 for code in codes)


def _failed(message: OutboxMessage, error: Exception, now: datetime) -> int:
    """Record a failed attempt and when to try again; returns 1 (a failure to count)."""
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:500]
    message.next_attempt_at = now + backoff(message.attempts)
    log.warning("mail %s not sent (attempt %s): %s", message.id, message.attempts, error)
    return 1
