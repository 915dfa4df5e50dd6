"""The politicians' summary of a wave with 40 questions: 100,000 answers, and 100,000 respondents.

Weighted by raking on age, gender, municipality and education: for every question its
weighted and unweighted figures with R-``survey`` standard errors, and the same with a
breakdown by municipality: ``summarise`` as the page calls it, on each database.

The wave is closed as the wave job closes it (``close_wave``), which counts its answers
once (``surveys.results.tally``); that is timed on its own, being part of closing and not
of any summary. The summaries then read the stored counts; the last figure is the same
summary counted live from the answers, as an open wave is.

``BENCH_PROFILE=1`` prints a cProfile of the breakdown after its timing, to see where its
time goes.
"""

from __future__ import annotations

import cProfile
import io
import itertools
import os
import pstats
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from types import SimpleNamespace
from typing import Any

import numpy as np
from flask_babel import force_locale
from sqlalchemy import insert, text

from bench.common import bench_app, databases
from extensions import db
from panel.demographics.models import PopulationFigure, PopulationTable
from surveys.answering.models import Answer, Response, ResponseMode
from surveys.questionnaires.models import (
    Option,
    Page,
    Question,
    Questionnaire,
    QuestionnaireState,
    QuestionType,
)
from surveys.results.models import WeightingMethod
from surveys.results.summary import summarise
from surveys.results.tally import forget_tallies
from surveys.results.weighting import weight_wave
from surveys.waves.models import Wave, WaveState
from surveys.waves.operations import close_wave

#: Respondents: 100,000 answers (2,500 × 40), and 100,000 respondents (4,000,000 answers).
SIZES = (2_500, 100_000)
QUESTIONS = 40
LEVELS = {"age": 6, "gender": 2, "municipality": 19, "education": 4}
#: Print a cProfile of the breakdown (BENCH_PROFILE=1).
PROFILE = os.environ.get("BENCH_PROFILE") == "1"


def _question(i: int) -> Any:
    """Alternating single choice (5 options), 0-10 scale and multiple choice (6 options)."""
    kind = (QuestionType.SINGLE_CHOICE, QuestionType.SCALE_0_10, QuestionType.MULTIPLE_CHOICE)[
        i % 3
    ]
    k = 6 if kind is QuestionType.MULTIPLE_CHOICE else 5
    options = [SimpleNamespace(code=f"o{j}", label={"en": f"Option {j}"}) for j in range(k)]
    return SimpleNamespace(
        key=f"q{i}", type=kind, choices=options, statements=[], dont_know=True,
        min_value=None, max_value=None,
    )  # fmt: skip


def _answers(
    question: Any, rng: np.random.Generator, n: int
) -> tuple[np.ndarray, list[Any], np.ndarray]:
    """95% answer: who (positions), the possible answers, and each answer's position."""
    answered = np.flatnonzero(rng.random(n) < 0.95)
    if question.type is QuestionType.SINGLE_CHOICE:
        levels: list[Any] = [f"o{j}" for j in range(5)]
    elif question.type is QuestionType.SCALE_0_10:
        levels = [*range(11), "dont_know"]
    else:
        levels = [[f"o{j}"] for j in range(6)] + [[f"o{j}", f"o{j + 1}"] for j in range(5)]
    return answered, levels, rng.integers(0, len(levels), answered.size)


def main() -> None:
    for n in SIZES:
        measure(n)


def measure(n: int) -> None:
    rng = np.random.default_rng(5)
    attributes = {key: rng.integers(0, k, n).astype(str) for key, k in LEVELS.items()}
    # older and more educated answer more: a population unlike the sample
    targets = {
        key: {str(j): 1_000_000 * (j + 1) / (k * (k + 1) / 2) for j in range(k)}
        for key, k in LEVELS.items()
    }
    questions = [_question(i) for i in range(QUESTIONS)]
    answers = [_answers(q, rng, n) for q in questions]
    groups = [(str(j), f"M{j}") for j in range(LEVELS["municipality"])]
    for name, url in databases():
        with bench_app(url), force_locale("en"):
            wave = _stored_wave(questions, answers, attributes, targets)
            start = time.perf_counter()
            close_wave(wave, wave.closes_at)
            db.session.commit()
            took = time.perf_counter() - start
            print(
                f"{name}: closing the wave, counting its answers once: {took:.2f} s (target < 3 s)"
            )
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            start = time.perf_counter()
            summary = summarise(wave, "en")
            took = time.perf_counter() - start
            tables = sum(len(q.overall) for q in summary.questions)
            print(
                f"{name}: summary of {summary.respondents:,} respondents x {QUESTIONS} "
                f"questions ({tables} tables, weighted): {took:.2f} s (target < 2 s)"
            )
            start = time.perf_counter()
            summarise(wave, "en", by="municipality", groups=groups)
            took = time.perf_counter() - start
            print(
                f"{name}: the same broken down by municipality (19 groups): {took:.2f} s "
                "(target < 1 s at 100,000, issue 17)"
            )
            if PROFILE:
                print(profiled(partial(summarise, wave, "en", by="municipality", groups=groups)))
            forget_tallies(wave.id)
            db.session.commit()
            start = time.perf_counter()
            summarise(wave, "en")
            took = time.perf_counter() - start
            print(f"{name}: the summary counted live, as for an open wave: {took:.2f} s")


def profiled(call: Callable[[], object], top: int = 30) -> str:
    """The functions that took the most time in ``call``, by their own time."""
    profile = cProfile.Profile()
    profile.runcall(call)
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def _stored_wave(questions: list[Any], answers: list[Any], attributes: Any, targets: Any) -> Wave:
    """The answers stored as a wave past its closing time, still open, raked to ``targets``
    on all four attributes."""
    questionnaire = Questionnaire(title={"en": "Bench"}, state=QuestionnaireState.IN_USE)
    page = Page()
    questionnaire.pages.append(page)
    for q in questions:
        question = Question(
            questionnaire=questionnaire, key=q.key, concept=f"bench-{q.key}", type=q.type,
            text={"en": q.key}, dont_know=q.dont_know,
        )  # fmt: skip
        question.options.extend(Option(code=o.code, label=o.label) for o in q.choices)
        page.questions.append(question)
    closes = datetime(2027, 3, 22)
    wave = Wave(name="Bench", questionnaire=questionnaire, invite_at=closes - timedelta(days=21),
                closes_at=closes, state=WaveState.OPEN)  # fmt: skip
    db.session.add(wave)
    db.session.flush()
    keys = list(attributes)
    db.session.execute(
        insert(Response),
        [
            {"id": i + 1, "questionnaire_id": questionnaire.id, "wave_id": wave.id,
             "mode": ResponseMode.WEB, "completed_at": closes,
             "attributes": {key: str(attributes[key][i]) for key in keys}}
            for i in range(len(attributes[keys[0]]))
        ],
    )  # fmt: skip
    for q, (who, levels, codes) in zip(questions, answers, strict=True):
        db.session.execute(
            insert(Answer),
            [
                {"response_id": i + 1, "question_key": q.key, "value": levels[code]}
                for i, code in zip(who.tolist(), codes.tolist(), strict=True)
            ],
        )
    table = PopulationTable(name="bench", attribute_keys=list(LEVELS))
    shares = {key: np.array(list(t.values())) / 1_000_000 for key, t in targets.items()}
    cells = itertools.product(*(range(k) for k in LEVELS.values()))
    table.figures.extend(
        PopulationFigure(
            cell={key: str(j) for key, j in zip(LEVELS, cell, strict=True)},
            count=max(
                1,
                round(100_000 * np.prod([shares[k][j] for k, j in zip(LEVELS, cell, strict=True)])),
            ),
        )
        for cell in cells
    )
    db.session.add(table)
    db.session.flush()
    weight_wave(wave, WeightingMethod.RAKE, list(LEVELS), table)
    db.session.commit()
    db.session.execute(text("ANALYZE"))  # table statistics, as autovacuum keeps them
    db.session.commit()
    return wave


if __name__ == "__main__":
    main()
