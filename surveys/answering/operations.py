"""Answering a questionnaire: a response from start to completion, page by page.

The rules a respondent can rely on, whatever the browser does:

- **One response per invitation.** Starting inserts it; the unique ``invitation_id`` turns
  a double click, a second tab or a second visit into finding the one already there.
  A public respondent's response is found the same way by its resume token.
- **Every page is saved** when it is submitted, forward or back, so leaving and coming back
  loses nothing; ``current_page`` remembers where to resume.
- **Completion happens once.** It is a conditional UPDATE (``completed_at IS NULL``), and a
  completed response takes no more answers.
- **Hidden means unanswered.** Conditions are evaluated on the server, in question order, on
  the answers so far; an answer to a question that a later change hid is dropped at
  completion, so results never count it.

Submitted form values are read and checked in ``surveys.answering.page_input`` (``read_page``),
with messages in the respondent's language, so the views only move data. Stored answer
values: single choice a code; multiple choice a list of codes; rating and 0-10 an int or
"dont_know"; grid {statement: code}; ranking {code: rank}; number an int or float; date
"YYYY-MM-DD"; texts a string.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from core.errors import Refusal
from extensions import db
from panel.demographics.attributes import load_attributes, weighting_attributes
from panel.members.models import Member
from panel.staff.models import StaffUser
from surveys.answering.models import Answer, Response, ResponseMode
from surveys.questionnaires.conditions import visible
from surveys.questionnaires.models import (
    Option,
    Page,
    Question,
    Questionnaire,
)
from surveys.questionnaires.questions import option_order
from surveys.waves.models import Invitation

log = logging.getLogger(__name__)


class AnsweringClosed(Refusal):
    """The response cannot take answers: completed, or the wave is closed."""


class MembersOwnResponse(Refusal):
    """Staff may not open or change answers a member started giving online themselves."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- starting --------------------------------------------------------------------------


def _snapshot(member: Member | None, on: date) -> dict[str, Any]:
    if member is None:
        return {}
    return weighting_attributes(member.birth_year, member.attributes, load_attributes(), on)


def _insert_once(response: Response, existing: Any) -> Response:
    """Insert ``response`` (flushed, for the caller to commit), or return the one a
    concurrent request committed first."""
    db.session.add(response)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        found = db.session.scalar(existing)
        if found is None:  # the conflict was something else
            raise
        return found
    return response


def start_response(
    invitation: Invitation,
    language: str,
    now: datetime,
    mode: ResponseMode = ResponseMode.WEB,
    entered_by: StaffUser | None = None,
) -> Response:
    """The invitation's response, created on first use; idempotent and safe to race.

    Staff typing in paper or telephone answers (``mode``, ``entered_by``) continue a
    response staff started, never one the member started online: those answers are the
    member's own, and staff reading or rewriting them would be a breach nobody could see.
    The response and the invitation's start are committed together.
    """
    existing = select(Response).filter_by(invitation_id=invitation.id)
    response = db.session.scalar(existing)
    if response is None:
        wave = invitation.wave
        if invitation.started_at is None:
            invitation.started_at = now
        response = _insert_once(
            Response(
                questionnaire_id=wave.questionnaire_id,
                wave_id=wave.id,
                invitation_id=invitation.id,
                member_id=invitation.member_id,
                mode=mode,
                language=language,
                attributes=_snapshot(invitation.member, now.date()),
                started_at=now,
                entered_by_id=entered_by.id if entered_by else None,
            ),
            existing,
        )
        log.info("response %s started (invitation %s, %s)", response.id, invitation.id, mode)
        db.session.commit()
        return response  # the one that won a race set the invitation's start with it
    if entered_by is not None and response.entered_by_id is None:
        raise MembersOwnResponse(
            _("This member has started answering online; staff cannot open their answers.")
        )
    if invitation.started_at is None:
        invitation.started_at = now
        db.session.commit()
    return response


def start_public_response(
    questionnaire: Questionnaire, token: str, language: str, now: datetime
) -> Response:
    """An anonymous response through a public link, keyed by the respondent's resume token.

    The token comes from the start form, so submitting that form twice finds the response
    the first submission made.
    """
    digest = token_hash(token)
    existing = select(Response).filter_by(token_hash=digest)
    response = db.session.scalar(existing)
    if response is None:
        response = _insert_once(
            Response(
                questionnaire_id=questionnaire.id,
                mode=ResponseMode.PUBLIC,
                token_hash=digest,
                language=language,
                attributes={},
                started_at=now,
            ),
            existing,
        )
        db.session.commit()
    if response.questionnaire_id != questionnaire.id:
        raise AnsweringClosed(_("This link is not for this questionnaire."))
    return response


def count_responses(_sender: Any, questionnaire_ids: Collection[int] | None) -> dict[int, int]:
    """Answers ``surveys.questionnaires.signals.responses_counted``: responses per questionnaire."""
    query = select(Response.questionnaire_id, func.count()).group_by(Response.questionnaire_id)
    if questionnaire_ids is not None:
        query = query.where(Response.questionnaire_id.in_(questionnaire_ids))
    return {questionnaire_id: number for questionnaire_id, number in db.session.execute(query)}


# --- what is shown ---------------------------------------------------------------------


def answers_of(response: Response) -> dict[str, Any]:
    """The response's answers so far, question key -> value (read as plain rows)."""
    query = select(Answer.question_key, Answer.value).where(Answer.response_id == response.id)
    return {key: value for key, value in db.session.execute(query)}


def shown_questions(page: Page, answers: Mapping[str, Any]) -> list[Question]:
    """The page's questions whose conditions hold on ``answers`` (none if the page is hidden)."""
    if not visible(page.condition, dict(answers)):
        return []
    return [q for q in page.questions if visible(q.condition, dict(answers))]


def page_shown(page: Page, answers: Mapping[str, Any]) -> bool:
    return bool(shown_questions(page, answers))


def next_shown(questionnaire: Questionnaire, after: int, answers: Mapping[str, Any]) -> int | None:
    """Position of the first shown page after position ``after`` (-1: from the start)."""
    for page in questionnaire.pages[after + 1 :]:
        if page_shown(page, answers):
            return page.position
    return None


def previous_shown(
    questionnaire: Questionnaire, before: int, answers: Mapping[str, Any]
) -> int | None:
    for page in reversed(questionnaire.pages[:before]):
        if page_shown(page, answers):
            return page.position
    return None


def options_for(question: Question, response: Response) -> list[Option]:
    """The options in this respondent's order (shuffled reproducibly per response)."""
    return option_order(question, response.id)


# --- saving and completing -------------------------------------------------------------


def ensure_open(response: Response) -> None:
    if response.completed_at is not None:
        raise AnsweringClosed(_("These answers have already been sent."))


def save_answers(response: Response, page: Page, values: Mapping[str, Any]) -> None:
    """Store the page's answers (a None value removes an answer) and where to resume.

    Delete-then-insert of the page's keys in one transaction, so a repeated submission of
    the same page leaves exactly one answer per question. The caller has loaded the
    response with its row lock (``FOR UPDATE``, ``surveys.answering.links``; SQLite
    serialises writers anyway): without it, on PostgreSQL a double click's second request
    could not see the first's uncommitted answers to delete them, and its insert broke the
    unique (response, question) with a 500. With it, the second waits, then finds the
    response as the first left it (perhaps completed).
    """
    ensure_open(response)
    keys = list(values)
    if keys:
        db.session.execute(
            delete(Answer).where(Answer.response_id == response.id, Answer.question_key.in_(keys))
        )
    questions = {q.key: q for q in page.questions}
    rows = []
    for key, value in values.items():
        if value is None:
            continue
        question = questions[key]
        shown = (
            [o.code for o in options_for(question, response)]
            if question.randomise_options
            else None
        )
        rows.append(
            {"response_id": response.id, "question_key": key, "value": value, "shown_order": shown}
        )
    if rows:
        db.session.execute(insert(Answer), rows)


def go_to(response: Response, position: int) -> None:
    """Remember the page to resume at, and commit the page's answers with it."""
    response.current_page = position
    db.session.commit()


@dataclass(frozen=True)
class Incomplete:
    """Why a response cannot be completed yet: the first page with a missing answer."""

    page: Page
    keys: list[str]


def missing_answers(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> Incomplete | None:
    for page in questionnaire.pages:
        missing = [
            q.key
            for q in shown_questions(page, answers)
            if q.required and q.kind.answerable and q.key not in answers
        ]
        if missing:
            return Incomplete(page, missing)
    return None


def complete(response: Response, questionnaire: Questionnaire, now: datetime) -> Incomplete | None:
    """Complete the response if every shown required question has an answer.

    Returns what is missing instead, completing nothing. Answers to questions that are
    hidden on the final answers are dropped first. Completing twice is harmless. The
    response's attributes are not read again after the commit: the caller moves on.
    """
    if response.completed_at is not None:
        return None
    answers = answers_of(response)
    problem = missing_answers(questionnaire, answers)
    if problem is not None:
        return problem
    shown = {q.key for page in questionnaire.pages for q in shown_questions(page, answers)}
    hidden = [key for key in answers if key not in shown]
    if hidden:
        db.session.execute(
            delete(Answer).where(Answer.response_id == response.id, Answer.question_key.in_(hidden))
        )
    done = db.session.execute(
        update(Response)
        .where(Response.id == response.id, Response.completed_at.is_(None))
        .values(completed_at=now, current_page=len(questionnaire.pages))
    )
    if done.rowcount and response.invitation_id is not None:  # type: ignore[attr-defined]
        db.session.execute(
            update(Invitation)
            .where(Invitation.id == response.invitation_id, Invitation.completed_at.is_(None))
            .values(completed_at=now)
        )
    log.info("response %s completed (%s)", response.id, response.mode)
    db.session.commit()
    return None
