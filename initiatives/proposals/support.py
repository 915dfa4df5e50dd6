"""Support for a proposal: one verified person once, by whichever route; the threshold.

A logged-in panel member supports at once; anyone else confirms by a mailed link (only its
hash is stored); staff type in paper forms (audited). The unique key per proposal and
identity makes a double click, a second tab or a second route count nothing; the move to
"threshold reached" is a conditional UPDATE, so it happens once when confirmations race.
The caller commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError

from core import audit
from core.clock import utcnow
from core.errors import Refusal
from extensions import db
from initiatives.mail import mail_address
from initiatives.proposals.models import (
    Proposal,
    ProposalState,
    Support,
    SupportChannel,
    SupportContact,
)
from initiatives.proposals.operations import (
    TooYoung,
    check_age,
    digest,
    mail_proposers,
    new_token,
    normalise_email,
)
from panel.mail.outbox import absolute_url
from panel.members.models import Member

log = logging.getLogger(__name__)

#: How long a supporter's confirmation link works.
CONFIRM_SUPPORT_DAYS = 7


class NotCollecting(Refusal):
    def __init__(self) -> None:
        super().__init__(_("This proposal is not collecting support."))


def email_identity(email: str) -> str:
    return digest(f"email:{normalise_email(email)}")


def paper_identity(name: str, birth_date: date) -> str:
    return digest(f"paper:{' '.join(name.lower().split())}|{birth_date.isoformat()}")


def support_counts(proposal_ids: Iterable[int]) -> dict[int, int]:
    """Confirmed supports per proposal: the only figure about supporters that is public."""
    ids = list(proposal_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Support.proposal_id, func.count())
        .where(Support.proposal_id.in_(ids), Support.confirmed_at.is_not(None))
        .group_by(Support.proposal_id)
    )
    counts = {proposal_id: 0 for proposal_id in ids}
    counts.update({proposal_id: int(n) for proposal_id, n in rows})
    return counts


def _reach_threshold_if_due(proposal: Proposal, now: datetime) -> bool:
    """Move to threshold reached once enough supports are confirmed: exactly once, even when
    two confirmations race (a conditional UPDATE, like the mail claims)."""
    if support_counts([proposal.id])[proposal.id] < proposal.threshold:
        return False
    moved = db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.state == ProposalState.PUBLISHED)
        .values(state=ProposalState.THRESHOLD_REACHED, threshold_reached_at=now)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], moved).rowcount != 1:
        return False
    db.session.refresh(proposal)
    audit.record("proposal.threshold_reached", f"proposal:{proposal.id}", actor="system")
    mail_proposers(proposal, "proposal_threshold")
    log.info("proposal %s reached its threshold", proposal.id)
    return True


def _add_support(support: Support) -> bool:
    """Insert ``support`` unless the person already supports it; False when they did."""
    try:
        with db.session.begin_nested():
            db.session.add(support)
            db.session.flush()
    except IntegrityError:
        return False
    return True


def support_as_member(proposal: Proposal, member: Member, now: datetime | None = None) -> bool:
    """A logged-in panel member supports at once; False when they already did."""
    now = now or utcnow()
    if not proposal.accepts_support(now):
        raise NotCollecting
    if member.contact is None:
        raise Refusal(_("Your profile has no e-mail address."))
    if now.year - member.birth_year < proposal.min_age:
        raise TooYoung(proposal.min_age)
    support = Support(
        proposal_id=proposal.id, channel=SupportChannel.MEMBER, created_at=now, confirmed_at=now,
        identity_hash=email_identity(member.contact.email),
        contact=SupportContact(member_id=member.id),
    )  # fmt: skip
    if not _add_support(support):
        return False
    _reach_threshold_if_due(proposal, now)
    log.info("proposal %s: support %s by a member", proposal.id, support.id)
    return True


def request_support(
    proposal: Proposal, name: str, email: str, birth_date: date, now: datetime | None = None
) -> None:
    """Mail a confirmation link; the support counts when it is used.

    An address that already supports gets nothing new and the page says the same either
    way, so the form never reveals who supports what. A pending request gets a fresh link.
    """
    now = now or utcnow()
    if not proposal.accepts_support(now):
        raise NotCollecting
    check_age(birth_date, proposal.min_age, now.date())
    raw, hashed = new_token()
    expires = now + timedelta(days=CONFIRM_SUPPORT_DAYS)
    identity = email_identity(email)
    support = Support(
        proposal_id=proposal.id, channel=SupportChannel.EMAIL, created_at=now,
        identity_hash=identity, token_hash=hashed, token_expires_at=expires,
        contact=SupportContact(name=name.strip(), email=normalise_email(email)),
    )  # fmt: skip
    if not _add_support(support):
        existing = db.session.scalar(
            select(Support).filter_by(proposal_id=proposal.id, identity_hash=identity)
        )
        if existing is None or existing.confirmed_at is not None:
            log.info("proposal %s: support requested again by a supporter", proposal.id)
            return
        existing.token_hash, existing.token_expires_at = hashed, expires
    mail_address(
        "proposal_support_confirm", email, language=proposal.language, name=name.strip(),
        title=proposal.title, link=absolute_url(f"/proposals/confirm/{raw}"),
        days=CONFIRM_SUPPORT_DAYS,
    )  # fmt: skip


def confirm_support(raw: str, now: datetime | None = None) -> Support | None:
    """The support a confirmation link belongs to, now counted; None if the link is no good.

    The token is spent with a conditional UPDATE, so two clicks cannot both confirm.
    """
    now = now or utcnow()
    support = db.session.scalar(select(Support).filter_by(token_hash=digest(raw)))
    if support is None or support.token_expires_at is None or support.token_expires_at <= now:
        return None
    proposal = db.session.get_one(Proposal, support.proposal_id)
    if not proposal.accepts_support(now):
        return None
    spent = db.session.execute(
        update(Support)
        .where(Support.id == support.id, Support.confirmed_at.is_(None))
        .values(confirmed_at=now, token_hash=None, token_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], spent).rowcount != 1:
        return None
    db.session.refresh(support)
    _reach_threshold_if_due(proposal, now)
    log.info("proposal %s: support %s confirmed by mail", proposal.id, support.id)
    return support


def record_paper_support(
    proposal: Proposal, name: str, birth_date: date, note: str, email: str | None = None,
    now: datetime | None = None,
) -> bool:  # fmt: skip
    """Staff type in a support given on paper; False when that person already supports.

    With an address, the identity is the address (as for the other routes); without one,
    the name and birth date, so the same paper form typed in twice counts once.
    """
    now = now or utcnow()
    if not proposal.accepts_support(now):
        raise NotCollecting
    check_age(birth_date, proposal.min_age, now.date())
    support = Support(
        proposal_id=proposal.id, channel=SupportChannel.PAPER, created_at=now, confirmed_at=now,
        identity_hash=email_identity(email) if email else paper_identity(name, birth_date),
        contact=SupportContact(
            name=name.strip(), email=normalise_email(email) if email else None, note=note.strip(),
        ),
    )  # fmt: skip
    if not _add_support(support):
        return False
    audit.record("proposal.paper_support", f"proposal:{proposal.id}", support=support.id)
    _reach_threshold_if_due(proposal, now)
    return True
