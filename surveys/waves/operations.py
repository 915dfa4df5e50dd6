"""Running a wave: drawing, inviting, reminding, closing, and the live counts.

``open_wave`` is safe to repeat: the seed is committed before anything is drawn, the
same seed and frame (``surveys.waves.sampling``) draw the same members, only invitations
that do not exist yet are inserted (the database refuses a second one per wave and
member), and only invitations not yet sent get a mail. So a crash at any point is
repaired by running it, or the scheduler's tick, again.

The personal answer link carries a token derived from SECRET_KEY and the invitation
(HMAC), and the database stores only its SHA-256: reminders repeat the same link without
the token being stored anywhere, and a copy of the database reveals no links.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Row, Select, func, insert, select, update

from core.digests import keyed_digest
from core.i18n import text_in
from extensions import db
from panel.mail.outbox import Recipient, absolute_url, queue_member_mails
from panel.members.models import Member, MemberContact, MemberStatus
from stats.allocation import draw_codes
from surveys.questionnaires.models import Questionnaire, QuestionnaireState
from surveys.results.tally import tally_wave
from surveys.waves.models import InvalidTransition, Invitation, Wave, WaveState
from surveys.waves.sampling import Stratum, WaveError, plan_wave, stratum_text

log = logging.getLogger(__name__)

#: Invitations are inserted, and mailed, this many per transaction.
BATCH_SIZE = 1000

#: One mail to write: to whom, and the template's context.
Letter = tuple[Recipient, dict[str, Any]]


def ensure_sendable(questionnaire: Questionnaire) -> None:
    """Waves and plans send only a questionnaire that can be sent (ready or in use)."""
    if not questionnaire.can_be_sent:
        raise WaveError(_("The questionnaire is not ready to be sent."))


def _draw(wave: Wave, now: datetime, batch_size: int) -> None:
    """Draw the sample and store its invitations (unsent), then mark the wave open."""
    questionnaire = wave.questionnaire
    ensure_sendable(questionnaire)
    if wave.seed is None:
        wave.seed = secrets.randbits(62)
        db.session.commit()  # a re-run after a crash draws with the same seed
    frame, preview = plan_wave(wave, now)
    plans = preview.allocation.strata
    sizes = np.array([plan.invitations for plan in plans], dtype=np.intp)
    drawn = draw_codes(frame.ids, frame.codes, sizes, wave.seed)
    chosen = np.isin(frame.ids, drawn)
    ids, codes = frame.ids[chosen], frame.codes[chosen]
    launch = math.ceil(wave.soft_launch_share * len(ids))
    held = np.zeros(len(ids), dtype=bool)
    held[np.random.default_rng([wave.seed, 1]).permutation(len(ids))[launch:]] = True
    existing = set(db.session.scalars(select(Invitation.member_id).filter_by(wave_id=wave.id)))
    texts = [stratum_text(s) for s in frame.strata]
    rows = [
        {"wave_id": wave.id, "member_id": m, "stratum": texts[c], "held_back": h}
        for m, c, h in zip(ids.tolist(), codes.tolist(), held.tolist(), strict=True)
        if m not in existing
    ]
    for start in range(0, len(rows), batch_size):
        db.session.execute(insert(Invitation), rows[start : start + batch_size])
        db.session.commit()
    wave.frame_size = preview.frame_size
    wave.allocation = [
        {
            "stratum": list(plan.stratum),
            "target": plan.target,
            "available": plan.available,
            "response_rate": plan.response_rate,
            "completes": plan.completes,
            "invitations": plan.invitations,
            "shortfall": plan.shortfall,
            "received": plan.received,
        }
        for plan in plans
    ]
    if questionnaire.state is QuestionnaireState.READY:
        questionnaire.take_into_use()
    wave.open(now)
    db.session.commit()
    log.info(
        "wave %s opened: drew %s of %s eligible (seed %s, %s held back)",
        wave.id,
        len(ids),
        preview.frame_size,
        wave.seed,
        int(held.sum()),
    )


def open_wave(wave: Wave, now: datetime, batch_size: int = BATCH_SIZE) -> int:
    """Draw the sample of a planned wave, open it and invite; returns invitations mailed.

    Commits as it goes (in batches). On an open wave it only mails invitations not sent
    yet, which is how an interrupted opening is finished.
    """
    if wave.state is WaveState.PLANNED:
        _draw(wave, now, batch_size)
    if wave.state is not WaveState.OPEN:
        raise InvalidTransition(_("Only a planned wave can be opened."))
    return send_invitations(wave, now, batch_size)


def release_wave(wave: Wave, now: datetime, batch_size: int = BATCH_SIZE) -> int:
    """Invite the part of a soft launch that was held back; returns invitations mailed."""
    if wave.state is not WaveState.OPEN:
        raise InvalidTransition(_("The wave is not open."))
    db.session.execute(
        update(Invitation)
        .where(Invitation.wave_id == wave.id, Invitation.held_back.is_(True))
        .values(held_back=False)
    )
    wave.released_at = now
    db.session.commit()
    log.info("wave %s released", wave.id)
    return send_invitations(wave, now, batch_size)


def personal_token(invitation: Invitation) -> str:
    """The token in an invitation's link: unguessable without SECRET_KEY, never stored."""
    if invitation.invited_at is None:
        raise ValueError(f"invitation {invitation.id} has not been sent")
    return _token(invitation.id, invitation.invited_at)


def _token(invitation_id: int, invited_at: datetime) -> str:
    return keyed_digest(f"invitation:{invitation_id}:{invited_at.isoformat()}")


def invitation_token_hash(raw_token: str) -> str:
    """What an invitation keeps of its link's token (``Invitation.token_hash``)."""
    return hashlib.sha256(raw_token.encode()).hexdigest()


def find_invitation(raw_token: str) -> Invitation | None:
    """The invitation a personal link belongs to, or None."""
    return db.session.scalar(
        select(Invitation).filter_by(token_hash=invitation_token_hash(raw_token))
    )


def accepting_answers(invitation: Invitation, now: datetime) -> bool:
    """Whether answers through this invitation count: sent, wave open and not past closing."""
    wave = invitation.wave
    return (
        invitation.invited_at is not None and wave.state is WaveState.OPEN and now < wave.closes_at
    )


def _mailable(wave: Wave) -> Select[int, datetime | None, int, str, str | None, str]:
    """The wave's invitations to active members whose address has not bounced, as plain
    columns: sending 12,500 mails must not load 25,000 ORM objects."""
    return (
        select(
            Invitation.id,
            Invitation.invited_at,
            MemberContact.member_id,
            MemberContact.email,
            MemberContact.name,
            Member.language,
        )
        .join(Member, Member.id == Invitation.member_id)
        .join(MemberContact, MemberContact.member_id == Member.id)
        .where(
            Invitation.wave_id == wave.id,
            Member.status == MemberStatus.ACTIVE,
            Member.email_bounced_at.is_(None),
        )
        .order_by(Invitation.id)
    )


def _letters(
    wave: Wave,
    rows: Sequence[Row[int, datetime | None, int, str, str | None, str]],
    sent_at: datetime,
) -> list[Letter]:
    """The mail context for each invitation row; ``sent_at`` is when rows not yet sent go."""
    title = wave.questionnaire.title
    closes_on = utc_to_local(wave.closes_at).date()
    manage_link = absolute_url("/login")
    letters = []
    for invitation_id, invited_at, member_id, email, name, language in rows:
        token = _token(invitation_id, invited_at or sent_at)
        context = {
            "title": text_in(title, language),
            "link": absolute_url(f"/a/{token}"),
            "manage_link": manage_link,
            "closes_on": closes_on,
            "results_on": wave.results_published_on,
        }
        letters.append((Recipient(member_id, email, name, language), context))
    return letters


def send_invitations(wave: Wave, now: datetime, batch_size: int = BATCH_SIZE) -> int:
    """Mail every drawn, unsent, not held-back invitation; one transaction per batch.

    Each batch marks its invitations sent and queues their mails in one transaction,
    so a crash loses or repeats no mail: a re-run picks up the invitations still unsent.
    Two senders at once (the scheduler opening the wave while staff release a soft launch,
    or a double click) each mail only what their own conditional UPDATE claimed: an
    invitation another sender marked first is left to it.
    """
    sent = 0
    pending = _mailable(wave).where(
        Invitation.invited_at.is_(None), Invitation.held_back.is_(False)
    )
    while rows := db.session.execute(pending.limit(batch_size)).all():
        claimed = set(
            db.session.scalars(
                update(Invitation)
                .where(Invitation.id.in_([row.id for row in rows]), Invitation.invited_at.is_(None))
                .values(invited_at=now)
                .returning(Invitation.id)
            )
        )
        batch = [row for row in rows if row.id in claimed]
        if batch:
            db.session.execute(
                update(Invitation),
                [
                    {"id": row.id, "token_hash": invitation_token_hash(_token(row.id, now))}
                    for row in batch
                ],
            )
            queue_member_mails("invitation", _letters(wave, batch, now))
        db.session.commit()
        sent += len(batch)
    if sent:
        log.info("wave %s: %s invitations queued", wave.id, sent)
    return sent


def send_reminders(wave: Wave, now: datetime, batch_size: int = BATCH_SIZE) -> int:
    """Remind those who have not completed, at most ``max_reminders`` times, spaced out."""
    if wave.state is not WaveState.OPEN or now >= wave.closes_at:
        return 0
    last_contact = func.coalesce(Invitation.last_reminded_at, Invitation.invited_at)
    due = _mailable(wave).where(
        Invitation.invited_at.is_not(None),
        Invitation.completed_at.is_(None),
        Invitation.reminders_sent < wave.max_reminders,
        last_contact <= now - timedelta(days=wave.reminder_after_days),
    )
    sent = 0
    while batch := db.session.execute(due.limit(batch_size)).all():
        db.session.execute(
            update(Invitation)
            .where(Invitation.id.in_([row.id for row in batch]))
            .values(reminders_sent=Invitation.reminders_sent + 1, last_reminded_at=now)
        )
        queue_member_mails("reminder", _letters(wave, batch, now))
        db.session.commit()
        sent += len(batch)
    if sent:
        log.info("wave %s: %s reminders queued", wave.id, sent)
    return sent


def close_wave(wave: Wave, now: datetime) -> None:
    """No more answers, so the answers are counted once for the results; the caller commits.

    Same transaction: a closed wave is never seen without its counts (``tally_wave``).
    """
    wave.close(now)
    tally_wave(wave.id)
    log.info("wave %s closed", wave.id)


@dataclass(frozen=True)
class StratumCounts:
    stratum: Stratum
    invited: int
    started: int
    completed: int

    @property
    def response_rate(self) -> float | None:
        return self.completed / self.invited if self.invited else None


def live_counts(wave: Wave) -> list[StratumCounts]:
    """Invited, started and completed per stratum, as one grouped query."""
    rows = db.session.execute(
        select(
            Invitation.stratum,
            func.count(Invitation.invited_at),
            func.count(Invitation.started_at),
            func.count(Invitation.completed_at),
        )
        .where(Invitation.wave_id == wave.id)
        .group_by(Invitation.stratum)
        .order_by(Invitation.stratum)
    )
    return [
        StratumCounts(tuple(json.loads(text)), int(invited), int(started), int(completed))
        for text, invited, started, completed in rows
    ]


def local_to_utc(day: date, at: time) -> datetime:
    """Naive UTC for a local date and time in the scheduler's time zone (what staff type)."""
    zone = ZoneInfo(current_app.config["SCHEDULER_TIMEZONE"])
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def utc_to_local(moment: datetime) -> datetime:
    """A stored naive UTC moment in the scheduler's time zone, for display."""
    zone = ZoneInfo(current_app.config["SCHEDULER_TIMEZONE"])
    return moment.replace(tzinfo=UTC).astimezone(zone)


def create_wave(name: str, questionnaire: Questionnaire, **design: Any) -> Wave:
    """A planned one-off wave; the caller commits. Refuses a questionnaire that is not ready."""
    ensure_sendable(questionnaire)
    if design["closes_at"] <= design["invite_at"]:
        raise WaveError(_("The wave must close after the invitations go out."))
    wave = Wave(name=name, questionnaire=questionnaire, **design)
    db.session.add(wave)
    db.session.flush()
    log.info("wave %s created: %s, invitations at %s", wave.id, name, wave.invite_at)
    return wave


def move_wave(
    wave: Wave, invite_at: datetime, closes_at: datetime, results_on: date | None
) -> None:
    """New dates for a wave that has not opened; the caller commits."""
    if wave.state not in (WaveState.PLANNED, WaveState.PAUSED):
        raise InvalidTransition(_("Only a wave that has not opened can be moved."))
    if closes_at <= invite_at:
        raise WaveError(_("The wave must close after the invitations go out."))
    wave.invite_at, wave.closes_at, wave.results_published_on = invite_at, closes_at, results_on
    log.info("wave %s moved: invitations at %s, closes at %s", wave.id, invite_at, closes_at)
