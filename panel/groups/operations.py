"""The work on focus groups outside the draw: create, set quotas, invite, answer, close.

Plain functions that take the objects they work on, record what they did in the audit
trail and leave committing to the caller (a view through ``commit_or_flash``, a test).
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import or_, select

from core.audit import record
from core.clock import utcnow
from core.errors import InvalidTransition, Refusal
from extensions import db
from panel.demographics.attributes import load_attributes
from panel.demographics.composition import latest_population_table, population_cells
from panel.groups.lottery import capped_members
from panel.groups.models import CandidateStatus, FocusGroup, GroupCandidate, GroupKind, GroupState
from panel.mail.outbox import Recipient, absolute_url, queue_member_mails
from panel.members.models import Member, MemberContact, MemberStatus
from stats.lottery.pool import proportional_quotas

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GroupDetails:
    kind: GroupKind
    title: str
    purpose: str
    influence: str
    size: int


def population_shares() -> dict[str, dict[str, float]]:
    """Each attribute's categories with their people in the latest population figures."""
    shares: dict[str, dict[str, float]] = {}
    known = {a.key: [c.code for c in a.categories] for a in load_attributes()}
    for cell, count in population_cells(latest_population_table()):
        for key, code in cell.items():
            if key in known and code in known[key]:
                shares.setdefault(key, {}).setdefault(code, 0.0)
                shares[key][code] += count
    return {key: shares[key] for key in known if key in shares}


def default_quotas(size: int) -> list[dict[str, Any]]:
    """The population's share of ``size`` per category, rounded down and up."""
    return [
        {"attribute": q.category, "category": q.value, "min": q.min, "max": q.max}
        for q in proportional_quotas(population_shares(), size)
    ]


def create_group(details: GroupDetails, created_by_id: int | None = None) -> FocusGroup:
    """A draft group with quotas from the population's shares. The caller commits."""
    group = FocusGroup(
        kind=details.kind,
        title=details.title,
        purpose=details.purpose,
        influence=details.influence,
        size=details.size,
        quotas=default_quotas(details.size),
        created_by_id=created_by_id,
    )
    db.session.add(group)
    db.session.flush()
    record("groups.create", f"group:{group.id}", kind=group.kind.value, size=group.size)
    return group


def parse_quotas(text: str) -> list[dict[str, Any]]:
    """Quotas written one a line as ``attribute,category,min,max`` (the Sortition
    Foundation's columns); refuses unknown attributes or categories and bad numbers."""
    categories = {a.key: {c.code for c in a.categories} for a in load_attributes()}
    quotas = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[:2] == ["category", "feature"]:
            continue
        if len(cells) != 4 or not cells[2].isdigit() or not cells[3].isdigit():
            raise Refusal(_("Line %(n)s: write attribute,category,min,max.", n=number), "quotas")
        attribute, category, low, high = cells[0], cells[1], int(cells[2]), int(cells[3])
        if category not in categories.get(attribute, set()):
            raise Refusal(
                _("Line %(n)s: no category %(c)s of %(a)s.", n=number, c=category, a=attribute),
                "quotas",
            )
        if low > high:
            raise Refusal(_("Line %(n)s: the minimum is above the maximum.", n=number), "quotas")
        quotas.append({"attribute": attribute, "category": category, "min": low, "max": high})
    return quotas


def quotas_text(group: FocusGroup) -> str:
    return "".join(
        f"{q['attribute']},{q['category']},{q['min']},{q['max']}\n" for q in group.quotas
    )


def update_group(group: FocusGroup, details: GroupDetails, quotas: list[dict[str, Any]]) -> None:
    """Change the description, size or quotas, until the group is drawn."""
    if group.state not in (GroupState.DRAFT, GroupState.POOL):
        raise InvalidTransition(_("A drawn group can no longer change."))
    group.kind, group.title, group.size = details.kind, details.title, details.size
    group.purpose, group.influence = details.purpose, details.influence
    group.quotas = quotas
    record("groups.update", f"group:{group.id}", size=group.size, quotas=len(quotas))


def invitable_members(group: FocusGroup, now: datetime) -> list[Recipient]:
    """Active members with consent in force, not paused, with an address that has not
    bounced, not yet invited to this group and not over the cap on groups."""
    already = select(GroupCandidate.member_id).where(GroupCandidate.group_id == group.id)
    rows = db.session.execute(
        select(Member.id, MemberContact.email, MemberContact.name, Member.language)
        .join(MemberContact)
        .where(
            Member.status == MemberStatus.ACTIVE,
            Member.consent_expires_at > now,
            or_(Member.paused_until.is_(None), Member.paused_until < now.date()),
            Member.email_bounced_at.is_(None),
            Member.id.not_in(already),
            Member.id.not_in(capped_members(now)),
        )
        .order_by(Member.id)
    )
    return [Recipient(*row) for row in rows]


def invite_pool(group: FocusGroup, count: int) -> int:
    """Invite ``count`` members picked at random from the panel to say yes or no.

    The first invitation opens the pool (DRAFT -> POOL). Returns how many were invited
    (fewer when fewer are left to invite). Mail goes through the outbox; the caller commits.
    """
    if group.state is GroupState.DRAFT:
        group.open_pool()
    if group.state is not GroupState.POOL:
        raise InvalidTransition(_("The pool is closed; no one more can be invited."))
    recipients = invitable_members(group, utcnow())
    rng = np.random.default_rng(secrets.randbits(64))
    picked = [recipients[i] for i in sorted(rng.permutation(len(recipients))[:count])]
    now = utcnow()
    db.session.add_all(
        GroupCandidate(group_id=group.id, member_id=r.member_id, invited_at=now) for r in picked
    )
    link = absolute_url(f"/groups/{group.id}")
    queue_member_mails(
        "group_invitation",
        [(r, {"title": group.title, "purpose": group.purpose, "link": link}) for r in picked],
    )
    record("groups.invite", f"group:{group.id}", invited=len(picked))
    log.info("group %s: invited %s members", group.id, len(picked))
    return len(picked)


def household_key(group: FocusGroup, street: str, postcode: str) -> str:
    """The same for everyone at one address (case and spacing aside), per group."""
    address = " ".join(f"{street} {postcode}".casefold().split())
    return hashlib.sha256(f"{group.id}\n{address}".encode()).hexdigest()


def answer_invitation(
    candidate: GroupCandidate, yes: bool, street: str = "", postcode: str = ""
) -> None:
    """The member says yes (with their address, for one per household) or no."""
    household = household_key(candidate.group, street, postcode) if yes else None
    candidate.answer(yes, household)
    record(
        "groups.answer",
        f"group:{candidate.group_id}",
        actor=f"member:{candidate.member_id}",
        answer="yes" if yes else "no",
    )


def drop_out_is_allowed(candidate: GroupCandidate) -> bool:
    return (
        candidate.status is CandidateStatus.SELECTED and candidate.group.state is GroupState.DRAWN
    )


def close_group(group: FocusGroup) -> None:
    group.close()
    record("groups.close", f"group:{group.id}")


def candidacy(group: FocusGroup, member: Member) -> GroupCandidate | None:
    return db.session.scalar(
        select(GroupCandidate).where(
            GroupCandidate.group_id == group.id, GroupCandidate.member_id == member.id
        )
    )
