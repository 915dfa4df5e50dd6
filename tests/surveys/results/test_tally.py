"""A closed wave's answers counted once (``surveys.results.tally``): the summary read from
the stored counts is the summary counted live, closing a wave stores them, and no change
to a closed wave's answers leaves its figures stale."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from flask_babel import force_locale
from sqlalchemy import event, func, select

from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.demographics.models import PopulationTable
from panel.members.operations import delete_member
from surveys.answering.models import Answer, Response, ResponseMode
from surveys.demo.build import build_demo
from surveys.questionnaires.models import (
    Option,
    OptionKind,
    Page,
    Question,
    Questionnaire,
    QuestionnaireState,
    QuestionType,
)
from surveys.results import tally
from surveys.results.models import AnswerTally, WaveTally, WeightingMethod
from surveys.results.summary import Summary, breakdown_groups, summarise
from surveys.results.tally import counted_answers, forget_tallies, tally_wave
from surveys.results.weighting import weight_wave
from surveys.waves.jobs import run_waves
from surveys.waves.models import Wave, WaveState
from tests.factories import MemberFactory
from tests.factories.results import closed_wave, population

T = QuestionType
EDUCATION = {"long": 0.45, "short": 0.35, "upper": 0.2}


def survey() -> Questionnaire:
    """One question of every summarised type, and a free-text one."""
    q = Questionnaire(title={"en": "Tally"}, state=QuestionnaireState.IN_USE)
    page = Page()
    q.pages.append(page)

    def ask(key: str, kind: QuestionType, choices: str = "", statements: str = "", **kw: Any):
        question = Question(
            questionnaire=q, key=key, type=kind, text={"en": key}, **kw,
            concept=f"5b0a8c7e-0000-4000-8000-0000000071{len(page.questions):02d}",
        )  # fmt: skip
        question.options.extend(Option(code=c, label={"en": c}) for c in choices.split())
        question.options.extend(
            Option(code=s, label={"en": s}, kind=OptionKind.STATEMENT) for s in statements.split()
        )
        page.questions.append(question)

    ask("party", T.SINGLE_CHOICE, "a b c")
    ask("topics", T.MULTIPLE_CHOICE, "x y z")
    ask("trust", T.SCALE_0_10, dont_know=True)
    ask("roads", T.GRID, "good bad", "s1 s2")
    ask("rank", T.RANKING, "p q r")
    ask("km", T.NUMBER)
    ask("wish", T.LONG_TEXT)
    db.session.add(q)
    return q


def answers(rng: np.random.Generator) -> dict[str, Any]:
    """Random answers to ``survey``; each question skipped now and then."""
    given: dict[str, Any] = {
        "party": str(rng.choice(["a", "b", "c"])),
        "topics": sorted({str(rng.choice(["x", "y", "z"])) for _ in range(2)}),
        "trust": "dont_know" if rng.random() < 0.1 else int(rng.integers(0, 11)),
        "roads": {"s1": str(rng.choice(["good", "bad"]))}
        | ({"s2": str(rng.choice(["good", "bad"]))} if rng.random() < 0.7 else {}),
        "rank": dict(zip("pqr", (int(r) for r in rng.permutation(3) + 1), strict=True)),
        "km": float(rng.integers(0, 40)) / 2,
        "wish": f"Flere busser {int(rng.integers(0, 1000))}",
    }
    return {key: value for key, value in given.items() if rng.random() < 0.9}


def respond(wave: Wave, rng: np.random.Generator, count: int, **kw: Any) -> list[Response]:
    """``count`` responses completed the day before the wave closed (``kw`` overrides)."""
    made = []
    given = {"wave_id": wave.id, "mode": ResponseMode.WEB,
             "completed_at": wave.closes_at - timedelta(days=1), **kw}  # fmt: skip
    for _ in range(count):
        education = str(rng.choice(list(EDUCATION), p=list(EDUCATION.values())))
        response = Response(
            questionnaire_id=wave.questionnaire_id,
            attributes={"gender": str(rng.choice(["f", "m"])), "education": education},
            **given,
        )
        response.answers.extend(
            Answer(question_key=key, value=value) for key, value in answers(rng).items()
        )
        db.session.add(response)
        made.append(response)
    db.session.flush()
    return made


@pytest.fixture
def wave(app) -> Wave:
    """A closed, weighted wave of 200 respondents, and 3 with basic education only."""
    install_default_attributes()
    wave = closed_wave(questionnaire=survey())
    rng = np.random.default_rng(7)
    respond(wave, rng, 200)
    for response in respond(wave, rng, 3):
        response.attributes = {**response.attributes, "education": "basic"}
    population({"f": 520, "m": 480})
    db.session.commit()
    return wave


def weigh(wave: Wave) -> None:
    table = db.session.scalar(select(PopulationTable))
    weight_wave(wave, WeightingMethod.RAKE, ["gender"], table)
    db.session.commit()


def summary(wave: Wave) -> Summary:
    with force_locale("en"):
        by, groups = breakdown_groups("education", "en")
        return summarise(wave, "en", by, groups)


def figures(summary: Summary) -> tuple[list[tuple[Any, ...]], list[float]]:
    """Every table row as (question, table, row, n, hidden, which cells are empty), and
    every estimate and standard error, weighted and unweighted, in order."""
    rows, numbers = [], []
    for question in summary.questions:
        for table in question.overall + question.breakdown:
            for row in table.rows:
                cells = row.cells + row.unweighted
                rows.append((question.key, table.id, row.label, row.n, row.hidden,
                             tuple(cell is None for cell in cells)))  # fmt: skip
                for cell in cells:
                    if cell is not None:
                        numbers.extend([cell.estimate, cell.se, cell.n])
    return rows, numbers


def assert_same(tallied: Summary, live: Summary) -> None:
    assert (tallied.respondents, tallied.weighted) == (live.respondents, live.weighted)
    rows, numbers = figures(tallied)
    live_rows, live_numbers = figures(live)
    assert rows == live_rows
    np.testing.assert_allclose(numbers, live_numbers, rtol=1e-9, atol=1e-12, equal_nan=True)


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def reads_answers(seen: list[str]) -> bool:
    """Whether a statement read the answer table itself (not the tallies)."""
    return any(re.search(r"\b(FROM|JOIN) answer\b(?!_)", s) for s in seen)


def stored(wave: Wave) -> Counter[tuple[str, str, str | None, int]]:
    return Counter(
        db.session.execute(
            select(AnswerTally.question_key, AnswerTally.attributes, AnswerTally.value,
                   AnswerTally.count).filter_by(wave_id=wave.id)
        ).all()
    )  # fmt: skip


def test_the_summary_from_the_stored_counts_is_the_live_summary(wave):
    weigh(wave)  # weighting a closed wave counts its answers
    assert db.session.get(WaveTally, wave.id).respondents == 203
    with statements() as seen:
        tallied = summary(wave)
    assert not reads_answers(seen)  # every count came from the tallies
    assert tallied.weighted and tallied.respondents == 203

    forget_tallies(wave.id)
    db.session.commit()
    with statements() as seen:
        live = summary(wave)
    assert reads_answers(seen)
    assert_same(tallied, live)
    tally_wave(wave.id)  # free text is never summarised, so never stored
    assert {key for key, *_ in stored(wave)} == {"party", "topics", "trust", "roads", "rank", "km"}


def test_small_groups_stay_hidden_in_the_summary_from_the_stored_counts(wave):
    weigh(wave)
    party = next(q for q in summary(wave).questions if q.key == "party")
    rows = {row.label: row for row in party.breakdown[0].rows}
    basic = rows["Primary and lower secondary"]
    assert basic.hidden and basic.cells == [None, None, None] and basic.n == 3
    # "upper" is the smallest other group: hidden too, or 3 could be recovered from the total
    smallest = min((r for r in rows.values() if r is not basic and r.n), key=lambda r: r.n)
    assert smallest.hidden and smallest.cells == [None, None, None]
    assert sum(not row.hidden for row in rows.values()) == 2


def test_tallying_again_stores_the_same_counts_once(wave):
    tally_wave(wave.id)
    db.session.commit()
    first = stored(wave)
    assert first and all(count > 0 for (*_, count) in first)
    tally_wave(wave.id)
    tally_wave(wave.id)
    db.session.commit()
    assert stored(wave) == first
    assert max(first.values()) == 1  # no (question, attributes, answer) twice
    total = db.session.scalar(
        select(func.sum(AnswerTally.count)).filter_by(wave_id=wave.id, question_key="party")
    )
    answered = db.session.scalar(
        select(func.count()).select_from(Answer).filter_by(question_key="party")
    )
    assert total == answered
    assert db.session.scalar(select(func.count()).select_from(WaveTally)) == 1


def test_closing_stores_exactly_what_the_live_count_gives(wave):
    """Answers of others lie among the respondents' ids: an unfinished response, a public
    one, and another wave's, whose free text answers a question with a counted key."""
    rng = np.random.default_rng(13)
    other = Questionnaire(title={"en": "Other"}, state=QuestionnaireState.IN_USE)
    other.pages.append(Page())
    other.pages[0].questions.append(Question(
        questionnaire=other, key="party", type=T.LONG_TEXT, text={"en": "party"},
        concept="5b0a8c7e-0000-4000-8000-000000007199",
    ))  # fmt: skip
    elsewhere = closed_wave(name="Other", questionnaire=other)
    odd = {"municipality": 'Høje-Taastrup "Øst"\t', "gender": "f", "education": "long"}
    for step in range(4):
        respond(wave, rng, 1, completed_at=None)  # unfinished: not counted
        respond(wave, rng, 1, wave_id=None, mode=ResponseMode.PUBLIC)
        db.session.add(Response(
            questionnaire_id=other.id, wave_id=elsewhere.id, completed_at=wave.closes_at,
            answers=[Answer(question_key="party", value=f"Frit\tvalg {step} \\ æ")],
        ))  # fmt: skip
        for response in respond(wave, rng, 2):
            response.attributes = odd
    db.session.commit()
    keys = ["party", "topics", "trust", "roads", "rank", "km"]
    live = Counter(counted_answers(wave.id, keys, 211))  # no counts stored yet: grouped live

    assert tally_wave(wave.id) == len(live)
    db.session.commit()
    assert stored(wave) == live
    assert db.session.get(WaveTally, wave.id).respondents == 211


def test_a_response_completed_while_its_wave_is_counted_is_left_out(wave, monkeypatch):
    """Its id lies among the respondents' but it was not one when they were read: counting
    it would store figures for a number of respondents the marker does not name."""
    late = respond(wave, np.random.default_rng(17), 1, completed_at=None)[0]
    respond(wave, np.random.default_rng(19), 1)
    db.session.commit()
    keys = ["party", "topics", "trust", "roads", "rank", "km"]
    before = Counter(counted_answers(wave.id, keys, 204))
    read = tally.respondent_profiles

    def read_then_complete(wave_id: int) -> Any:
        found = read(wave_id)
        late.completed_at = wave.closes_at
        db.session.flush()
        return found

    monkeypatch.setattr(tally, "respondent_profiles", read_then_complete)
    tally_wave(wave.id)
    db.session.commit()
    assert stored(wave) == before
    assert db.session.get(WaveTally, wave.id).respondents == 204
    assert summary(wave).respondents == 205  # counted live until tallied again


def test_the_wave_job_closing_a_wave_stores_its_counts(app):
    install_default_attributes()
    wave = closed_wave(questionnaire=survey(), state=WaveState.OPEN)
    respond(wave, np.random.default_rng(3), 40)
    db.session.commit()
    with force_locale("en"):
        live = summary(wave)
    assert db.session.get(WaveTally, wave.id) is None  # open: counted live

    assert "closed 1" in run_waves(wave.closes_at)
    db.session.expire_all()
    assert wave.state is WaveState.CLOSED
    assert db.session.get(WaveTally, wave.id).respondents == 40
    with statements() as seen:
        tallied = summary(wave)
    assert not reads_answers(seen)
    assert_same(tallied, live)


def test_a_deleted_member_leaves_the_figures_as_they_were(wave):
    member = MemberFactory()
    respond(wave, np.random.default_rng(11), 1, member_id=member.id)
    db.session.commit()
    weigh(wave)
    before = summary(wave)
    delete_member(member)  # also the retention job's way to delete
    db.session.commit()
    # the answers stay, anonymous: the stored counts are still right and still read
    assert db.session.scalar(select(func.count()).select_from(Response)) == 204
    with statements() as seen:
        after = summary(wave)
    assert not reads_answers(seen)
    assert_same(after, before)


def test_an_answer_completed_as_the_wave_closed_is_counted_at_once(wave):
    weigh(wave)
    respond(wave, np.random.default_rng(5), 1)  # completed after the counts were stored
    db.session.commit()
    with statements() as seen:
        late = summary(wave)
    assert late.respondents == 204 and reads_answers(seen)  # counted live: never stale
    forget_tallies(wave.id)
    db.session.commit()
    assert_same(late, summary(wave))
    weigh(wave)  # weighting again stores fresh counts
    assert db.session.get(WaveTally, wave.id).respondents == 204
    with statements() as seen:
        again = summary(wave)
    assert not reads_answers(seen)
    forget_tallies(wave.id)
    db.session.commit()
    assert_same(again, summary(wave))


def test_forgetting_the_counts_goes_back_to_counting_live(wave):
    weigh(wave)
    forget_tallies(wave.id)
    db.session.commit()
    assert db.session.get(WaveTally, wave.id) is None and not stored(wave)
    with statements() as seen:
        summary(wave)
    assert reads_answers(seen)


def test_the_demos_closed_waves_are_counted_and_its_open_wave_is_not(app):
    build_demo(members=600)
    waves = db.session.scalars(select(Wave)).all()
    closed = [w for w in waves if w.state is WaveState.CLOSED]
    assert closed and len(closed) < len(waves)
    for wave in waves:
        tally = db.session.get(WaveTally, wave.id)
        if wave.state is not WaveState.CLOSED:
            assert tally is None
            continue
        completed = db.session.scalar(
            select(func.count()).select_from(Response).filter_by(wave_id=wave.id)
            .where(Response.completed_at.is_not(None))
        )  # fmt: skip
        assert tally is not None and tally.respondents == completed > 0
        assert stored(wave)


def test_two_processes_tallying_one_wave_take_turns(app, wave):
    """The second waits for the first to commit, then replaces its counts: never twice."""
    tally_wave(wave.id)  # the first, not yet committed
    done: list[int] = []

    def second() -> None:
        with app.app_context():
            done.append(tally_wave(wave.id))
            db.session.commit()
            db.session.remove()

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive()  # waiting for the wave's lock
    db.session.commit()
    thread.join(10)
    assert done and done[0] > 0
    assert max(stored(wave).values()) == 1
    assert sum(stored(wave).values()) == done[0]
