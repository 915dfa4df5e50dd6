"""The panel's scheduled jobs: mail delivery, the yearly mails, and the retention clean-up.

``core.jobs`` decides when each runs; these functions say what a run does. Each takes the
moment it runs for, commits its own work, and can run twice for the same moment without
doing anything twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, Delete, delete, exists, or_, select

from core.jobs import DailyAt, Every, ScheduledJob, register
from extensions import db
from panel.mail.models import OutboxMessage
from panel.mail.outbox import FileBackend, deliver_outbox, get_backend
from panel.members.models import Consent, LoginToken, Member, MemberStatus
from panel.members.operations import (
    delete_member,
    leave_panel,
    queue_consent_renewals,
    queue_profile_checks,
)

log = logging.getLogger(__name__)

#: Used and expired login links are deleted this long after they stopped working.
TOKEN_RETENTION = timedelta(days=7)
#: Members are deleted this many at a time, each batch committed, to bound the session.
DELETE_BATCH = 500


def deliver_mail(now: datetime) -> str:
    """Send the outbox in batches until it is empty or the mail server fails."""
    total_sent = total_failed = 0
    batch = 500
    while True:
        sent, failed = deliver_outbox(now, limit=batch)
        total_sent += sent
        total_failed += failed
        if failed or sent < batch:
            break
    return f"sent {total_sent}, failed {total_failed}"


def profile_checks(now: datetime) -> str:
    queued = queue_profile_checks(now)
    db.session.commit()
    return f"queued {queued}"


def consent_renewals(now: datetime) -> str:
    queued = queue_consent_renewals(now)
    db.session.commit()
    return f"queued {queued}"


def _deleted(statement: Delete) -> int:
    result = db.session.execute(statement)
    return int(cast(CursorResult[Any], result).rowcount)


def delete_expired_records(now: datetime) -> str:
    """Keep personal data only as long as it is needed (data minimisation, GDPR art. 5(1)(e)).

    Sent mail goes after MAIL_RETENTION_DAYS, with the file backend's .eml files of it;
    unsent mail stays, since it is still owed.
    A login link goes TOKEN_RETENTION after it was used or expired. Members go as
    ``retire_lapsed_consents`` and ``delete_members_past_retention`` say.
    """
    mail_cutoff = now - timedelta(days=current_app.config["MAIL_RETENTION_DAYS"])
    token_cutoff = now - TOKEN_RETENTION
    mails = _deleted(delete(OutboxMessage).where(OutboxMessage.sent_at < mail_cutoff))
    backend = get_backend()
    files = backend.delete_before(mail_cutoff) if isinstance(backend, FileBackend) else 0
    tokens = _deleted(
        delete(LoginToken).where(
            or_(LoginToken.used_at < token_cutoff, LoginToken.expires_at < token_cutoff)
        )
    )
    db.session.commit()
    lapsed = retire_lapsed_consents(now)
    left, unconfirmed = delete_members_past_retention(now)
    return (
        f"deleted {mails} sent mails ({files} .eml files), {tokens} login links, "
        f"{left} members who left, "
        f"{unconfirmed} never confirmed; {lapsed} with lapsed consent marked as left"
    )


def retire_lapsed_consents(now: datetime) -> int:
    """Members whose consent lapsed more than CONSENT_GRACE_DAYS ago leave the panel.

    Without consent there is no basis to keep their data, and a lapsed consent is treated
    exactly like leaving: they are never sampled or mailed again, and the member rule
    below deletes them LEFT_MEMBER_RETENTION_DAYS later, so there is one road to deletion.
    The grace period is for the renewal reminder (sent before the consent lapses) to be
    answered late; renewing in that time keeps the member.
    """
    cutoff = now - timedelta(days=current_app.config["CONSENT_GRACE_DAYS"])
    lapsed = db.session.scalars(
        select(Member).where(
            Member.status == MemberStatus.ACTIVE, Member.consent_expires_at < cutoff
        )
    ).all()
    for member in lapsed:
        leave_panel(member, now)
        log.info("member %s left the panel: consent lapsed and was not renewed", member.id)
    db.session.commit()
    return len(lapsed)


def delete_members_past_retention(now: datetime) -> tuple[int, int]:
    """Delete members who left LEFT_MEMBER_RETENTION_DAYS ago, and sign-ups never confirmed.

    A pending member is deleted UNCONFIRMED_RETENTION_DAYS after joining, unless they
    consented (joined again on the web) since then. Deleting goes through
    ``delete_member``, so their answers stay, anonymous. Returns (left, unconfirmed).
    """
    config = current_app.config
    left_cutoff = now - timedelta(days=config["LEFT_MEMBER_RETENTION_DAYS"])
    pending_cutoff = now - timedelta(days=config["UNCONFIRMED_RETENTION_DAYS"])
    consented_since = exists().where(
        Consent.member_id == Member.id, Consent.given_at >= pending_cutoff
    )
    left = _delete_members(Member.status == MemberStatus.LEFT, Member.left_at < left_cutoff)
    unconfirmed = _delete_members(
        Member.status == MemberStatus.PENDING,
        Member.joined_at < pending_cutoff,
        ~consented_since,
    )
    return left, unconfirmed


def _delete_members(*conditions: Any) -> int:
    deleted = 0
    while batch := db.session.scalars(select(Member).where(*conditions).limit(DELETE_BATCH)).all():
        for member in batch:
            delete_member(member)
        db.session.commit()
        deleted += len(batch)
    return deleted


def register_jobs() -> None:
    """The panel's own scheduled jobs, run by ``core.jobs``."""
    register(ScheduledJob("profile_checks", DailyAt(time(8, 0)), profile_checks))
    register(ScheduledJob("consent_renewals", DailyAt(time(8, 0)), consent_renewals))
    register(ScheduledJob("delete_expired_records", DailyAt(time(3, 0)), delete_expired_records))
    register(ScheduledJob("deliver_mail", Every(timedelta(minutes=1)), deliver_mail, order=100))
