"""Focus groups and task committees: the group, its pool, and the record of its draw.

A group moves DRAFT -> POOL -> DRAWN -> CLOSED. In DRAFT staff write what it is for and
what it can influence (shown to citizens before they say yes), its size and quotas; in
POOL members are invited and answer; the draw (``GroupDraw``, one per group) selects
``k`` of those who said yes by the fair lottery of ``stats.lottery`` and keeps everything
needed to re-run it; drop-outs are replaced from the alternates while DRAWN.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.errors import InvalidTransition
from extensions import Base, value_enum
from panel.members.models import Member


class GroupKind(enum.StrEnum):
    FOCUS_GROUP = "focus_group"
    TASK_COMMITTEE = "task_committee"

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {
    GroupKind.FOCUS_GROUP: _l("Focus group"),
    GroupKind.TASK_COMMITTEE: _l("Task committee"),
}


class GroupState(enum.StrEnum):
    #: Being written: purpose, size, quotas. No one invited yet.
    DRAFT = "draft"
    #: Members are invited and say yes or no; the pool is those who said yes.
    POOL = "pool"
    #: Drawn: the selected members and the alternates are known.
    DRAWN = "drawn"
    #: Over; nothing changes any more.
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {
    GroupState.DRAFT: _l("Draft"),
    GroupState.POOL: _l("Inviting the pool"),
    GroupState.DRAWN: _l("Drawn"),
    GroupState.CLOSED: _l("Closed"),
}


class CandidateStatus(enum.StrEnum):
    #: Invited to the pool, no answer yet.
    INVITED = "invited"
    #: Said yes: in the pool the group is drawn from.
    ACCEPTED = "accepted"
    #: Said no.
    DECLINED = "declined"
    #: Drawn into the group (or brought in as a replacement).
    SELECTED = "selected"
    #: In the pool, not drawn: an alternate, in the draw's order.
    ALTERNATE = "alternate"
    #: Drawn but withdrew; replaced from the alternates.
    DROPPED_OUT = "dropped_out"

    @property
    def label(self) -> str:
        return str(CANDIDATE_LABELS[self])


CANDIDATE_LABELS = {
    CandidateStatus.INVITED: _l("Invited"),
    CandidateStatus.ACCEPTED: _l("Said yes"),
    CandidateStatus.DECLINED: _l("Said no"),
    CandidateStatus.SELECTED: _l("Selected"),
    CandidateStatus.ALTERNATE: _l("Alternate"),
    CandidateStatus.DROPPED_OUT: _l("Dropped out"),
}


class FocusGroup(Base):
    """A focus group or task committee of citizens drawn from the panel."""

    __tablename__ = "focus_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[GroupKind] = mapped_column(value_enum(GroupKind, "group_kind"))
    title: Mapped[str] = mapped_column(String(200))
    #: What the group is for, shown to citizens before they say yes.
    purpose: Mapped[str] = mapped_column(Text)
    #: What its advice can influence (and what not), shown up front as well.
    influence: Mapped[str] = mapped_column(Text)
    #: Size of the group (k).
    size: Mapped[int] = mapped_column(Integer)
    #: Quotas as a list of {"attribute", "category", "min", "max"}; by default the
    #: population's shares of ``size`` rounded down and up.
    quotas: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    state: Mapped[GroupState] = mapped_column(
        value_enum(GroupState, "group_state"), default=GroupState.DRAFT
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )

    candidates: Mapped[list[GroupCandidate]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="GroupCandidate.id"
    )
    draw: Mapped[GroupDraw | None] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )

    def open_pool(self) -> None:
        if self.state is not GroupState.DRAFT:
            raise InvalidTransition(_("Only a draft group can start inviting its pool."))
        self.state = GroupState.POOL

    def mark_drawn(self) -> None:
        if self.state is not GroupState.POOL:
            raise InvalidTransition(_("The group has been drawn already or is not inviting."))
        self.state = GroupState.DRAWN

    def close(self) -> None:
        if self.state is not GroupState.DRAWN:
            raise InvalidTransition(_("Only a drawn group can be closed."))
        self.state = GroupState.CLOSED


class GroupCandidate(Base):
    """A member invited to a group's pool, their answer, and what the draw made of them."""

    __tablename__ = "group_candidate"
    __table_args__ = (UniqueConstraint("group_id", "member_id", name="one_candidacy_per_group"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("focus_group.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    status: Mapped[CandidateStatus] = mapped_column(
        value_enum(CandidateStatus, "candidate_status"), default=CandidateStatus.INVITED
    )
    invited_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: SHA-256 of the group and the normalised postal address the member gave on saying
    #: yes: equal for one household, so at most one of it is drawn; the address is not kept.
    household: Mapped[str | None] = mapped_column(String(64))
    #: The member's selection probability in the published lottery (after the draw).
    probability: Mapped[float | None] = mapped_column(Float)
    #: When selected: at the draw, or as a replacement for a drop-out.
    selected_at: Mapped[datetime | None] = mapped_column(DateTime)

    group: Mapped[FocusGroup] = relationship(back_populates="candidates")
    member: Mapped[Member] = relationship()

    def answer(self, yes: bool, household: str | None, at: datetime | None = None) -> None:
        if not self.can_answer:
            raise InvalidTransition(_("The pool is closed; the answer can no longer change."))
        self.status = CandidateStatus.ACCEPTED if yes else CandidateStatus.DECLINED
        self.household = household if yes else None
        self.answered_at = at or utcnow()

    @property
    def can_answer(self) -> bool:
        """Before the draw a member may say yes or no, and change their mind."""
        return self.group.state is GroupState.POOL and self.status in (
            CandidateStatus.INVITED,
            CandidateStatus.ACCEPTED,
            CandidateStatus.DECLINED,
        )

    def drop_out(self) -> None:
        if self.status is not CandidateStatus.SELECTED:
            raise InvalidTransition(_("Only a selected member can drop out."))
        self.status = CandidateStatus.DROPPED_OUT


class GroupDraw(Base):
    """The record of a group's draw: enough for anyone to re-run it from the seed.

    ``types`` lists the types of people (their values and, for someone sharing a household,
    the candidate id), ``panels`` the m equally likely panels as compositions over those
    types with their number of slots, in the published order (``stats.lottery.rounding``).
    """

    __tablename__ = "group_draw"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("focus_group.id", ondelete="CASCADE"), unique=True
    )
    #: The published seed: the only randomness of the draw.
    seed: Mapped[str] = mapped_column(String(200))
    #: Number of equally likely panels the distribution was rounded to.
    m: Mapped[int] = mapped_column(Integer)
    #: The drawn slot, 0 <= slot < m.
    slot: Mapped[int] = mapped_column(Integer)
    #: The smallest selection probability in the pool (published lottery) and the LP's
    #: bound: no lottery could give everyone more.
    min_probability: Mapped[float] = mapped_column(Float)
    upper_bound: Mapped[float] = mapped_column(Float)
    leximin_complete: Mapped[bool] = mapped_column(default=False)
    #: Candidate ids in the pool, in the order the lottery saw them.
    pool: Mapped[list[int]] = mapped_column(JSON)
    types: Mapped[list[Any]] = mapped_column(JSON)
    panels: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: Candidate ids selected at the draw, and the alternates in their order.
    selected: Mapped[list[int]] = mapped_column(JSON)
    alternates: Mapped[list[int]] = mapped_column(JSON)
    drawn_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    drawn_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )

    group: Mapped[FocusGroup] = relationship(back_populates="draw")
