"""A group's pool as ``stats.lottery`` sees it, the draw, and replacing a drop-out.

The pool is the candidates who said yes, less anyone over the cap on groups per member
(``GROUP_DRAW_CAP`` selections within ``GROUP_CAP_YEARS``). Each quota names an attribute
and a category; a member's category for an age band is their band on the day of the draw,
so the record of a draw rebuilds the same pool later (``pool_at_draw``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from core.audit import record
from core.clock import utcnow
from core.errors import InvalidTransition, Refusal
from extensions import db
from panel.demographics.attributes import age_band, load_attributes
from panel.demographics.models import Attribute, AttributeKind
from panel.groups.models import CandidateStatus, FocusGroup, GroupCandidate, GroupDraw, GroupState
from panel.mail.outbox import absolute_url, mail_member
from stats.lottery import (
    Pool,
    Quota,
    Relaxation,
    check_quotas,
    draw,
    find_distribution,
    round_distribution,
)
from stats.lottery import replacement as find_replacement
from stats.lottery.rounding import DEFAULT_M

log = logging.getLogger(__name__)


class QuotasCannotBeMet(Refusal):
    """No panel of the pool meets the quotas; ``relaxation`` is the smallest change that works."""

    def __init__(self, relaxation: Relaxation) -> None:
        self.relaxation = relaxation
        super().__init__(" ".join(describe_relaxation(relaxation)))


def describe_relaxation(relaxation: Relaxation) -> list[str]:
    """What staff read when the quotas cannot be met: which, and the smallest relaxation."""
    if relaxation.pool_too_small:
        return [_("The pool has fewer people (or households) than the group needs.")]
    lines = [_("No group from this pool meets all the quotas. The smallest change that works:")]
    for old, new in relaxation.changes:
        lines.append(
            _(
                "%(attribute)s %(category)s: %(new_min)s to %(new_max)s "
                "instead of %(old_min)s to %(old_max)s.",
                attribute=old.category,
                category=old.value,
                new_min=new.min,
                new_max=new.max,
                old_min=old.min,
                old_max=old.max,
            )
        )
    return lines


def capped_members(now: datetime) -> Select[int]:
    """Members selected for ``GROUP_DRAW_CAP`` groups within ``GROUP_CAP_YEARS`` years."""
    since = now - timedelta(days=365 * current_app.config["GROUP_CAP_YEARS"])
    return (
        select(GroupCandidate.member_id)
        .where(
            GroupCandidate.status == CandidateStatus.SELECTED, GroupCandidate.selected_at > since
        )
        .group_by(GroupCandidate.member_id)
        .having(func.count() >= current_app.config["GROUP_DRAW_CAP"])
    )


def _value(candidate: GroupCandidate, attribute: Attribute | None, on: datetime) -> str:
    if attribute is None:
        return ""
    member = candidate.member
    if attribute.kind is AttributeKind.AGE_BAND:
        return age_band(member.birth_year, attribute.categories, on.date()) or ""
    return str(member.attributes.get(attribute.key, ""))


def build_pool(group: FocusGroup, candidates: Sequence[GroupCandidate], on: datetime) -> Pool:
    """The lottery's pool: the candidates' values for the quotas' attributes on ``on``."""
    attributes = {a.key: a for a in load_attributes()}
    keys = list(dict.fromkeys(str(q["attribute"]) for q in group.quotas))
    return Pool(
        ids=[str(c.id) for c in candidates],
        features={k: [_value(c, attributes.get(k), on) for c in candidates] for k in keys},
        quotas=[
            Quota(str(q["attribute"]), str(q["category"]), int(q["min"]), int(q["max"]))
            for q in group.quotas
        ],
        k=group.size,
        households=[c.household for c in candidates],
    )


def pool_candidates(group: FocusGroup, now: datetime) -> list[GroupCandidate]:
    """Those who said yes, less members over the cap."""
    capped = set(db.session.scalars(capped_members(now)))
    return [
        c
        for c in group.candidates
        if c.status is CandidateStatus.ACCEPTED and c.member_id not in capped
    ]


def check_group(group: FocusGroup, now: datetime | None = None) -> Relaxation:
    """Whether the pool as it stands can meet the quotas."""
    now = now or utcnow()
    return check_quotas(build_pool(group, pool_candidates(group, now), now))


def draw_group(group: FocusGroup, seed: str, drawn_by_id: int | None = None) -> GroupDraw:
    """Draw the group from its pool by the fair lottery, record it and mail those selected.

    Refuses when the group is not inviting, the pool is empty, or no panel meets the
    quotas (``QuotasCannotBeMet`` says which and by how much). The caller commits.
    """
    if group.state is not GroupState.POOL:
        raise InvalidTransition(_("The group has been drawn already or is not inviting."))
    now = utcnow()
    candidates = pool_candidates(group, now)
    if not candidates:
        raise Refusal(_("No one in the pool has said yes yet."))
    pool = build_pool(group, candidates, now)
    relaxation = check_quotas(pool)
    if not relaxation.feasible:
        raise QuotasCannotBeMet(relaxation)
    distribution = find_distribution(pool, time_limit=current_app.config["GROUP_LOTTERY_SECONDS"])
    rounded = round_distribution(distribution, m=DEFAULT_M)
    drawn = draw(rounded, seed)
    group.mark_drawn()
    chosen = set(drawn.selected)
    for candidate, probability in zip(candidates, rounded.person_probabilities, strict=True):
        candidate.probability = float(probability)
        if str(candidate.id) in chosen:
            candidate.status = CandidateStatus.SELECTED
            candidate.selected_at = now
            _mail_selected(group, candidate)
        else:
            candidate.status = CandidateStatus.ALTERNATE
    record_ = GroupDraw(
        group=group,
        seed=seed,
        m=rounded.m,
        slot=drawn.slot,
        min_probability=rounded.min_probability,
        upper_bound=distribution.upper_bound,
        leximin_complete=distribution.leximin_complete,
        pool=[c.id for c in candidates],
        types=[[list(values), person] for values, person in pool.type_keys],
        panels=[
            {"copies": int(copies), "counts": [int(n) for n in composition]}
            for composition, copies in zip(rounded.compositions, rounded.copies, strict=True)
        ],
        selected=[int(i) for i in drawn.selected],
        alternates=[int(i) for i in drawn.alternates],
        drawn_at=now,
        drawn_by_id=drawn_by_id,
    )
    db.session.add(record_)
    record(
        "groups.draw",
        f"group:{group.id}",
        seed=seed,
        m=rounded.m,
        slot=drawn.slot,
        pool=pool.size,
        selected=len(drawn.selected),
        min_probability=round(rounded.min_probability, 6),
        upper_bound=round(distribution.upper_bound, 6),
    )
    log.info("group %s drawn: seed %r, slot %s of %s", group.id, seed, drawn.slot, rounded.m)
    return record_


def pool_at_draw(group: FocusGroup, drawn: GroupDraw) -> Pool:
    """The pool exactly as the draw saw it (its candidates, values on the draw's day)."""
    by_id = {c.id: c for c in group.candidates}
    return build_pool(group, [by_id[i] for i in drawn.pool], drawn.drawn_at)


def replace_dropout(candidate: GroupCandidate) -> GroupCandidate | None:
    """A selected member drops out: the first alternate who keeps the quotas takes the place.

    Same type first, so the group's composition does not change; see
    ``stats.lottery.replacement``. Returns the replacement, or None when no alternate keeps
    the quotas (the group is then one short). The caller commits.
    """
    group, drawn = candidate.group, candidate.group.draw
    if group.state is not GroupState.DRAWN or drawn is None:
        raise InvalidTransition(_("Only a drawn group's members can be replaced."))
    selected = [str(c.id) for c in group.candidates if c.status is CandidateStatus.SELECTED]
    candidate.drop_out()
    by_id = {c.id: c for c in group.candidates}
    alternates = [str(i) for i in drawn.alternates if by_id[i].status is CandidateStatus.ALTERNATE]
    chosen = find_replacement(pool_at_draw(group, drawn), selected, str(candidate.id), alternates)
    details: dict[str, Any] = {"dropped_out": candidate.id, "replacement": None}
    replacement = by_id[int(chosen)] if chosen is not None else None
    if replacement is not None:
        replacement.status = CandidateStatus.SELECTED
        replacement.selected_at = utcnow()
        details["replacement"] = replacement.id
        _mail_selected(group, replacement)
    record("groups.replace", f"group:{group.id}", **details)
    return replacement


def _mail_selected(group: FocusGroup, candidate: GroupCandidate) -> None:
    if candidate.member.contact is None:
        return
    mail_member(
        "group_selected",
        candidate.member,
        title=group.title,
        link=absolute_url(f"/groups/{group.id}"),
    )
