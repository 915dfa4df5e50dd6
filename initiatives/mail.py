"""Mail to proposers, supporters and idea authors, through the panel's outbox.

They need not be panel members, so the mail goes to an address rather than to a member;
an address that belongs to a member whose mail bounced gets nothing, as the outbox's other
paths do. Logs never name the address.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from extensions import db
from panel.mail.models import OutboxMessage
from panel.mail.outbox import queue_mail
from panel.members.models import Member, MemberContact

log = logging.getLogger(__name__)


def is_suppressed(address: str) -> bool:
    """Whether mail to ``address`` bounced before (known only for members' addresses)."""
    bounced = db.session.scalar(
        select(Member.email_bounced_at)
        .join(MemberContact)
        .where(MemberContact.email == address.strip().lower())
    )
    return bounced is not None


def mail_address(
    kind: str, address: str, language: str = "da", **context: Any
) -> OutboxMessage | None:
    """``queue_mail`` unless the address is suppressed; the caller commits."""
    if is_suppressed(address):
        log.info("mail %s not queued: the address bounced before", kind)
        return None
    context.setdefault("name", None)
    return queue_mail(kind, address.strip().lower(), language=language, **context)
