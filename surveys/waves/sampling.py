"""The sample side of a wave: who is eligible, in which stratum, and how many to invite.

Eligibility is one SQL query (no per-member queries), so it stays fast at a million
members; each distinct (attributes, birth year) is placed in its stratum once, and the
counts per stratum feed ``stats.allocation.allocate_detailed``. Staff see the result of
``preview_wave`` before a wave opens; ``surveys.waves.operations.open_wave`` draws from the same
frame.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from itertools import product

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import (
    Select,
    Text,
    func,
    or_,
    select,
    text,
    type_coerce,
)

from core.errors import Refusal
from extensions import db
from panel.demographics.attributes import age_band, load_attributes, members_with
from panel.demographics.composition import latest_population_table, population_cells
from panel.demographics.models import Attribute, AttributeKind, Category
from panel.members.bulk import integer_list, read_integer_lists
from panel.members.models import Member, MemberStatus
from stats.allocation import Allocation, allocate_detailed
from surveys.waves.models import AllocationMode, Invitation, Wave, WaveState

#: A stratum: one category code per stratification key, in the order of the keys.
Stratum = tuple[str, ...]

#: Earlier invitations a stratum needs before its own response rate replaces the default.
MIN_HISTORY = 20
#: The lowest expected response rate, so one bad wave cannot ask for 100 times the members.
MIN_RATE = 0.05


class WaveError(Refusal):
    """A wave that cannot be planned or opened as designed; the message is for staff."""


def stratum_text(stratum: Stratum) -> str:
    """How a stratum is stored on an invitation: its codes as compact JSON."""
    return json.dumps(list(stratum), ensure_ascii=False, separators=(",", ":"))


def _attributes(keys: Sequence[str]) -> list[Attribute]:
    by_key = {a.key: a for a in load_attributes()}
    unknown = [key for key in keys if key not in by_key or not by_key[key].categories]
    if unknown:
        raise WaveError(_("No attribute with categories called %(keys)s.", keys=", ".join(unknown)))
    return [by_key[key] for key in keys]


def eligible_members(wave: Wave, now: datetime) -> Select[int, str, int]:
    """(member id, attributes as canonical JSON text, birth year) of everyone ``wave`` may invite.

    Active (confirmed by ``now``, not left), not paused on the day, consent in force, an
    address that has not bounced, not invited in the last K days, fewer than J invitations in
    the last 365 days, and inside the wave's filters. The wave's own invitations do not count, so
    re-running an interrupted opening sees the same frame. Every member has a contact row
    (``members.operations`` creates the two together and deletion removes both), so the frame is
    read from ``member`` alone: no join with a million contact rows.
    """
    others = Invitation.wave_id != wave.id
    recently = (
        select(Invitation.id)
        .where(
            Invitation.member_id == Member.id,
            others,
            Invitation.invited_at > now - timedelta(days=wave.invitation_gap_days),
        )
        .exists()
    )
    tired = (
        select(Invitation.member_id)
        .where(
            others,
            Invitation.member_id.is_not(None),
            Invitation.invited_at > now - timedelta(days=365),
        )
        .group_by(Invitation.member_id)
        .having(func.count() >= wave.max_invitations_per_year)
    )
    day = now.date()
    query = select(
        Member.id, type_coerce(Member.attributes, Text).label("attributes"), Member.birth_year
    ).where(
        Member.status == MemberStatus.ACTIVE,
        Member.confirmed_at <= now,  # a wave drawn as of a past moment (tick --now)
        or_(Member.paused_until.is_(None), Member.paused_until < day),
        Member.consent_expires_at > now,
        Member.email_bounced_at.is_(None),
        ~recently,
        Member.id.not_in(tired),
    )
    if wave.filters:
        for attribute in _attributes(list(wave.filters)):
            query = query.where(members_with(attribute, wave.filters[attribute.key], day))
    return query


@dataclass(frozen=True)
class Frame:
    """The eligible members with their strata: ``ids[j]`` is in ``strata[codes[j]]``."""

    #: Every stratum the design allows, in the order of the attributes' categories.
    strata: list[Stratum]
    ids: np.ndarray
    codes: np.ndarray
    #: Eligible members without a value for some stratification key (not in the frame).
    unplaced: int

    def available(self) -> dict[Stratum, int]:
        counts = np.bincount(self.codes, minlength=len(self.strata))
        return {s: int(n) for s, n in zip(self.strata, counts, strict=True) if n}


def eligible_frame(wave: Wave, now: datetime) -> Frame:
    """The sampling frame at ``now``: eligible members placed in strata (age at ``now``).

    The database groups the frame by (attributes, birth year), a few thousand groups for a
    million members, and sends each group's member ids as one comma-separated text: the
    stratum is worked out once per group, and no row per member crosses into Python
    (``bench/bench_waves.py``: 1,000,000 rows through the ORM took 3.4 s of the 5.7 s).
    The ids come grouped, not sorted; ``stats.allocation.draw_codes`` sorts within a stratum.
    """
    attributes = _attributes(wave.stratify_by)
    strata = list(product(*([c.code for c in a.categories] for a in attributes)))
    index = {stratum: i for i, stratum in enumerate(strata)}
    on = now.date()
    # 11,800 groups share some 80 birth years and 1,000 attribute texts: each is worked out
    # once, from plain values rather than ORM attributes (their lookups alone took 0.2 s)
    plain = [
        (
            a.key,
            a.kind is AttributeKind.AGE_BAND,
            tuple(a.categories),
            {c.code for c in a.categories},
        )
        for a in attributes
    ]

    @cache
    def band(birth_year: int, categories: tuple[Category, ...]) -> str | None:
        return age_band(birth_year, categories, on)

    @cache
    def decoded(stored: str | None) -> dict[str, str]:
        return json.loads(stored) if stored else {}

    def code_of(stored: str | None, birth_year: int) -> int:
        values = decoded(stored)
        stratum = []
        for key, is_age, categories, known in plain:
            value = band(birth_year, categories) if is_age else values.get(key)
            if value not in known:
                return -1
            stratum.append(value)
        return index[tuple(stratum)]

    frame = eligible_members(wave, now).subquery()
    if db.engine.dialect.name == "postgresql":
        # a million rows grouped once per wave: at the default 4 MB the hash aggregate
        # spills some 80 MB to disk, which cost a fifth of the query (bench_waves.py)
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))
    groups = db.session.execute(
        select(frame.c.attributes, frame.c.birth_year, integer_list(frame.c.id)).group_by(
            frame.c.attributes, frame.c.birth_year
        )
    ).all()
    group_codes = np.array([code_of(stored, year) for stored, year, _ids in groups], np.intp)
    ids, sizes = read_integer_lists([listed for _text, _year, listed in groups])
    codes = np.repeat(group_codes, sizes)
    placed = codes >= 0
    return Frame(strata, ids[placed], codes[placed], int((~placed).sum()))


def _targets(wave: Wave, frame: Frame) -> dict[Stratum, float]:
    if wave.allocation_mode is AllocationMode.EQUAL:
        return dict.fromkeys(frame.strata, 1.0)
    if wave.allocation_mode is AllocationMode.PROPORTIONAL_PANEL:
        available = frame.available()
        return {s: float(available.get(s, 0)) for s in frame.strata}
    table = latest_population_table()
    missing = [k for k in wave.stratify_by if table is None or k not in table.attribute_keys]
    if table is None or missing:
        raise WaveError(
            _("The population figures have no %(keys)s.", keys=", ".join(missing) or "-")
        )
    targets = dict.fromkeys(frame.strata, 0.0)
    for cell, count in population_cells(table):
        stratum = tuple(cell.get(k, "") for k in wave.stratify_by)
        if stratum in targets:
            targets[stratum] += count
    if not any(targets.values()):
        raise WaveError(_("The population figures are all zero for these strata."))
    return targets


def expected_response_rates(wave: Wave, strata: Sequence[Stratum]) -> dict[Stratum, float]:
    """Completed / invited per stratum in the plan's earlier closed waves, else the default.

    Only waves stratified by the same keys count, and a stratum needs MIN_HISTORY
    invitations before its own rate is trusted.
    """
    rates = dict.fromkeys(strata, wave.default_response_rate)
    if wave.plan_id is None:
        return rates
    earlier = [
        w.id
        for w in db.session.scalars(
            select(Wave).where(
                Wave.plan_id == wave.plan_id, Wave.state == WaveState.CLOSED, Wave.id != wave.id
            )
        )
        if w.stratify_by == wave.stratify_by
    ]
    if not earlier:
        return rates
    history = db.session.execute(
        select(Invitation.stratum, func.count(), func.count(Invitation.completed_at))
        .where(Invitation.wave_id.in_(earlier), Invitation.invited_at.is_not(None))
        .group_by(Invitation.stratum)
    )
    for stored, invited, completed in history:
        stratum = tuple(json.loads(stored))
        if stratum in rates and invited >= MIN_HISTORY:
            rates[stratum] = max(completed / invited, MIN_RATE)
    return rates


@dataclass(frozen=True)
class WavePreview:
    """What staff see before a wave opens."""

    allocation: Allocation[Stratum]
    #: Eligible members placed in a stratum.
    frame_size: int
    #: Eligible members left out for lack of a value for a stratification key.
    unplaced: int
    response_rates: dict[Stratum, float]

    @property
    def expected_completes(self) -> float:
        return self.allocation.expected_completes


def plan_wave(wave: Wave, now: datetime) -> tuple[Frame, WavePreview]:
    """The frame and the allocation at ``now``: what opening would draw from, and how many."""
    frame = eligible_frame(wave, now)
    rates = expected_response_rates(wave, frame.strata)
    allocation = allocate_detailed(
        _targets(wave, frame), wave.completes_wanted, frame.available(), rates
    )
    return frame, WavePreview(allocation, len(frame.ids), frame.unplaced, rates)


def preview_wave(wave: Wave, now: datetime) -> WavePreview:
    """The allocation per stratum if ``wave`` opened at ``now``, with shortfalls; draws nothing."""
    return plan_wave(wave, now)[1]
