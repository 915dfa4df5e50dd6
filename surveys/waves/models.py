"""Waves: a questionnaire sent to a stratified sample of the panel, and the plans that repeat them.

A ``WavePlan`` says how a wave recurs (by default twice a year, the first Monday of March
and of September) and which sample design its waves start from; ``surveys.waves.jobs``
creates its next waves. A ``Wave`` carries the design, the timetable, what was recorded
when it opened (seed, frame size, allocation per stratum) and its state. An
``Invitation`` is one member invited to one wave; the database keeps it unique per
(wave, member), which is what makes a re-run after a crash harmless.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.errors import InvalidTransition
from extensions import Base, value_enum
from panel.members.models import Member
from surveys.questionnaires.models import Questionnaire


class WaveState(enum.StrEnum):
    #: Scheduled; design and timetable can still change.
    PLANNED = "planned"
    #: Planned, but held: the scheduler leaves it alone until it is resumed.
    PAUSED = "paused"
    #: Sample drawn, invitations going out, answers accepted until ``closes_at``.
    OPEN = "open"
    #: No more answers; results can be computed.
    CLOSED = "closed"
    #: Will never open.
    CANCELLED = "cancelled"

    @classmethod
    def with_results(cls, closed_only: bool = False) -> tuple[WaveState, ...]:
        """The states in which a wave's results can be read.

        Staff follow an open wave's answers as they come in; politicians (``closed_only``)
        see a wave once it has closed, when its figures no longer move.
        """
        return (cls.CLOSED,) if closed_only else (cls.OPEN, cls.CLOSED)


class AllocationMode(enum.StrEnum):
    #: Completes in proportion to the latest population figures (the default).
    PROPORTIONAL_POPULATION = "proportional_population"
    #: Completes in proportion to the eligible members per stratum.
    PROPORTIONAL_PANEL = "proportional_panel"
    #: The same number of completes in every stratum.
    EQUAL = "equal"


class SampleDesign:
    """Columns shared by a plan and its waves: whom to invite, how many, how often to remind.

    A plan's waves copy these when they are created, so changing a plan never changes a
    wave that is already scheduled.
    """

    #: Attribute keys that define the strata, in order, e.g. ["age", "gender"]; [] for one stratum.
    stratify_by: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Completed answers wanted.
    completes_wanted: Mapped[int] = mapped_column(Integer, default=1000)
    #: How completes are spread over strata.
    allocation_mode: Mapped[AllocationMode] = mapped_column(
        value_enum(AllocationMode, "allocation_mode", native_enum=False, length=30),
        default=AllocationMode.PROPORTIONAL_POPULATION,
    )
    #: Expected share of invitations answered where earlier waves say too little.
    default_response_rate: Mapped[float] = mapped_column(Float, default=0.4)
    #: Share of the sample invited at opening; the rest waits for ``release_wave``. 1: all.
    soft_launch_share: Mapped[float] = mapped_column(Float, default=1.0)
    #: K: a member invited within this many days is not eligible.
    invitation_gap_days: Mapped[int] = mapped_column(Integer, default=90)
    #: J: a member with this many invitations in the last 365 days is not eligible.
    max_invitations_per_year: Mapped[int] = mapped_column(Integer, default=3)
    #: Optional eligibility filters: attribute key -> allowed category codes.
    filters: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    #: Days after the invitation (or the last reminder) before a reminder goes out.
    reminder_after_days: Mapped[int] = mapped_column(Integer, default=7)
    #: Reminders per invitation at most.
    max_reminders: Mapped[int] = mapped_column(Integer, default=2)


def _design_checks() -> tuple[CheckConstraint, ...]:
    return (
        CheckConstraint("completes_wanted >= 0", name="completes_not_negative"),
        CheckConstraint(
            "default_response_rate > 0 AND default_response_rate <= 1", name="rate_range"
        ),
        CheckConstraint(
            "soft_launch_share > 0 AND soft_launch_share <= 1", name="soft_launch_range"
        ),
        CheckConstraint("invitation_gap_days >= 0", name="gap_not_negative"),
        CheckConstraint("max_invitations_per_year >= 1", name="yearly_limit_positive"),
        CheckConstraint("reminder_after_days >= 1", name="reminder_days_positive"),
        CheckConstraint("max_reminders >= 0", name="reminders_not_negative"),
    )


class WavePlan(SampleDesign, Base):
    """A recurring wave: when it comes round and the design each new wave starts from."""

    __tablename__ = "wave_plan"
    __table_args__ = (
        *_design_checks(),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("week_of_month BETWEEN 1 AND 4", name="week_range"),
        CheckConstraint("open_days >= 1", name="open_days_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: The questionnaire new waves send; staff may swap it on a planned wave.
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire.id", ondelete="RESTRICT"), index=True
    )
    #: Months (1-12) in which a wave starts; twice a year by default.
    months: Mapped[list[int]] = mapped_column(JSON, default=lambda: [3, 9])
    #: Day of the week the wave starts (0 = Monday) ...
    weekday: Mapped[int] = mapped_column(Integer, default=0)
    #: ... and which one of the month (1 = the first).
    week_of_month: Mapped[int] = mapped_column(Integer, default=1)
    #: Local time (scheduler time zone) at which invitations go out.
    invitation_time: Mapped[time] = mapped_column(Time, default=time(8, 0))
    #: Days a wave stays open.
    open_days: Mapped[int] = mapped_column(Integer, default=21)
    #: Days after closing that results are promised.
    results_after_days: Mapped[int] = mapped_column(Integer, default=60)
    #: Disabled plans create no new waves (existing ones are untouched).
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    questionnaire: Mapped[Questionnaire] = relationship()


class Wave(SampleDesign, Base):
    """One sending of a questionnaire to a stratified sample, from planning to closing."""

    __tablename__ = "wave"
    __table_args__ = (
        *_design_checks(),
        CheckConstraint("closes_at > invite_at", name="closes_after_invite"),
        UniqueConstraint("plan_id", "plan_occurrence"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire.id", ondelete="RESTRICT"), index=True
    )
    #: The plan that created it, if any; its earlier waves give the response rates.
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("wave_plan.id", ondelete="SET NULL"), index=True
    )
    #: The plan's date this wave was created for; unchanged when staff move the wave.
    plan_occurrence: Mapped[date | None] = mapped_column(Date)
    #: Where it is in its life; change it through the methods below.
    state: Mapped[WaveState] = mapped_column(
        value_enum(WaveState, "wave_state"),
        default=WaveState.PLANNED,
    )
    #: When the sample is drawn and invitations go out (naive UTC).
    invite_at: Mapped[datetime] = mapped_column(DateTime)
    #: No answers at or after this moment (naive UTC).
    closes_at: Mapped[datetime] = mapped_column(DateTime)
    #: When results are promised to participants.
    results_published_on: Mapped[date | None] = mapped_column(Date)
    #: Random seed of the draw; set when opening unless staff set one to repeat a draw.
    seed: Mapped[int | None] = mapped_column(BigInteger)
    #: Eligible members with a stratum when the sample was drawn.
    frame_size: Mapped[int | None] = mapped_column(Integer)
    #: Per stratum at opening: codes, target, available, rate, invitations, shortfall, ...
    allocation: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: When the soft launch's held-back part was invited.
    released_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    questionnaire: Mapped[Questionnaire] = relationship()
    plan: Mapped[WavePlan | None] = relationship()

    def has_results(self, closed_only: bool = False) -> bool:
        """Whether results can be read now (see ``WaveState.with_results``)."""
        return self.state in WaveState.with_results(closed_only)

    def _move(self, allowed: tuple[WaveState, ...], to: WaveState) -> None:
        if self.state not in allowed:
            raise InvalidTransition(_("The wave cannot change to that state now."))
        self.state = to

    def open(self, at: datetime) -> None:
        """Use ``surveys.waves.operations.open_wave``, which draws the sample first."""
        self._move((WaveState.PLANNED,), WaveState.OPEN)
        self.opened_at = at

    def close(self, at: datetime) -> None:
        self._move((WaveState.OPEN,), WaveState.CLOSED)
        self.closed_at = at

    def pause(self) -> None:
        self._move((WaveState.PLANNED,), WaveState.PAUSED)

    def resume(self) -> None:
        self._move((WaveState.PAUSED,), WaveState.PLANNED)

    def cancel(self) -> None:
        self._move((WaveState.PLANNED, WaveState.PAUSED), WaveState.CANCELLED)


class Invitation(Base):
    """One member invited to one wave, with the hash of their personal answer link."""

    __tablename__ = "invitation"
    __table_args__ = (
        UniqueConstraint("wave_id", "member_id"),
        # fatigue rules: a member's invitations in a period
        Index("ix_invitation_member_invited", "member_id", "invited_at"),
        Index("ix_invitation_wave_stratum", "wave_id", "stratum"),
        CheckConstraint("reminders_sent >= 0", name="reminders_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"))
    #: NULL once the member is deleted: the invitation stays for the counts, anonymous.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    #: The member's stratum when drawn: its category codes as a JSON list, e.g. ["18-29","f"].
    stratum: Mapped[str] = mapped_column(String(300))
    #: Held back by a soft launch until ``release_wave``.
    held_back: Mapped[bool] = mapped_column(default=False)
    #: SHA-256 of the token in the personal link; set when the invitation is sent.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: When the invitation mail was queued; NULL while drawn but not sent.
    invited_at: Mapped[datetime | None] = mapped_column(DateTime)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Set by the answering pages on the first answer and on completion.
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)

    wave: Mapped[Wave] = relationship()
    member: Mapped[Member | None] = relationship()
