"""Quotes: the free-text answers staff chose to publish, in the words staff edited.

Free text is never shown outside the staff pages by default: a politician or the public
sees a free-text answer only as a ``Quote`` that staff marked published, and only its
edited text (staff remove names and other details that could identify someone).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select

from core.i18n import text_in
from extensions import db
from surveys.answering.models import Answer, Response
from surveys.publishing.models import Quote
from surveys.questionnaires.models import Question
from surveys.results.respondents import respondent_filter
from surveys.waves.models import Wave

log = logging.getLogger(__name__)


def free_text_questions(wave: Wave) -> list[Question]:
    return [q for q in wave.questionnaire.questions if q.kind.free_text]


@dataclass(frozen=True)
class Candidate:
    """A free-text answer as the staff page lists it, with its quote if staff made one."""

    answer_id: int
    text: str
    quote: Quote | None


def candidates(
    wave: Wave, question_key: str, offset: int, limit: int
) -> tuple[list[Candidate], int]:
    """A page of the question's non-empty answers in the wave, and how many there are."""
    query = (
        select(Answer.id, Answer.value)
        .join(Response, Response.id == Answer.response_id)
        .where(*respondent_filter(wave.id), Answer.question_key == question_key)
    )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(query.order_by(Answer.id).offset(offset).limit(limit)).all()
    quotes = {
        q.answer_id: q
        for q in db.session.scalars(select(Quote).where(Quote.answer_id.in_([r[0] for r in rows])))
    }
    return [Candidate(i, str(value or ""), quotes.get(i)) for i, value in rows], total


def save_quotes(wave: Wave, question_key: str, choices: Mapping[int, tuple[bool, str]]) -> int:
    """Publish (True) or withdraw (False) each answer's quote with its edited text; answers
    must belong to this wave and question. Returns how many quotes are published now."""
    valid = set(
        db.session.scalars(
            select(Answer.id)
            .join(Response, Response.id == Answer.response_id)
            .where(*respondent_filter(wave.id), Answer.question_key == question_key,
                   Answer.id.in_(list(choices)))
        )
    )  # fmt: skip
    existing = {
        q.answer_id: q for q in db.session.scalars(select(Quote).where(Quote.answer_id.in_(valid)))
    }
    for answer_id in valid:
        publish, text = choices[answer_id]
        quote = existing.get(answer_id)
        if quote is None and not publish:
            continue
        if quote is None:
            quote = Quote(answer_id=answer_id, wave_id=wave.id, question_key=question_key)
            db.session.add(quote)
        quote.published = publish and bool(text.strip())
        quote.text = text.strip()
    db.session.flush()
    published = db.session.scalar(
        select(func.count()).where(Quote.wave_id == wave.id, Quote.question_key == question_key,
                                   Quote.published.is_(True))
    )  # fmt: skip
    log.info("wave %s: %s quotes published for %s", wave.id, published, question_key)
    return published or 0


def published_quotes(wave: Wave, language: str) -> list[tuple[str, list[str]]]:
    """Per free-text question (in questionnaire order): its text and the published quotes."""
    texts: dict[str, list[str]] = {}
    for key, text in db.session.execute(
        select(Quote.question_key, Quote.text)
        .where(Quote.wave_id == wave.id, Quote.published.is_(True))
        .order_by(Quote.id)
    ):
        texts.setdefault(key, []).append(text)
    return [
        (text_in(q.text, language), texts[q.key])
        for q in free_text_questions(wave)
        if q.key in texts
    ]
