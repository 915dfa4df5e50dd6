"""What a citizen does with their membership: join, confirm, log in, keep it current, leave.

Every function takes the objects it works on and leaves the commit to its caller (a view
or a scheduled job), so a change and the mail it causes are stored in one transaction.
Logs name members by id only, never by address.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import inspect, or_, select

from core.audit import AuditEvent
from core.clock import iso, utcnow
from core.errors import InvalidTransition, Refusal
from extensions import db
from panel import signals
from panel.auth import consume_token, issue_token
from panel.demographics.attributes import category_indexes, load_attributes, validate_attributes
from panel.demographics.models import Attribute, AttributeKind
from panel.mail.models import OutboxMessage
from panel.mail.outbox import absolute_url, mail_member, member_id_from_unsubscribe
from panel.members.consent import give_consent, withdraw_consent
from panel.members.models import Consent, Member, MemberContact, MemberStatus, TokenPurpose
from panel.signals import DataSection

log = logging.getLogger(__name__)

#: The furthest ahead a member may pause invitations.
MAX_PAUSE = timedelta(days=365)
#: A member may renew their consent once it lapses within this time (or has lapsed).
RENEWAL_WINDOW = timedelta(days=90)
#: The yearly job reminds members whose consent lapses within this time.
RENEWAL_REMINDER = timedelta(days=60)


@dataclass(frozen=True)
class MemberDetails:
    """What a citizen tells us when joining or editing their profile."""

    email: str
    birth_year: int
    #: Category code (or free text) per attribute key; age bands are never here.
    attributes: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    language: str = "da"


class EmailUnavailable(Refusal):
    """The address belongs to another member. Tell the user it cannot be used, not why."""

    field = "email"

    def __init__(self) -> None:
        super().__init__(_("This address cannot be used. Use another address."))


class PauseRefused(Refusal):
    field = "until"

    def __init__(self) -> None:
        super().__init__(_("Choose a date after today and at most one year ahead."))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> Member | None:
    return db.session.scalar(
        select(Member).join(MemberContact).where(MemberContact.email == normalise_email(email))
    )


def _apply(member: Member, details: MemberDetails) -> None:
    """Copy validated details onto ``member``, checking attributes against the configuration."""
    clean, errors = validate_attributes(details.attributes, category_indexes(load_attributes()))
    if errors:
        raise ValueError(f"invalid attributes: {sorted(errors)}")
    member.birth_year = details.birth_year
    member.attributes = clean
    member.language = details.language
    if member.contact is not None:
        member.contact.name = (details.name or "").strip() or None


def send_login_link(member: Member, kind: str = "login") -> OutboxMessage:
    """Mail ``member`` a one-time login link; ``kind`` picks the wording of the mail."""
    max_age: timedelta = current_app.config["LOGIN_LINK_MAX_AGE"]
    token = issue_token(member, TokenPurpose.LOGIN, max_age)
    minutes = int(max_age.total_seconds() // 60)
    return mail_member(kind, member, link=absolute_url(f"/login/{token}"), minutes=minutes)


def join_panel(details: MemberDetails, now: datetime | None = None) -> Member:
    """Sign a citizen up (pending until they confirm by mail), or re-sign one who left.

    An address that already belongs to a current member gets a login link instead, and
    the caller shows the same page either way, so the form never reveals who is a member.
    """
    now = now or utcnow()
    member = find_by_email(details.email)
    if member is not None and member.status is not MemberStatus.LEFT:
        send_login_link(member, kind="already_member")
        log.info("join with the address of member %s: sent a login link instead", member.id)
        return member
    if member is None:
        member = Member(
            status=MemberStatus.PENDING,
            source="web",
            joined_at=now,
            contact=MemberContact(email=normalise_email(details.email)),
        )
    else:
        member.rejoin()
    _apply(member, details)
    db.session.add(member)
    give_consent(member, source="web", at=now)
    db.session.flush()
    send_confirmation(member)
    log.info("member %s joined (pending confirmation)", member.id)
    return member


def send_confirmation(member: Member) -> OutboxMessage:
    """Mail a pending member the link that confirms their address (double opt-in)."""
    max_age: timedelta = current_app.config["CONFIRM_LINK_MAX_AGE"]
    token = issue_token(member, TokenPurpose.CONFIRM, max_age)
    return mail_member("confirm", member, link=absolute_url(f"/confirm/{token}"), days=max_age.days)


def confirm_member(raw_token: str, now: datetime | None = None) -> Member | None:
    """The member a confirmation link belongs to, now active; None if the link is no good."""
    member = consume_token(raw_token, TokenPurpose.CONFIRM, now)
    if member is None or member.status is MemberStatus.LEFT:
        return None
    if member.status is MemberStatus.PENDING:
        member.confirm(now)
        if member.current_consent(now or utcnow()) is None:
            # imported without paper consent: the confirmation page states that confirming
            # is consenting, with the full text one link away
            give_consent(member, source="confirm", at=now)
        log.info("member %s confirmed", member.id)
    return member


def log_in_with_link(raw_token: str, now: datetime | None = None) -> Member | None:
    """The member a login link belongs to, or None; a pending member is confirmed by it.

    The link reached their inbox, which is all the confirmation link proves.
    """
    member = consume_token(raw_token, TokenPurpose.LOGIN, now)
    if member is None or member.status is MemberStatus.LEFT:
        return None
    if member.status is MemberStatus.PENDING:
        member.confirm(now)
        log.info("member %s confirmed by a login link", member.id)
    log.info("member %s logged in by link", member.id)
    return member


def request_login_link(email: str) -> None:
    """Mail a login link if the address is a current member's; silently nothing otherwise."""
    member = find_by_email(email)
    if member is None or member.status is MemberStatus.LEFT:
        log.info("login link requested for an address that is not a current member")
        return
    send_login_link(member)
    log.info("login link sent to member %s", member.id)


def update_profile(
    member: Member,
    details: MemberDetails,
    now: datetime | None = None,
    change_email_now: bool = False,
) -> str | None:
    """Change what the member told us, except the address: a new one is returned, for
    ``panel.members.email_change`` to confirm. Raises EmailUnavailable for another
    member's address. ``change_email_now`` is for the API, whose caller (the region's own
    systems, with the ``members:write`` scope) states the address from its records."""
    email = normalise_email(details.email)
    if member.contact is None:
        raise ValueError(f"member {member.id} has no contact details")
    wanted = None
    if email != member.contact.email:
        if find_by_email(email) is not None:
            raise EmailUnavailable
        wanted = email
        if change_email_now:
            member.contact.email, member.email_bounced_at, wanted = email, None, None
    _apply(member, details)
    member.profile_checked_at = now or utcnow()
    log.info("member %s updated their profile", member.id)
    return wanted


def confirm_profile_current(member: Member, now: datetime | None = None) -> None:
    member.profile_checked_at = now or utcnow()
    log.info("member %s confirmed their profile is current", member.id)


def pause(member: Member, until: date, today: date | None = None) -> None:
    """No invitations up to and including ``until``: after today, at most MAX_PAUSE ahead."""
    today = today or utcnow().date()
    if not today < until <= today + MAX_PAUSE:
        raise PauseRefused
    member.paused_until = until
    log.info("member %s paused until %s", member.id, until)


def resume(member: Member) -> None:
    member.paused_until = None
    log.info("member %s resumed", member.id)


def set_language(member: Member, language: str) -> None:
    if language not in current_app.config["LANGUAGES"]:
        raise ValueError(f"unknown language {language!r}")
    member.language = language


def leave_panel(member: Member, now: datetime | None = None) -> None:
    """The member stops taking part and withdraws consent; never mailed or sampled again."""
    now = now or utcnow()
    member.leave(now)
    withdraw_consent(member, now)
    log.info("member %s left the panel", member.id)


def find_by_unsubscribe_token(token: str) -> Member | None:
    """The member an unsubscribe link is for; None when the link is forged or they are deleted."""
    member_id = member_id_from_unsubscribe(token)
    return db.session.get(Member, member_id) if member_id is not None else None


def unsubscribe(member: Member, now: datetime | None = None) -> bool:
    """Stop all panel mail: the member leaves the panel. False when they had already left.

    Leaving, not a mail-only flag, because a panel member who gets no mail cannot be
    invited, reminded or asked to renew consent: they are no longer in the panel.
    """
    if member.status is MemberStatus.LEFT:
        return False
    leave_panel(member, now)
    log.info("member %s unsubscribed", member.id)
    return True


def can_renew_consent(member: Member, now: datetime | None = None) -> bool:
    expires = member.consent_expires_at
    return expires is None or expires - (now or utcnow()) <= RENEWAL_WINDOW


def renew_consent(member: Member, now: datetime | None = None) -> Consent:
    """A fresh consent to the current text, for CONSENT_YEARS from now."""
    now = now or utcnow()
    if member.status is not MemberStatus.ACTIVE or not can_renew_consent(member, now):
        raise InvalidTransition(_("The consent cannot be renewed now."))
    consent = give_consent(member, source="renewal", at=now)
    log.info("member %s renewed their consent", member.id)
    return consent


def attribute_summary(
    member: Member, attributes: Sequence[Attribute], language: str
) -> list[dict[str, str]]:
    """The member's attributes as label, code and value label, in ``language``."""
    rows = []
    for attribute in attributes:
        if attribute.kind is AttributeKind.AGE_BAND:
            continue
        code = member.attributes.get(attribute.key)
        if code is None:
            continue
        labels = {c.code: c.label(language) for c in attribute.categories}
        rows.append(
            {
                "key": attribute.key,
                "label": attribute.label(language),
                "code": code,
                "value": labels.get(code, code),
            }
        )
    return rows


def _plain(value: Any) -> Any:
    """A column value as JSON has it: dates as ISO text, enums as their value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return getattr(value, "value", value)


def member_data_sections(
    member: Member, attributes: Sequence[Attribute], language: str
) -> list[DataSection]:
    """Everything Borgerpanel holds about ``member``: panel's own sections, then the others'.

    The other areas answer ``panel.signals.member_data_requested`` (see there).
    """
    contact = member.contact
    mails = db.session.scalars(
        select(OutboxMessage).filter_by(member_id=member.id).order_by(OutboxMessage.id)
    )
    own = [
        DataSection(
            "member",
            ("member",),
            {c.key: _plain(getattr(member, c.key)) for c in inspect(Member).column_attrs},
        ),
        DataSection("attributes", (), attribute_summary(member, attributes, language)),
        DataSection(
            "contact",
            ("member_contact",),
            {
                "email": contact.email if contact else None,
                "name": contact.name if contact else None,
            },
        ),
        DataSection(
            "consents",
            ("consent",),
            [
                {
                    "text_version": c.text_version,
                    "given_at": iso(c.given_at),
                    "expires_at": iso(c.expires_at),
                    "withdrawn_at": iso(c.withdrawn_at),
                    "source": c.source,
                }
                for c in member.consents
            ],
        ),
        DataSection(
            "audit",
            ("audit_event",),
            [
                {"at": iso(e.at), "actor": e.actor, "action": e.action, "target": e.target}
                for e in db.session.scalars(
                    select(AuditEvent)
                    .where(
                        or_(
                            AuditEvent.target == member.get_id(),
                            AuditEvent.actor == member.get_id(),
                        )
                    )
                    .order_by(AuditEvent.id)
                )
            ],
        ),
        DataSection(
            "mail",
            ("outbox_message",),
            [
                {
                    "kind": m.kind,
                    "subject": m.subject,
                    "created_at": iso(m.created_at),
                    "sent_at": iso(m.sent_at),
                }
                for m in mails
            ],
        ),
    ]
    return own + signals.collect(signals.member_data_requested, member, language)


def export_member_data(
    member: Member, attributes: Sequence[Attribute], language: str
) -> dict[str, Any]:
    """Everything Borgerpanel holds about ``member``, as JSON-ready data (GDPR art. 15, 20)."""
    return {s.key: s.data for s in member_data_sections(member, attributes, language)}


def delete_member(member: Member) -> None:
    """Erase the member (GDPR art. 17): contact, consents, tokens and mail go with the row.

    The database cascades do the work; their answers stay, with ``member_id`` set to NULL,
    so results already reported do not change and nothing points back to the person.
    """
    member_id = member.id
    db.session.delete(member)
    db.session.flush()
    log.info("member %s deleted", member_id)


def _mailable() -> Any:
    """Active members with an address that has not bounced."""
    return (
        select(Member)
        .join(MemberContact)
        .where(Member.status == MemberStatus.ACTIVE, Member.email_bounced_at.is_(None))
    )


def queue_profile_checks(now: datetime | None = None) -> int:
    """Ask members whose profile is older than PROFILE_CHECK_DAYS to check it, once a period."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["PROFILE_CHECK_DAYS"])
    due = db.session.scalars(
        _mailable().where(
            or_(Member.profile_checked_at.is_(None), Member.profile_checked_at < cutoff),
            or_(
                Member.profile_check_requested_at.is_(None),
                Member.profile_check_requested_at < cutoff,
            ),
        )
    ).all()
    for member in due:
        mail_member("profile_check", member, link=absolute_url("/login"))
        member.profile_check_requested_at = now
    log.info("asked %s members to check their profile", len(due))
    return len(due)


def queue_consent_renewals(now: datetime | None = None) -> int:
    """Remind members whose consent lapses within RENEWAL_REMINDER (or has lapsed), once each.

    "Once" means once per consent: a reminder sent before the current consent's window
    opened does not count, so the next consent period gets its own reminder.
    """
    now = now or utcnow()
    due = db.session.scalars(
        _mailable().where(Member.consent_expires_at <= now + RENEWAL_REMINDER)
    ).all()
    sent = 0
    for member in due:
        expires_at = member.consent_expires_at
        if expires_at is None:  # never: the query compares it
            continue
        requested = member.consent_renewal_requested_at
        if requested is not None and requested >= expires_at - RENEWAL_REMINDER:
            continue
        mail_member(
            "consent_renewal", member, link=absolute_url("/login"), expires_at=expires_at.date()
        )
        member.consent_renewal_requested_at = now
        sent += 1
    log.info("reminded %s members to renew their consent", sent)
    return sent
