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

Form values are read and checked here (``read_page``), with messages in the respondent's
language (the caller renders inside ``force_locale``), so the views only move data.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from extensions import db
from panel.demographics import load_attributes, weighting_attributes
from panel.models import Member, StaffUser
from surveys.conditions import visible
from surveys.models import (
    Answer,
    Option,
    Page,
    Question,
    Questionnaire,
    QuestionnaireState,
    QuestionType,
    Response,
    ResponseMode,
)
from surveys.questions import option_order
from surveys.wave_models import Invitation

log = logging.getLogger(__name__)
T = QuestionType

#: Longest answers kept, in characters: a tweet-length line, and a few pages of text.
SHORT_TEXT_MAX = 500
LONG_TEXT_MAX = 10_000
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y")


class _RuleBroken(ValueError):
    """An answer outside the question's own rule (bounds, pattern): its message applies."""


class AnsweringClosed(Exception):
    """The response cannot take answers: completed, or the wave is closed."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- starting --------------------------------------------------------------------------


def _snapshot(member: Member | None, on: date) -> dict[str, Any]:
    if member is None:
        return {}
    return weighting_attributes(member.birth_year, member.attributes, load_attributes(), on)


def _insert_once(response: Response, existing: Any) -> Response:
    """Insert ``response``, or return the one a concurrent request inserted first."""
    db.session.add(response)
    try:
        db.session.commit()
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

    Staff typing in paper or telephone answers (``mode``, ``entered_by``) take over a
    response the member left unfinished; the mode then says how it was completed.
    """
    existing = select(Response).filter_by(invitation_id=invitation.id)
    response = db.session.scalar(existing)
    if response is None:
        wave = invitation.wave
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
    elif entered_by is not None and response.completed_at is None:
        response.mode, response.entered_by_id = mode, entered_by.id
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
    response = db.session.scalar(existing) or _insert_once(
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
    if response.questionnaire_id != questionnaire.id:
        raise AnsweringClosed("token belongs to another questionnaire")
    return response


def toggle_public_link(questionnaire: Questionnaire) -> bool:
    """Open the questionnaire's public link with a new address, or close it; True if opened.

    Closing forgets the address, so a link passed around after a consultation ends leads
    nowhere, and reopening gives a new one.
    """
    if questionnaire.public_token is not None:
        questionnaire.public_token = None
    elif questionnaire.state not in (QuestionnaireState.READY, QuestionnaireState.IN_USE):
        raise AnsweringClosed(f"questionnaire {questionnaire.id} is {questionnaire.state}")
    else:
        questionnaire.public_token = secrets.token_urlsafe(16)
    db.session.commit()
    log.info("questionnaire %s public link %s", questionnaire.id,
             "opened" if questionnaire.public_token else "closed")  # fmt: skip
    return questionnaire.public_token is not None


def find_public_response(token: str) -> Response | None:
    return db.session.scalar(select(Response).filter_by(token_hash=token_hash(token)))


def load_questionnaire(questionnaire_id: int) -> Questionnaire:
    """The questionnaire with its pages, questions and options in three queries.

    Every answering request walks the whole structure (conditions, progress); loading it
    lazily cost a query per page and per question (bench/RESULTS.md, Answering).
    """
    questionnaire = db.session.scalar(
        select(Questionnaire)
        .where(Questionnaire.id == questionnaire_id)
        .options(selectinload(Questionnaire.pages).selectinload(Page.questions).selectinload(
            Question.options))
    )  # fmt: skip
    if questionnaire is None:
        raise LookupError(f"no questionnaire {questionnaire_id}")
    return questionnaire


# --- what is shown ---------------------------------------------------------------------


def answers_of(response: Response) -> dict[str, Any]:
    return {a.question_key: a.value for a in response.answers}


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


# --- reading a submitted page ----------------------------------------------------------


@dataclass
class PageInput:
    """What a submitted page holds: clean values per shown question, and messages."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)


def _text(texts: Mapping[str, str], language: str) -> str:
    return texts.get(language) or next(iter(texts.values()), "")


def _choice(question: Question, raw: str, codes: Iterable[str]) -> str:
    if raw not in set(codes):
        raise ValueError(_("Choose one of the options."))
    return raw


def _number(question: Question, raw: str) -> int | float:
    text = raw.replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise ValueError(_("Enter a number, for example 12 or 3,5.")) from None
    if question.whole_numbers and not number.is_integer():
        raise ValueError(_("Enter a whole number."))
    low, high = question.min_value, question.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        raise _RuleBroken
    return int(number) if number.is_integer() else number


def _scale(question: Question, raw: str, low: int, high: int) -> int | str:
    if question.dont_know and raw == "dont_know":
        return raw
    if not raw.lstrip("-").isdigit() or not low <= int(raw) <= high:
        raise ValueError(_("Choose one of the options."))
    return int(raw)


def _date(raw: str) -> str:
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, pattern).date().isoformat()
        except ValueError:
            continue
    raise ValueError(_("Enter a date as day-month-year, for example 31-12-1990."))


def _text_answer(question: Question, raw: str, limit: int) -> str:
    if len(raw) > limit:
        raise ValueError(_("Please keep it under %(n)d characters.", n=limit))
    if question.pattern and not re.fullmatch(question.pattern, raw):
        raise _RuleBroken
    return raw


def _multiple(question: Question, chosen: list[str]) -> list[str] | None:
    codes = [o.code for o in question.choices]
    if any(code not in codes for code in chosen):
        raise ValueError(_("Choose among the options."))
    picked = [code for code in codes if code in chosen]  # the questionnaire's order
    low, high = question.min_selections, question.max_selections
    if picked and low is not None and len(picked) < low:
        raise ValueError(_("Choose at least %(n)d.", n=low))
    if high is not None and len(picked) > high:
        raise ValueError(_("Choose at most %(n)d.", n=high))
    return picked or None


def _grid(question: Question, form: Mapping[str, str]) -> dict[str, str] | None:
    scale = {o.code for o in question.choices}
    given = {}
    for statement in question.statements:
        raw = form.get(f"{question.key}.{statement.code}", "").strip()
        if raw:
            given[statement.code] = _choice(question, raw, scale)
    if question.required and given and len(given) < len(question.statements):
        raise ValueError(_("Please answer every statement."))
    return given or None


def _ranking(question: Question, form: Mapping[str, str]) -> dict[str, int] | None:
    ranks: dict[str, int] = {}
    for option in question.choices:
        raw = form.get(f"{question.key}.{option.code}", "").strip()
        if raw:
            if not raw.isdigit():
                raise ValueError(_("Give each number once, starting at 1."))
            ranks[option.code] = int(raw)
    if sorted(ranks.values()) != list(range(1, len(ranks) + 1)):
        raise ValueError(_("Give each number once, starting at 1."))
    if question.required and ranks and len(ranks) < len(question.choices):
        raise ValueError(_("Please rank every option."))
    return ranks or None


def read_answer(question: Question, form: Any) -> Any:
    """The clean value of one question from a submitted form (None: not answered).

    ``form`` is a MultiDict (``request.form``); raises ValueError with the message to show.
    """
    if question.type is T.MULTIPLE_CHOICE:
        return _multiple(question, [v.strip() for v in form.getlist(question.key) if v.strip()])
    if question.type is T.GRID:
        return _grid(question, form)
    if question.type is T.RANKING:
        return _ranking(question, form)
    raw = str(form.get(question.key, "")).strip()
    if not raw or question.type is T.INFORMATION:
        return None
    if question.type is T.SINGLE_CHOICE:
        return _choice(question, raw, (o.code for o in question.choices))
    if question.type is T.RATING:
        return _scale(question, raw, int(question.min_value or 1), int(question.max_value or 5))
    if question.type is T.SCALE_0_10:
        return _scale(question, raw, 0, 10)
    if question.type is T.NUMBER:
        return _number(question, raw)
    if question.type is T.DATE:
        return _date(raw)
    limit = SHORT_TEXT_MAX if question.type is T.SHORT_TEXT else LONG_TEXT_MAX
    return _text_answer(question, raw, limit)


def _rule_message(question: Question, language: str) -> str:
    """The questionnaire's own message for a broken rule, else a plain one that says the rule."""
    own = _text(question.validation_message, language)
    if own:
        return own
    if question.type is T.NUMBER:
        low, high = question.min_value, question.max_value
        if low is not None and high is not None:
            return _("Enter a number from %(low)s to %(high)s.", low=f"{low:g}", high=f"{high:g}")
        if low is not None:
            return _("Enter a number of at least %(low)s.", low=f"{low:g}")
        return _("Enter a number of at most %(high)s.", high=f"{high:g}")
    return _("The answer is not in the expected form.")


def read_page(
    questions: Iterable[Question], form: Any, language: str, check_required: bool = True
) -> PageInput:
    """Read and check the answers to ``questions`` (those shown on the page)."""
    result = PageInput()
    for question in questions:
        if question.type is T.INFORMATION:
            continue
        try:
            value = read_answer(question, form)
        except _RuleBroken:
            result.errors[question.key] = [_rule_message(question, language)]
            continue
        except ValueError as error:
            result.errors[question.key] = [str(error)]
            continue
        if value is None and question.required and check_required:
            result.errors[question.key] = [_("Please answer this question.")]
        result.values[question.key] = value
    return result


# --- saving and completing -------------------------------------------------------------


def ensure_open(response: Response) -> None:
    if response.completed_at is not None:
        raise AnsweringClosed(f"response {response.id} is completed")


def save_answers(response: Response, page: Page, values: Mapping[str, Any]) -> None:
    """Store the page's answers (a None value removes an answer) and where to resume.

    Delete-then-insert of the page's keys in one transaction, so a repeated submission of
    the same page leaves exactly one answer per question.
    """
    ensure_open(response)
    keys = list(values)
    if keys:
        db.session.execute(
            delete(Answer).where(Answer.response_id == response.id, Answer.question_key.in_(keys))
        )
    questions = {q.key: q for q in page.questions}
    for key, value in values.items():
        if value is None:
            continue
        question = questions[key]
        shown = (
            [o.code for o in options_for(question, response)]
            if question.randomise_options
            else None
        )
        db.session.add(
            Answer(response_id=response.id, question_key=key, value=value, shown_order=shown)
        )
    db.session.expire(response, ["answers"])


def go_to(response: Response, position: int) -> None:
    """Remember the page to resume at, and commit the page's answers with it."""
    response.current_page = position
    db.session.commit()


@dataclass(frozen=True)
class Incomplete:
    """Why a response cannot be completed yet: the first page with a missing answer."""

    page: Page
    keys: list[str]


def missing_answers(response: Response) -> Incomplete | None:
    answers = answers_of(response)
    for page in response.questionnaire.pages:
        missing = [
            q.key
            for q in shown_questions(page, answers)
            if q.required and q.type is not T.INFORMATION and q.key not in answers
        ]
        if missing:
            return Incomplete(page, missing)
    return None


def complete(response: Response, now: datetime) -> Incomplete | None:
    """Complete the response if every shown required question has an answer.

    Returns what is missing instead, completing nothing. Answers to questions that are
    hidden on the final answers are dropped first. Completing twice is harmless.
    """
    if response.completed_at is not None:
        return None
    problem = missing_answers(response)
    if problem is not None:
        return problem
    answers = answers_of(response)
    shown = {q.key for page in response.questionnaire.pages for q in shown_questions(page, answers)}
    hidden = [key for key in answers if key not in shown]
    if hidden:
        db.session.execute(
            delete(Answer).where(Answer.response_id == response.id, Answer.question_key.in_(hidden))
        )
    done = db.session.execute(
        update(Response)
        .where(Response.id == response.id, Response.completed_at.is_(None))
        .values(completed_at=now, current_page=len(response.questionnaire.pages))
    )
    if done.rowcount and response.invitation_id is not None:  # type: ignore[attr-defined]
        db.session.execute(
            update(Invitation)
            .where(Invitation.id == response.invitation_id, Invitation.completed_at.is_(None))
            .values(completed_at=now)
        )
    db.session.commit()
    db.session.refresh(response)
    log.info("response %s completed (%s)", response.id, response.mode)
    return None
