"""A closed wave's answers counted once, so that its summary does not group millions of rows.

Every summary figure rests on one set of counts: per question, how many respondents of
each profile (their attributes) gave each distinct answer. For an open wave the database
counts them on every view, with one GROUP BY over all the wave's answer rows. A closed
wave's answers no longer change, so ``tally_wave`` stores exactly those rows once
(``AnswerTally``) and ``counted_answers`` reads them: at 100,000 respondents × 40
questions a few hundred thousand rows instead of a GROUP BY over 4,000,000
(``bench/bench_results.py``). Both sources are the same SELECT, so they cannot differ.

A wave is tallied when it closes (``waves.operations.close_wave``), and when a closed wave is
weighted if it has no counts yet or its respondents changed since (``tally_if_stale``).
Nothing in the application changes a closed wave's counted
answers: no state leads out of CLOSED, the answering pages and staff entry refuse a
closed wave, and deleting a member keeps their answers. Whatever comes to change them
must call ``forget_tallies``. As a last guard ``WaveTally`` records how many respondents
were counted, and a wave that has another number now (an answer completed in the very
moment the wave closed) is counted live until it is tallied again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, Select, Text, cast, delete, func, insert, literal, select

from core.clock import utcnow
from extensions import db
from surveys.answering.models import Answer, Response
from surveys.questionnaires.models import Question
from surveys.questionnaires.types import SUMMARISED
from surveys.results.models import AnswerTally, WaveTally
from surveys.results.respondents import ATTRIBUTES_TEXT, respondent_filter
from surveys.waves.models import Wave

log = logging.getLogger(__name__)

#: (question key, attributes as JSON text, answer as JSON text or None, respondents).
Count = tuple[str, str, str | None, int]


def _live_counts(wave_id: int, keys: Any) -> Select[str, str, Any, int]:
    """The counts as the database groups them from the answers (``keys``: a list or a
    subquery of question keys)."""
    value = cast(Answer.value, Text)
    return (
        select(Answer.question_key, ATTRIBUTES_TEXT, value, func.count())
        .join(Response, Response.id == Answer.response_id)
        .where(*respondent_filter(wave_id), Answer.question_key.in_(keys))
        .group_by(Answer.question_key, ATTRIBUTES_TEXT, value)
    )


def counted_answers(wave_id: int, keys: Sequence[str], respondents: int) -> Sequence[Count]:
    """The wave's counts for these question keys, as plain tuples in no particular order:
    stored if the wave is tallied and still has the ``respondents`` it had then, else
    grouped live (an open wave).

    A large wave has some 340,000 counts, all of them text and integers that need no
    conversion, so they are taken straight from the driver's cursor: building a result row
    per count cost 0.4 s of a 2 s summary (``bench/bench_results.py``), sorting them 0.2 s.
    """
    tallied = _tallied(wave_id)
    if tallied == respondents:
        query = (
            select(AnswerTally.question_key, AnswerTally.attributes, AnswerTally.value,
                   AnswerTally.count)
            .where(AnswerTally.wave_id == wave_id, AnswerTally.question_key.in_(keys))
        )  # fmt: skip
    else:
        if tallied is not None:
            log.warning(
                "wave %s was tallied with %s respondents and has %s: counting live until it "
                "is tallied again (weighting it does)", wave_id, tallied, respondents,
            )  # fmt: skip
        query = _live_counts(wave_id, keys)
    result = db.session.connection().execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _tallied(wave_id: int) -> int | None:
    """How many respondents the wave's stored counts are for (None: not tallied)."""
    return db.session.scalar(select(WaveTally.respondents).filter_by(wave_id=wave_id))


def tally_if_stale(wave_id: int, respondents: int) -> None:
    """Tally the wave unless its stored counts are for these ``respondents`` already: counts
    do not depend on weights, so weighting a closed wave again need not count 4,000,000
    answers again (13 s at 100,000 respondents), only a wave never tallied or whose
    respondents changed since."""
    if _tallied(wave_id) != respondents:
        tally_wave(wave_id)


def _lock(wave_id: int) -> int:
    """Lock the wave's row until the transaction ends (PostgreSQL; SQLite writes one at a
    time anyway), so two processes tallying or forgetting one wave take turns; returns its
    questionnaire's id."""
    return db.session.execute(
        select(Wave.questionnaire_id).where(Wave.id == wave_id).with_for_update()
    ).scalar_one()


def forget_tallies(wave_id: int) -> None:
    """Drop the wave's counts and its marker (caller commits): its summary counts live again.

    Call this from anything that changes which answers of a closed wave count.
    """
    _lock(wave_id)
    _drop(wave_id)


def _drop(wave_id: int) -> None:
    db.session.execute(delete(WaveTally).where(WaveTally.wave_id == wave_id))
    db.session.execute(delete(AnswerTally).where(AnswerTally.wave_id == wave_id))


def tally_wave(wave_id: int) -> int:
    """Count the wave's answers to its summarised questions and store the counts, replacing
    any earlier ones; the caller commits. Returns the rows stored.

    One INSERT ... SELECT inside the database, so no answer passes through Python. The
    respondents are counted before the answers: an answer completed in between makes the
    marker's number smaller than the wave's, and the summary counts live, never stale.
    """
    questionnaire_id = _lock(wave_id)
    _drop(wave_id)
    respondents = select(func.count()).select_from(Response).where(*respondent_filter(wave_id))
    db.session.execute(
        insert(WaveTally).values(
            wave_id=wave_id, tallied_at=utcnow(), respondents=respondents.scalar_subquery()
        )
    )
    keys = select(Question.key).where(
        Question.questionnaire_id == questionnaire_id, Question.type.in_(SUMMARISED)
    )
    counts = _live_counts(wave_id, keys).add_columns(literal(wave_id, Integer))
    stored = db.session.execute(
        insert(AnswerTally)
        .from_select(["question_key", "attributes", "value", "count", "wave_id"], counts)
        .execution_options(preserve_rowcount=True)  # an INSERT's is not kept otherwise
    )
    rows = int(stored.rowcount)  # type: ignore[attr-defined]
    log.info("wave %s tallied: %s counts", wave_id, rows)
    return rows
