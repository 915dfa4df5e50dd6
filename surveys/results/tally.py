"""A closed wave's answers counted once, so that its summary does not group millions of rows.

Every summary figure rests on one set of counts: per question, how many respondents of
each profile (their attributes) gave each distinct answer. For an open wave the database
counts them on every view, with one GROUP BY over all the wave's answer rows
(``_live_counts``). A closed wave's answers no longer change, so ``tally_wave`` stores
exactly those rows once (``AnswerTally``) and ``counted_answers`` reads them: at 100,000
respondents × 40 questions a few hundred thousand rows instead of a GROUP BY over
4,000,000 (``bench/bench_results.py``).

That GROUP BY took 10 s there, too long even once: the database carried 70 bytes of
attribute text with each of the 4,000,000 answers and grouped them into 336,497 groups,
which PostgreSQL's hash table spilled to disk (350 MB) and SQLite sorted whole. Yet a
wave has few distinct answers (369 (question, answer) pairs there) and everyone with the
same attributes (a profile; 912 there) counts alike. So closing counts in three steps:
the respondents are read once and numbered by profile (``respondent_profiles``); the
database lists who gave each distinct (question, answer) pair, with no attributes
(``_listed_postgresql``, ``_listed_sqlite``); numpy turns each respondent into their
profile and counts the (pair, profile) cells (``count_answers``). The rows are the live
GROUP BY's rows, texts as the database casts them and all.

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
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import (
    Column,
    Integer,
    LargeBinary,
    MetaData,
    Select,
    Table,
    Text,
    cast,
    delete,
    func,
    insert,
    select,
    text,
)

from core.clock import utcnow
from extensions import db
from panel.members.bulk import bulk_insert, integer_list, read_integer_lists
from surveys.answering.models import Answer, Response
from surveys.questionnaires.models import Question
from surveys.questionnaires.types import SUMMARISED
from surveys.results.models import AnswerTally, WaveTally
from surveys.results.respondents import ATTRIBUTES_TEXT, respondent_filter
from surveys.waves.models import Wave

log = logging.getLogger(__name__)

#: (question key, attributes as JSON text, answer as JSON text or None, respondents).
Count = tuple[str, str, str | None, int]

#: An answer as JSON text, as the live count and the stored tally have it.
VALUE_TEXT = cast(Answer.value, Text)


def _live_counts(wave_id: int, keys: Any) -> Select[str, str, Any, int]:
    """The counts as the database groups them from the answers (``keys``: a list or a
    subquery of question keys)."""
    return (
        select(Answer.question_key, ATTRIBUTES_TEXT, VALUE_TEXT, func.count())
        .join(Response, Response.id == Answer.response_id)
        .where(*respondent_filter(wave_id), Answer.question_key.in_(keys))
        .group_by(Answer.question_key, ATTRIBUTES_TEXT, VALUE_TEXT)
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

    The respondents are read first and only their answers are counted, so the marker's
    number is exactly the respondents counted: one who completes in between makes the
    wave's number larger, and its summary is counted live, never stale. The counts are
    written in bulk (``COPY`` on PostgreSQL).
    """
    questionnaire_id = _lock(wave_id)
    _drop(wave_id)
    profiles = respondent_profiles(wave_id)
    db.session.execute(
        insert(WaveTally).values(
            wave_id=wave_id, tallied_at=utcnow(), respondents=profiles.respondents
        )
    )
    keys = db.session.scalars(
        select(Question.key).where(
            Question.questionnaire_id == questionnaire_id, Question.type.in_(SUMMARISED)
        )
    ).all()
    counts = count_answers(keys, profiles)
    bulk_insert(
        AnswerTally,
        [
            {"wave_id": wave_id, "question_key": key, "attributes": attributes,
             "value": value, "count": count}
            for key, attributes, value, count in counts
        ],
        ids=False,
    )  # fmt: skip
    log.info("wave %s tallied: %s counts", wave_id, len(counts))
    return len(counts)


@dataclass(frozen=True)
class Profiles:
    """A wave's respondents numbered by profile (their attributes as stored)."""

    #: Each profile's attributes as ``respondents.ATTRIBUTES_TEXT`` gives them.
    texts: list[str]
    #: The lowest respondent id; ``of[id - first]`` is that respondent's profile number.
    first: int
    #: Respondent id - ``first`` -> profile number; -1 for an id that is no respondent.
    of: np.ndarray
    #: How many respondents there are.
    respondents: int

    @property
    def last(self) -> int:
        return self.first + len(self.of) - 1


def respondent_profiles(wave_id: int) -> Profiles:
    """The wave's respondents by profile: the database gives one row per profile with its
    respondents' ids, as the wave sampling reads its frame."""
    rows = db.session.execute(
        select(ATTRIBUTES_TEXT, integer_list(Response.id))
        .where(*respondent_filter(wave_id))
        .group_by(ATTRIBUTES_TEXT)
    ).all()
    ids, sizes = read_integer_lists([listed for _, listed in rows])
    first = int(ids.min()) if len(ids) else 0
    # a slot per id in the respondents' range: their ids lie close together, as a wave's
    # responses are created in the weeks it is open
    of = np.full(int(ids.max()) - first + 1 if len(ids) else 0, -1, dtype=np.int32)
    of[ids - first] = np.repeat(np.arange(len(rows), dtype=np.int32), sizes)
    return Profiles([attributes for attributes, _ in rows], first, of, len(ids))


def count_answers(keys: Sequence[str], profiles: Profiles) -> list[Count]:
    """How many respondents of each profile in ``profiles`` gave each answer to the
    questions ``keys``: one row per (question, profile, answer) that occurs.

    The database reads the answers of the respondents' range of ids, which holds no
    one else's unless waves ran side by side; an answer of anyone who is not among
    ``profiles`` (someone else's, or a response completed after they were read) is
    not counted, so the counts are exactly those of the respondents read.
    """
    if not keys or not profiles.texts:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        pairs, pair, respondent = _listed_postgresql(profiles, keys)
    else:
        pairs, pair, respondent = _listed_sqlite(profiles, keys)
    profile = profiles.of[respondent - profiles.first]  # the lists keep to first..last
    counted = profile >= 0
    width = len(profiles.texts)
    cell = pair[counted] * width + profile[counted]
    if len(pairs) * width <= len(cell):  # an array of every cell is no longer than the answers
        counts = np.bincount(cell, minlength=len(pairs) * width)
        cells = np.flatnonzero(counts)
        counts = counts[cells]
    else:
        cells, counts = np.unique(cell, return_counts=True)
    which, whose = np.divmod(cells, width)
    texts = profiles.texts
    return [
        (pairs[p][0], texts[w], pairs[p][1], n)
        for p, w, n in zip(which.tolist(), whose.tolist(), counts.tolist(), strict=True)
    ]


#: The distinct (question key, answer text) pairs, and per answer its pair's number and
#: its respondent's id.
Listed = tuple[list[tuple[str, str | None]], np.ndarray, np.ndarray]


def _listed_postgresql(profiles: Profiles, keys: Sequence[str]) -> Listed:
    """One GROUP BY (question, answer), each group listing its respondents' ids as 4-byte
    integers (``int4send``): a few hundred groups, and the ids come as bytes that numpy
    takes as they are.

    At 100,000 respondents (``bench/bench_results.py``) listing the ids as text cost 0.9 s
    more, and as an array 0.7 s more in making them Python integers; joining the responses
    to keep to respondents' answers cost 0.8 s more than reading the range of their ids.
    The lists take some 30 MB, which at the default ``work_mem`` (4 MB) went to disk.
    """
    db.session.execute(text("SET LOCAL work_mem = '64MB'"))
    ids = func.string_agg(func.int4send(Answer.response_id), b"", type_=LargeBinary)
    rows = db.session.execute(
        select(Answer.question_key, VALUE_TEXT, ids)
        .where(
            Answer.response_id.between(profiles.first, profiles.last),
            Answer.question_key.in_(keys),
        )
        .group_by(Answer.question_key, VALUE_TEXT)
    ).all()
    listed = [np.frombuffer(row[2], dtype=">i4") for row in rows]
    pair = np.repeat(np.arange(len(rows)), [len(ids) for ids in listed])
    respondent = np.concatenate(listed).astype(np.int64) if listed else np.zeros(0, np.int64)
    return [(row[0], row[1]) for row in rows], pair, respondent


#: The distinct (question, answer) pairs of a wave being counted, numbered (SQLite).
_PAIRS = Table(
    "tally_pair",
    MetaData(),
    Column("question_key", Text, primary_key=True),
    Column("value", Text, primary_key=True),
    Column("number", Integer, nullable=False),
    prefixes=["TEMPORARY"],
    sqlite_with_rowid=False,
)


def _listed_sqlite(profiles: Profiles, keys: Sequence[str]) -> Listed:
    """Two scans of the answers, as SQLite groups only by sorting them all (that sort was
    most of the 10 s): the first collects the distinct pairs (SELECT DISTINCT keeps them in
    a small index as it goes), the second lists each answer as its respondent's id and
    pair number, looked up in a temporary table of the pairs, in one string of integers.

    ``answer.response_id + 0`` keeps SQLite from reading the range through the (response,
    question) index, which it does not know covers most of the table: 1.7 s a scan
    instead of 0.7 s at 100,000 respondents.
    """
    in_range = (Answer.response_id + 0).between(profiles.first, profiles.last)
    rows = db.session.execute(
        select(Answer.question_key, VALUE_TEXT)
        .distinct()
        .where(in_range, Answer.question_key.in_(keys))
    ).all()
    pairs: list[tuple[str, str | None]] = [(row[0], row[1]) for row in rows]
    if not pairs:
        return [], np.zeros(0, np.int64), np.zeros(0, np.int64)
    connection = db.session.connection()
    _PAIRS.create(connection, checkfirst=True)
    try:
        connection.execute(
            _PAIRS.insert(),
            [{"question_key": q, "value": v, "number": i} for i, (q, v) in enumerate(pairs)],
        )
        listed = connection.scalar(
            select(integer_list(Answer.response_id * len(pairs) + _PAIRS.c.number))
            .join(
                _PAIRS,
                (_PAIRS.c.question_key == Answer.question_key) & (_PAIRS.c.value == VALUE_TEXT),
            )
            .where(in_range)
        )
    finally:
        _PAIRS.drop(connection)
    cells, _ = read_integer_lists([listed])
    respondent, pair = np.divmod(cells, len(pairs))
    return pairs, pair, respondent
