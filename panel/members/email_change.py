"""A member's new e-mail address counts only once a link sent to it is opened.

Changing the address straight away would let anyone holding a member's session (a shared
computer, a stolen cookie) move the account, and every later login link, to an inbox of
their own. So the profile form only asks: the new address gets a confirmation link, and
the old one is told, so the owner notices a change they did not make. The link is signed
(``SECRET_KEY``), expires with ``CONFIRM_LINK_MAX_AGE`` and names the address it replaces,
so it works once: after the change the old address no longer matches.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from core.audit import record
from extensions import db
from panel.mail.outbox import absolute_url, mail_member, queue_mail, unsubscribe_url
from panel.members.models import Member, MemberStatus
from panel.members.operations import find_by_email

log = logging.getLogger(__name__)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.config["SECRET_KEY"]), salt="email-change")


def request_email_change(member: Member, new_email: str) -> None:
    """Mail a confirmation link to ``new_email`` and a notice to the current address
    (caller commits). The address is not changed here: ``confirm_email_change`` does."""
    if member.contact is None:
        raise ValueError(f"member {member.id} has no contact details")
    max_age: timedelta = current_app.config["CONFIRM_LINK_MAX_AGE"]
    wanted = {"member": member.id, "from": member.contact.email, "to": new_email}
    token = _serializer().dumps(wanted)
    queue_mail(
        "email_change",
        new_email,
        language=member.language,
        member=member,
        name=member.contact.name,
        link=absolute_url(f"/email/confirm/{token}"),
        days=max_age.days,
        unsubscribe_link=unsubscribe_url(member.id),
    )
    mail_member("email_change_notice", member, new_email=new_email)
    log.info("member %s asked to change their e-mail address", member.id)


def confirm_email_change(token: str) -> Member | None:
    """The member whose address is now the one the link was sent to; None if the link is
    forged, too old, already used, or the address has been taken by someone else since."""
    max_age: timedelta = current_app.config["CONFIRM_LINK_MAX_AGE"]
    try:
        wanted = _serializer().loads(token, max_age=int(max_age.total_seconds()))
    except BadSignature:  # also SignatureExpired
        return None
    member = db.session.get(Member, wanted.get("member"))
    if member is None or member.status is MemberStatus.LEFT or member.contact is None:
        return None
    if member.contact.email != wanted.get("from") or find_by_email(wanted["to"]) is not None:
        return None
    member.contact.email = wanted["to"]
    member.email_bounced_at = None
    record("member.email_changed", f"member:{member.id}", actor=f"member:{member.id}")
    log.info("member %s confirmed their new e-mail address", member.id)
    return member
