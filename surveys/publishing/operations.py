"""Closing the loop: staff publish a closed wave's results, everyone who answered is mailed
them once, and members find them in their profile with "you said, we did".

Mails go through the outbox a batch at a time (``panel.mail.outbox.queue_member_mails``), each
batch in one transaction with the ``PublicationMail`` rows that record it, so publishing
twice or re-running after a crash mails no one twice. Only the overall figures are given
back (no breakdowns), and they come from the same summary, with the same suppression, as
the politicians' pages.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, exists, insert, select

from core.clock import utcnow
from core.i18n import text_in
from extensions import db
from panel.mail.outbox import Recipient, absolute_url, queue_member_mails
from panel.members.models import Member, MemberContact, MemberStatus
from surveys.answering.models import Response
from surveys.publishing.models import Publication, PublicationMail
from surveys.results.figures import figure
from surveys.results.respondents import min_group, respondent_filter
from surveys.results.summary import Summary, summarise
from surveys.waves.models import InvalidTransition, Wave, WaveState

log = logging.getLogger(__name__)
BATCH_SIZE = 1000


def publication_of(wave: Wave) -> Publication | None:
    return db.session.scalar(select(Publication).filter_by(wave_id=wave.id))


def publish(
    wave: Wave, public: bool, you_said_we_did: Mapping[str, str], now: datetime | None = None
) -> Publication:
    """Publish (or update the publication of) a closed wave's results; the caller commits.

    Editing later keeps the first ``published_at``; the profile shows the new text at once,
    and no one is mailed again unless staff ask (``mail_again``).
    """
    if wave.state is not WaveState.CLOSED:
        raise InvalidTransition(_("Only a closed wave can be published."))
    publication = publication_of(wave)
    if publication is None:
        publication = Publication(wave=wave, published_at=now or utcnow())
        db.session.add(publication)
        log.info("wave %s: results published", wave.id)
    publication.public = public
    publication.you_said_we_did = {k: v.strip() for k, v in you_said_we_did.items() if v.strip()}
    db.session.flush()
    return publication


def mail_again(publication: Publication) -> None:
    """Start a new round: ``mail_respondents`` then mails everyone once more (the caller
    commits). Only on staff's explicit request, e.g. when "you said, we did" is added."""
    publication.mail_round += 1
    log.info("wave %s: results to be mailed again (round %s)", publication.wave_id,
             publication.mail_round)  # fmt: skip


def _unmailed(publication: Publication) -> Select[int, str, str | None, str]:
    """Members with a completed response in the wave, active, with a working address, and
    not yet mailed in this round."""
    mailed = exists().where(
        PublicationMail.publication_id == publication.id,
        PublicationMail.member_id == Member.id,
        PublicationMail.round == publication.mail_round,
    )
    answered = exists().where(*respondent_filter(publication.wave_id),
                              Response.member_id == Member.id)  # fmt: skip
    return (
        select(Member.id, MemberContact.email, MemberContact.name, Member.language)
        .join(MemberContact, MemberContact.member_id == Member.id)
        .where(
            answered,
            ~mailed,
            Member.status == MemberStatus.ACTIVE,
            Member.email_bounced_at.is_(None),
        )
        .order_by(Member.id)
    )


def mail_respondents(publication: Publication, batch_size: int = BATCH_SIZE) -> int:
    """Mail the results to every respondent not yet mailed in this round; commits per batch."""
    contexts: dict[str, dict[str, object]] = {}
    pending = _unmailed(publication)
    sent = 0
    while batch := db.session.execute(pending.limit(batch_size)).all():
        letters = []
        for member_id, email, name, language in batch:
            if language not in contexts:
                contexts[language] = mail_context(publication, language)
            letters.append((Recipient(member_id, email, name, language), contexts[language]))
        now = utcnow()
        db.session.execute(
            insert(PublicationMail),
            [
                {"publication_id": publication.id, "member_id": row[0],
                 "round": publication.mail_round, "queued_at": now}
                for row in batch
            ],
        )  # fmt: skip
        queue_member_mails("results_published", letters)
        db.session.commit()
        sent += len(batch)
    if sent:
        log.info("wave %s: results mailed to %s respondents", publication.wave_id, sent)
    return sent


def mail_context(publication: Publication, language: str) -> dict[str, object]:
    """What the results mail says in one language: the same for every recipient."""
    wave = publication.wave
    with force_locale(language):
        summary = summarise(wave, language)
        return {
            "title": text_in(wave.questionnaire.title, language) or wave.name,
            "results": results_text(summary),
            "you_said_we_did": text_in(publication.you_said_we_did, language),
            # paths, not url_for: the mails may be sent outside a request (a script, a job)
            "profile_link": absolute_url("/profile"),
            "public_link": absolute_url(f"/results/public/{wave.id}") if publication.public else "",
        }


def results_text(summary: Summary) -> str:
    """The overall figures as plain text, for the mail; hidden figures say so."""
    hidden = _("fewer than %(n)d answers", n=min_group())
    lines = []
    for q in summary.questions:
        lines.append(q.text)
        for table in q.overall:
            row = table.rows[0]
            indent = "  "
            if table.title:
                lines.append(f"  {table.title}")
                indent = "    "
            if row.hidden:
                lines.append(f"{indent}({hidden})")
                continue
            for (_id, label), e in zip(table.columns, row.cells, strict=True):
                lines.append(f"{indent}{label or _('Average')}: {figure(e, table.kind)}")
        lines.append("")
    return "\n".join(lines).strip()


@dataclass(frozen=True)
class MemberResult:
    """A published wave the member answered, as their profile shows it."""

    publication: Publication
    title: str
    you_said_we_did: str
    summary: Summary


def member_results(member: Member, language: str) -> list[MemberResult]:
    """The published results of the waves this member completed, newest first."""
    answered = exists().where(
        Response.wave_id == Publication.wave_id,
        Response.member_id == member.id,
        Response.completed_at.is_not(None),
    )
    publications = db.session.scalars(
        select(Publication).where(answered).order_by(Publication.published_at.desc())
    )
    return [
        MemberResult(
            p,
            text_in(p.wave.questionnaire.title, language) or p.wave.name,
            text_in(p.you_said_we_did, language),
            summarise(p.wave, language),
        )
        for p in publications
    ]
