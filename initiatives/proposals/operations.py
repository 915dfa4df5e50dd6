"""What happens to a proposal: writing, co-proposers, screening, the council's answer, expiry.

Support (who counts, and when the threshold is reached) is in ``support``.

Every function takes the objects it works on and leaves the commit to its caller, so a
change, its audit entry and the mail it causes are stored together or not at all. Staff
actions are recorded in the audit trail; logs name proposals and supports by id only.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import date, datetime
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update

from core import audit
from core.clock import utcnow
from core.errors import Refusal
from extensions import db
from initiatives.mail import mail_address
from initiatives.proposals.models import Proposal, ProposalState, Proposer
from initiatives.proposals.scheme import current_scheme
from initiatives.similarity import most_similar
from panel.mail.outbox import absolute_url

log = logging.getLogger(__name__)

#: At most this many co-proposers per proposal.
MAX_CO_PROPOSERS = 10


class TooYoung(Refusal):
    field = "birth_date"

    def __init__(self, min_age: int) -> None:
        super().__init__(_("You must be at least %(age)d years old.", age=min_age))


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def check_age(birth_date: date, min_age: int, day: date) -> None:
    if age_on(birth_date, day) < min_age:
        raise TooYoung(min_age)


def new_token() -> tuple[str, str]:
    raw = secrets.token_urlsafe(32)
    return raw, digest(raw)


# -- writing ------------------------------------------------------------------------------


def start_proposal(
    title: str, text: str, language: str, name: str, email: str, birth_date: date,
    now: datetime | None = None,
) -> Proposal:  # fmt: skip
    """A new draft with its main proposer, who is mailed the link to manage it.

    The link proves the address: nothing is submitted before it has been used.
    """
    now = now or utcnow()
    scheme = current_scheme()
    check_age(birth_date, scheme.min_age, now.date())
    raw, hashed = new_token()
    proposal = Proposal(
        title=title.strip(),
        text=text.strip(),
        language=language,
        created_at=now,
        threshold=scheme.threshold,
        min_age=scheme.min_age,
    )
    proposal.proposers.append(
        Proposer(
            is_main=True,
            email=normalise_email(email),
            name=name.strip(),
            invited_at=now,
            token_hash=hashed,
        )
    )
    db.session.add(proposal)
    db.session.flush()
    mail_address(
        "proposal_manage", email, language=language, name=name, title=proposal.title,
        link=absolute_url(f"/proposals/manage/{raw}"),
    )  # fmt: skip
    log.info("proposal %s started", proposal.id)
    return proposal


def proposer_by_token(raw: str) -> Proposer | None:
    """The proposer a personal link belongs to, or None. Reading changes nothing: mail
    scanners fetch links, so only a form sent from the page counts as the proposer's."""
    return db.session.scalar(select(Proposer).filter_by(token_hash=digest(raw)))


def _ensure_draft(proposal: Proposal) -> None:
    if proposal.state is not ProposalState.DRAFT:
        raise Refusal(_("Only a draft can be changed."))


def update_draft(proposal: Proposal, title: str, text: str) -> None:
    _ensure_draft(proposal)
    proposal.title, proposal.text = title.strip(), text.strip()


def invite_co_proposer(proposal: Proposal, email: str, now: datetime | None = None) -> Proposer:
    """Mail ``email`` an invitation link to stand behind the draft as a co-proposer."""
    _ensure_draft(proposal)
    address = normalise_email(email)
    if any(p.email == address for p in proposal.proposers):
        raise Refusal(_("This address is already invited."), field="email")
    if len(proposal.proposers) > MAX_CO_PROPOSERS:
        raise Refusal(_("A proposal can have at most %(n)d co-proposers.", n=MAX_CO_PROPOSERS))
    raw, hashed = new_token()
    proposer = Proposer(is_main=False, email=address, invited_at=now or utcnow(), token_hash=hashed)
    proposal.proposers.append(proposer)
    db.session.flush()
    mail_address(
        "proposal_invitation", address, language=proposal.language, title=proposal.title,
        inviter=proposal.main_proposer.name, link=absolute_url(f"/proposals/invitation/{raw}"),
    )  # fmt: skip
    log.info("proposal %s: co-proposer %s invited", proposal.id, proposer.id)
    return proposer


def accept_invitation(
    proposer: Proposer, name: str, birth_date: date, now: datetime | None = None
) -> None:
    """A co-proposer stands behind the proposal with their name (shown with it)."""
    now = now or utcnow()
    _ensure_draft(proposer.proposal)
    check_age(birth_date, proposer.proposal.min_age, now.date())
    proposer.name = name.strip()
    proposer.accepted_at = now
    log.info("proposal %s: co-proposer %s accepted", proposer.proposal_id, proposer.id)


def submit_for_screening(proposal: Proposal, now: datetime | None = None) -> None:
    """The main proposer sends the draft to staff; using their link proved the address."""
    now = now or utcnow()
    proposal.move_to(ProposalState.SCREENING)
    proposal.submitted_at = now
    if proposal.main_proposer.accepted_at is None:
        proposal.main_proposer.accepted_at = now
    log.info("proposal %s submitted for screening", proposal.id)


def withdraw(proposal: Proposal, now: datetime | None = None) -> None:
    proposal.move_to(ProposalState.WITHDRAWN)
    proposal.ended_at = now or utcnow()
    audit.record("proposal.withdraw", f"proposal:{proposal.id}", actor="proposer")
    log.info("proposal %s withdrawn", proposal.id)


# -- staff --------------------------------------------------------------------------------


def similar_proposals(proposal: Proposal, limit: int = 5) -> list[Proposal]:
    """Other proposals that read like ``proposal`` (screening spots a duplicate with it)."""
    others = db.session.execute(
        select(Proposal.id, Proposal.title, Proposal.text)
        .where(Proposal.id != proposal.id, Proposal.state != ProposalState.DRAFT)
        .order_by(Proposal.id.desc())
        .limit(2_000)
    ).all()
    ranked = most_similar(
        f"{proposal.title} {proposal.text}", [(i, f"{t} {b}") for i, t, b in others], limit
    )
    return [db.session.get_one(Proposal, i) for i, _score in ranked]


def mail_proposers(proposal: Proposal, kind: str, **context: Any) -> None:
    """Mail every proposer who has stood behind the proposal."""
    for proposer in proposal.proposers:
        if proposer.accepted_at is not None:
            mail_address(
                kind, proposer.email, language=proposal.language, name=proposer.name,
                title=proposal.title, link=absolute_url(f"/proposals/{proposal.id}"), **context,
            )  # fmt: skip


def screen(proposal: Proposal, admit: bool, reason: str, now: datetime | None = None) -> None:
    """Publish the proposal or refuse it; either way with a reason that is published."""
    now = now or utcnow()
    if not reason.strip():
        raise Refusal(_("Give the reason; it is published with the proposal."), field="reason")
    proposal.move_to(ProposalState.PUBLISHED if admit else ProposalState.REJECTED)
    proposal.screening_reason = reason.strip()
    proposal.screened_at = now
    if admit:
        proposal.published_at = now
        proposal.closes_at = current_scheme().closes_at(now)
    audit.record(
        "proposal.publish" if admit else "proposal.reject", f"proposal:{proposal.id}",
    )  # fmt: skip
    mail_proposers(proposal, "proposal_screened", admitted=admit, reason=proposal.screening_reason)
    log.info("proposal %s screened: %s", proposal.id, proposal.state)


def record_decision(proposal: Proposal, decision: str, now: datetime | None = None) -> None:
    """The council has treated the proposal: its decision goes on the page."""
    if not decision.strip():
        raise Refusal(_("Write the council's decision."), field="text")
    proposal.move_to(ProposalState.TREATED)
    proposal.council_decision = decision.strip()
    proposal.treated_at = now or utcnow()
    audit.record("proposal.treat", f"proposal:{proposal.id}")


def record_outcome(proposal: Proposal, outcome: str, now: datetime | None = None) -> None:
    """What came of it ("you said, we did"): the answer every proposal gets."""
    if not outcome.strip():
        raise Refusal(_("Write what came of the proposal."), field="text")
    proposal.move_to(ProposalState.ANSWERED)
    proposal.outcome = outcome.strip()
    proposal.answered_at = now or utcnow()
    audit.record("proposal.answer", f"proposal:{proposal.id}")
    mail_proposers(proposal, "proposal_answered", outcome=proposal.outcome)


# -- the scheduled expiry -----------------------------------------------------------------


def expire_due(now: datetime) -> int:
    """Proposals whose window ended below the threshold expire, each exactly once."""
    due = db.session.scalars(
        select(Proposal).where(Proposal.state == ProposalState.PUBLISHED, Proposal.closes_at <= now)
    ).all()
    expired = 0
    for proposal in due:
        moved = db.session.execute(
            update(Proposal)
            .where(Proposal.id == proposal.id, Proposal.state == ProposalState.PUBLISHED)
            .values(state=ProposalState.EXPIRED, ended_at=now)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], moved).rowcount == 1:
            db.session.refresh(proposal)
            audit.record("proposal.expire", f"proposal:{proposal.id}", actor="system")
            mail_proposers(proposal, "proposal_expired")
            expired += 1
    return expired
