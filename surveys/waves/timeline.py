"""What ran when for one wave: opening, the soft launch's release, reminders, closing,
and the recent runs of the scheduler's ``waves`` job.

Read from what the database already records, so no extra bookkeeping can drift from it.
An invitation keeps only the time of its latest reminder and how many it has had, so the
reminders are told per day as "n members got their k-th reminder"; an earlier reminder
of a member reminded again shows under the later day.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from core.jobs import JobRun
from extensions import db
from surveys.waves.models import Invitation, Wave
from surveys.waves.operations import utc_to_local

#: How many of the ``waves`` job's runs the wave page shows.
RECENT_RUNS = 5


@dataclass(frozen=True)
class Timeline:
    #: Invitations drawn, and sent, so far.
    drawn: int
    invited: int
    #: Drawn but held back by a soft launch, not yet released.
    held_back: int
    #: (local day, which reminder, members) in order of day.
    reminders: list[tuple[date, int, int]]
    #: The latest runs of the ``waves`` job, newest first.
    runs: list[JobRun]

    @property
    def reminders_sent(self) -> int:
        return sum(nth * members for _day, nth, members in self.reminders)


def held_back(wave: Wave) -> int:
    """Invitations a soft launch still holds back."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(Invitation.wave_id == wave.id, Invitation.held_back.is_(True))
        )
        or 0
    )


def wave_timeline(wave: Wave) -> Timeline:
    drawn, invited, held = db.session.execute(
        select(
            func.count(Invitation.id),
            func.count(Invitation.invited_at),
            func.count(Invitation.id).filter(Invitation.held_back.is_(True)),
        ).where(Invitation.wave_id == wave.id)
    ).one()
    # each tick reminds with one "now", so there are few distinct moments to group by
    moments = db.session.execute(
        select(Invitation.last_reminded_at, Invitation.reminders_sent, func.count())
        .where(Invitation.wave_id == wave.id, Invitation.last_reminded_at.is_not(None))
        .group_by(Invitation.last_reminded_at, Invitation.reminders_sent)
    ).all()
    per_day: Counter[tuple[date, int]] = Counter()
    for moment, nth, members in moments:
        if moment is not None:
            per_day[(utc_to_local(moment).date(), int(nth))] += int(members)
    runs = db.session.scalars(
        select(JobRun)
        .where(JobRun.job_id == "waves")
        .order_by(JobRun.started_at.desc(), JobRun.id.desc())
        .limit(RECENT_RUNS)
    ).all()
    return Timeline(
        drawn=int(drawn),
        invited=int(invited),
        held_back=int(held),
        reminders=[(day, nth, n) for (day, nth), n in sorted(per_day.items())],
        runs=list(runs),
    )
