"""What surveys hold about one member, for panel's data export and profile page.

Panel asks through ``panel.signals`` (it never imports surveys); these receivers answer.
The export gives the member their own records as they are stored: invitations (when they
were drawn, mailed and reminded), responses with every answer, the quotes staff picked
from their answers (as edited and whether shown), and the result mails.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.clock import iso
from extensions import db
from panel import signals
from panel.members.models import Member
from panel.signals import DataSection, ProfileSection
from surveys.answering.models import Answer, Response
from surveys.publishing.models import Publication, PublicationMail, Quote
from surveys.publishing.operations import member_results
from surveys.waves.models import Invitation, Wave


def invitations(_sender: Any, member: Member, language: str) -> DataSection:
    rows = db.session.execute(
        select(Invitation, Wave.name)
        .join(Wave, Wave.id == Invitation.wave_id)
        .where(Invitation.member_id == member.id)
        .order_by(Invitation.id)
    )
    return DataSection(
        "invitations",
        ("invitation",),
        [
            {
                "wave": wave_name,
                "stratum": invitation.stratum,
                "invited_at": iso(invitation.invited_at),
                "reminders_sent": invitation.reminders_sent,
                "last_reminded_at": iso(invitation.last_reminded_at),
                "started_at": iso(invitation.started_at),
                "completed_at": iso(invitation.completed_at),
            }
            for invitation, wave_name in rows
        ],
    )


def responses(_sender: Any, member: Member, language: str) -> DataSection:
    found = db.session.scalars(
        select(Response)
        .filter_by(member_id=member.id)
        .options(selectinload(Response.answers))
        .order_by(Response.id)
    )
    return DataSection(
        "responses",
        ("response",),
        [
            {
                "started_at": iso(r.started_at),
                "completed_at": iso(r.completed_at),
                "answers": {a.question_key: a.value for a in r.answers},
            }
            for r in found
        ],
    )


def quotes(_sender: Any, member: Member, language: str) -> DataSection:
    rows = db.session.execute(
        select(Quote, Wave.name)
        .join(Answer, Answer.id == Quote.answer_id)
        .join(Response, Response.id == Answer.response_id)
        .join(Wave, Wave.id == Quote.wave_id)
        .where(Response.member_id == member.id)
        .order_by(Quote.id)
    )
    return DataSection(
        "quotes",
        ("quote",),
        [
            {
                "wave": wave_name,
                "question": quote.question_key,
                "text": quote.text,
                "published": quote.published,
                "updated_at": iso(quote.updated_at),
            }
            for quote, wave_name in rows
        ],
    )


def result_mails(_sender: Any, member: Member, language: str) -> DataSection:
    rows = db.session.execute(
        select(PublicationMail, Wave.name)
        .join(Publication, Publication.id == PublicationMail.publication_id)
        .join(Wave, Wave.id == Publication.wave_id)
        .where(PublicationMail.member_id == member.id)
        .order_by(PublicationMail.queued_at)
    )
    return DataSection(
        "result_mails",
        ("publication_mail",),
        [
            {"wave": wave_name, "round": mail.round, "queued_at": iso(mail.queued_at)}
            for mail, wave_name in rows
        ],
    )


def results_section(_sender: Any, member: Member, language: str) -> ProfileSection:
    """ "Results of the surveys you answered": citizens see what their answers led to."""
    return ProfileSection(
        "surveys/results/profile_results.html",
        {"results": member_results(member, language)},
        order=10,
    )


def connect_signals() -> None:
    for receiver in (invitations, responses, quotes, result_mails):
        signals.connect(signals.member_data_requested, receiver)
    signals.connect(signals.profile_sections_requested, results_section)
