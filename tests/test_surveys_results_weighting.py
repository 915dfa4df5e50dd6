"""Weighting a wave: an estimate checked by hand, the staff page's diagnostics, clear errors,
and recomputing. The builders here (a one-question wave with answers) serve the other
results tests too.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from extensions import db
from panel.demographics import install_default_attributes
from panel.models import PopulationFigure, PopulationTable, Role
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
from surveys.results import load_respondents
from surveys.results_models import ResponseWeight, WeightingMethod
from surveys.results_summary import summarise
from surveys.results_weighting import weight_wave
from surveys.wave_models import Wave, WaveState
from tests.helpers import login_staff

CLOSED_AT = datetime(2027, 3, 22, 7, 0)
CONCEPT = "5b0a8c7e-0000-4000-8000-000000000001"


def questionnaire(title: str = "Transport", concept: str = CONCEPT) -> Questionnaire:
    """One single-choice question "bus" (yes/no) and one free-text question "wish"."""
    q = Questionnaire(title={"da": title, "en": title}, state=QuestionnaireState.IN_USE)
    page = Page()
    q.pages.append(page)
    bus = Question(
        questionnaire=q, key="bus", concept=concept, type=QuestionType.SINGLE_CHOICE,
        text={"da": "Tager du bussen?", "en": "Do you take the bus?"},
    )  # fmt: skip
    bus.options.extend(
        [Option(code="yes", label={"da": "Ja", "en": "Yes"}),
         Option(code="no", label={"da": "Nej", "en": "No"})]
    )  # fmt: skip
    wish = Question(
        questionnaire=q, key="wish", concept=concept[:-1] + "9", type=QuestionType.LONG_TEXT,
        text={"da": "Ønsker?", "en": "Wishes?"},
    )  # fmt: skip
    page.questions.extend([bus, wish])
    db.session.add(q)
    return q


def closed_wave(name: str = "Spring 2027", closes_at: datetime = CLOSED_AT, **kw: Any) -> Wave:
    wave = Wave(
        name=name, questionnaire=kw.get("questionnaire") or questionnaire(),
        invite_at=closes_at - timedelta(days=21), closes_at=closes_at,
        state=kw.get("state", WaveState.CLOSED),
    )  # fmt: skip
    db.session.add(wave)
    db.session.flush()
    return wave


def answer(wave: Wave, attributes: dict[str, str], bus: str | None, count: int = 1,
           mode: ResponseMode = ResponseMode.WEB, wish: str | None = None) -> None:  # fmt: skip
    """``count`` completed responses with these attributes answering "bus"."""
    for _ in range(count):
        response = Response(
            questionnaire_id=wave.questionnaire_id,
            wave_id=None if mode is ResponseMode.PUBLIC else wave.id,
            mode=mode, attributes=attributes, completed_at=wave.closes_at - timedelta(days=1),
        )  # fmt: skip
        if bus is not None:
            response.answers.append(Answer(question_key="bus", value=bus))
        if wish is not None:
            response.answers.append(Answer(question_key="wish", value=wish))
        db.session.add(response)
    db.session.flush()


def population(counts: dict[str, int], key: str = "gender") -> PopulationTable:
    table = PopulationTable(name="FOLK1A 2027K1", attribute_keys=[key])
    table.figures.extend(
        PopulationFigure(cell={key: code}, count=count) for code, count in counts.items()
    )
    db.session.add(table)
    db.session.flush()
    return table


def education_wave() -> Wave:
    """A closed wave weighted by gender: education long 25 (all "yes"), short 12 (all
    "no"), upper 3 (all "yes"), one with a free-text wish."""
    install_default_attributes()
    wave = closed_wave()
    answer(wave, {"gender": "f", "education": "long"}, "yes", 13, wish="Flere busser til Ry")
    answer(wave, {"gender": "m", "education": "long"}, "yes", 12)
    answer(wave, {"gender": "f", "education": "short"}, "no", 6)
    answer(wave, {"gender": "m", "education": "short"}, "no", 6)
    answer(wave, {"gender": "f", "education": "upper"}, "yes", 3)
    population({"f": 500, "m": 500})
    db.session.commit()
    weight_wave(wave, WeightingMethod.RAKE, ["gender"], db.session.scalar(select(PopulationTable)))
    db.session.commit()
    return wave


@pytest.fixture
def two_strata(app) -> Wave:
    """Women: 10 answers, 8 "yes"; men: 30 answers, 6 "yes"; half the population each."""
    install_default_attributes()
    wave = closed_wave()
    answer(wave, {"gender": "f"}, "yes", 8)
    answer(wave, {"gender": "f"}, "no", 2)
    answer(wave, {"gender": "m"}, "yes", 6)
    answer(wave, {"gender": "m"}, "no", 24)
    answer(wave, {"gender": "f"}, "no", 50, mode=ResponseMode.PUBLIC)  # never weighted
    population({"f": 500, "m": 500})
    db.session.commit()
    return wave


def test_a_weighted_share_equals_the_hand_calculation(two_strata):
    table = db.session.scalar(select(PopulationTable))
    weighting = weight_wave(two_strata, WeightingMethod.POSTSTRATIFY, ["gender"], table)
    db.session.commit()
    assert weighting.respondents == 40  # the 50 public answers are left out
    with force_locale("en"):
        summary = summarise(two_strata, "en")
    row = summary.questions[0].overall[0].rows[0]
    yes = row.cells[0]
    # each sex is half the population: 0.5 · 8/10 + 0.5 · 6/30
    assert yes.estimate == pytest.approx(0.5)
    # linearised variance of a post-stratified mean: n/(n-1) Σ_h (N_h/(N n_h))² n_h p_h(1-p_h)
    variance = 40 / 39 * ((0.5 / 10) ** 2 * 10 * 0.16 + (0.5 / 30) ** 2 * 30 * 0.16)
    assert yes.se == pytest.approx(math.sqrt(variance), rel=1e-9)
    assert row.unweighted[0].estimate == pytest.approx(14 / 40)
    assert row.n == 40
    assert weighting.min_weight == pytest.approx(500 / 30)
    assert weighting.max_weight == pytest.approx(50)


def test_raking_on_one_margin_gives_the_same_weights_and_recomputing_replaces_them(two_strata):
    table = db.session.scalar(select(PopulationTable))
    weight_wave(two_strata, WeightingMethod.POSTSTRATIFY, ["gender"], table)
    db.session.commit()
    weight_wave(two_strata, WeightingMethod.RAKE, ["gender"], table)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ResponseWeight)) == 40
    respondents = load_respondents(two_strata.id)
    assert respondents.weights is not None
    assert sorted(set(respondents.weights.round(6))) == [
        pytest.approx(500 / 30),
        pytest.approx(50),
    ]


def test_the_weighting_page_shows_diagnostics_and_the_composition(client, two_strata):
    login_staff(client, language="en")
    response = client.post(
        f"/staff/waves/{two_strata.id}/weighting",
        data={"method": "rake", "attributes": ["gender"]},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The wave is weighted." in page
    for label in ("Converged", "Design effect", "Effective sample size", "Weight range"):
        assert label in page
    # deff = 1 + CV² of 10 × 50 and 30 × 16.67: mean 25, variance 208.33
    assert "1.33" in page
    assert "25.0 %" in page and "75.0 %" in page and "50.0 %" in page  # sample, weighted


def test_a_level_without_respondents_is_named_to_staff(client, app):
    install_default_attributes()
    wave = closed_wave()
    answer(wave, {"gender": "f"}, "yes", 12)
    population({"f": 500, "m": 500})
    db.session.commit()
    login_staff(client, language="en")
    response = client.post(
        f"/staff/waves/{wave.id}/weighting",
        data={"method": "rake", "attributes": ["gender"]},
    )
    page = response.get_data(as_text=True)
    assert "The wave could not be weighted" in page
    assert "no respondent has level &#39;m&#39;" in page
    assert db.session.scalar(select(func.count()).select_from(ResponseWeight)) == 0


@pytest.mark.parametrize("who", ["politician", "citizen"])
def test_only_staff_weight_waves(client, two_strata, who):
    from tests.helpers import login_as

    login_as(client, who)
    assert client.get(f"/staff/waves/{two_strata.id}/weighting").status_code == 403


def test_staff_and_admins_reach_the_weighting_page(client, two_strata):
    login_staff(client, Role.ADMIN)
    assert client.get(f"/staff/waves/{two_strata.id}/weighting").status_code == 200


@pytest.mark.parametrize(
    ("method", "bounds"),
    [(WeightingMethod.RAKE, None), (WeightingMethod.RAKE, (0.5, 1.6)),
     (WeightingMethod.POSTSTRATIFY, None)],
)  # fmt: skip
def test_the_summary_figures_per_group_equal_the_weighting_library(method, bounds):
    """The summary's way (sums per weighting cell and group) gives what
    ``WeightingResult.mean(by=...)``, checked against R's survey package, gives."""
    import numpy as np

    from surveys.results import cell_calibration
    from surveys.results_estimates import CellEstimator
    from surveys.weighting import poststratify, rake

    rng = np.random.default_rng(3)
    n = 2000
    age = rng.choice(["18-29", "30-49", "50+"], n)
    gender = rng.choice(["f", "m"], n, p=[0.35, 0.65])
    values = rng.integers(0, 11, n).astype(float)
    values[rng.random(n) < 0.1] = np.nan
    groups = rng.integers(-1, 4, n)  # -1: in no group
    if method is WeightingMethod.POSTSTRATIFY:
        targets = {(a, g): 100.0 + 10 * i for i, (a, g) in
                   enumerate((a, g) for a in ("18-29", "30-49", "50+") for g in "fm")}  # fmt: skip
        result = poststratify({"age": age, "gender": gender}, ["age", "gender"], targets)
    else:
        margins = {"age": {"18-29": 300, "30-49": 400, "50+": 300}, "gender": {"f": 500, "m": 500}}
        result = rake({"age": age, "gender": gender}, margins, bounds=bounds)
    calibration = cell_calibration(
        method, bounds is not None, [age.astype(object), gender.astype(object)]
    )
    ones = np.ones(n)
    estimator = CellEstimator.from_weights(
        calibration.cells, result.weights, ones, calibration.fitted
    )
    assert estimator is not None
    mine = estimator.means(np.arange(n), ones, values, groups, 4)
    reference = result.mean(values, by=np.where(groups >= 0, groups, np.nan))
    for g in range(4):
        assert mine[g].estimate == pytest.approx(reference[float(g)].estimate, rel=1e-12)
        assert mine[g].se == pytest.approx(reference[float(g)].se, rel=1e-9)
        assert mine[g].n == reference[float(g)].n


def test_trimming_needs_both_bounds(client, two_strata):
    login_staff(client, language="en")
    page = client.post(
        f"/staff/waves/{two_strata.id}/weighting",
        data={"method": "rake", "attributes": ["gender"], "bound_low": "0.5"},
    ).get_data(as_text=True)
    assert "Give both bounds, or neither." in page
    assert db.session.scalar(select(func.count()).select_from(ResponseWeight)) == 0
    client.post(
        f"/staff/waves/{two_strata.id}/weighting",
        data={"method": "rake", "attributes": ["gender"], "bound_low": "0.5", "bound_high": "1.5"},
    )
    weights = load_respondents(two_strata.id).weights
    assert weights is not None
    mean = 1000 / 40
    assert weights.min() >= 0.5 * mean - 1e-9 and weights.max() <= 1.5 * mean + 1e-9
