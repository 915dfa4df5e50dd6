"""Weighting a wave: an estimate checked by hand, the staff page's diagnostics, clear errors,
and recomputing. The builders here (a one-question wave with answers) serve the other
results tests too.
"""

from __future__ import annotations

import math

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.demographics.models import PopulationTable
from panel.staff.models import Role
from surveys.answering.models import ResponseMode
from surveys.results.models import ResponseWeight, Weighting, WeightingMethod
from surveys.results.respondents import load_respondents
from surveys.results.summary import summarise
from surveys.results.weighting import strata_not_weighted, weight_wave
from surveys.waves.models import Wave
from tests.factories.results import (
    answer,
    closed_wave,
    population,
)
from tests.helpers import login_staff


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
        f"/staff/weighting/{two_strata.id}",
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
        f"/staff/weighting/{wave.id}",
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
    assert client.get(f"/staff/weighting/{two_strata.id}").status_code == 403


def test_staff_and_admins_reach_the_weighting_page(client, two_strata):
    login_staff(client, Role.ADMIN)
    assert client.get(f"/staff/weighting/{two_strata.id}").status_code == 200


@pytest.mark.parametrize("design", [False, True])
@pytest.mark.parametrize(
    ("method", "bounds"),
    [(WeightingMethod.RAKE, None), (WeightingMethod.RAKE, (0.5, 1.6)),
     (WeightingMethod.POSTSTRATIFY, None)],
)  # fmt: skip
def test_the_summary_figures_per_group_equal_the_weighting_library(method, bounds, design):
    """The summary's way (sums per weighting cell and group) gives what
    ``WeightingResult.mean(by=...)``, checked against R's survey package, gives; also
    with design weights that differ by a stratum the weighting does not use."""
    import numpy as np

    from stats.cells import CellEstimator
    from stats.intervals import ShareInterval
    from stats.weighting import poststratify, rake
    from surveys.results.respondents import cell_calibration

    rng = np.random.default_rng(3)
    n = 2000
    age = rng.choice(["18-29", "30-49", "50+"], n)
    gender = rng.choice(["f", "m"], n, p=[0.35, 0.65])
    values = rng.integers(0, 11, n).astype(float)
    values[rng.random(n) < 0.1] = np.nan
    groups = rng.integers(-1, 4, n)  # -1: in no group
    stratum = rng.integers(0, 3, n)  # drawn at different rates: base weights 0.5, 1, 2.5
    base = np.array([0.5, 1.0, 2.5])[stratum] if design else None
    if method is WeightingMethod.POSTSTRATIFY:
        targets = {(a, g): 100.0 + 10 * i for i, (a, g) in
                   enumerate((a, g) for a in ("18-29", "30-49", "50+") for g in "fm")}  # fmt: skip
        result = poststratify({"age": age, "gender": gender}, ["age", "gender"], targets,
                              base_weights=base)  # fmt: skip
    else:
        margins = {"age": {"18-29": 300, "30-49": 400, "50+": 300}, "gender": {"f": 500, "m": 500}}
        result = rake({"age": age, "gender": gender}, margins, base_weights=base, bounds=bounds)
    calibration = cell_calibration(
        method, bounds is not None, [age.astype(object), gender.astype(object)], base
    )
    ones = np.ones(n)
    estimator = CellEstimator.from_weights(
        calibration.cells, result.weights, ones, calibration.fitted
    )
    assert estimator is not None
    mine = estimator.means(np.arange(n), ones, values, groups, 4)
    by_group = np.where(groups >= 0, groups, np.nan)
    reference = result.mean(values, by=by_group)
    for g in range(4):
        assert mine[g].estimate == pytest.approx(reference[float(g)].estimate, rel=1e-12)
        assert mine[g].se == pytest.approx(reference[float(g)].se, rel=1e-9)
        assert mine[g].n == reference[float(g)].n
    # the total, both ways
    totals = estimator.totals(np.arange(n), ones, values, groups, 4)
    wanted_totals = result.total(values, by=by_group)
    for g in range(4):
        assert totals[g].estimate == pytest.approx(wanted_totals[float(g)].estimate, rel=1e-12)
        assert totals[g].se == pytest.approx(wanted_totals[float(g)].se, rel=1e-9)
    # the median with svyquantile's interval, both ways
    medians = estimator.quantiles(np.arange(n), ones, values, groups, 4, 0.5)
    wanted_medians = result.quantile(values, 0.5, by=by_group)
    for g in range(4):
        theirs = wanted_medians[float(g)]
        assert (medians[g].estimate, medians[g].low, medians[g].high) == (
            theirs.estimate,
            theirs.low,
            theirs.high,
        )
    # a share (the 0/1 column of one answer) with svyciprop's interval, both ways
    hit = np.where(np.isnan(values), np.nan, (values == 3).astype(float))
    by = np.where(groups >= 0, groups, np.nan)
    for interval in ShareInterval:
        shares = estimator.means(np.arange(n), ones, hit, groups, 4, interval)
        wanted = result.proportions(values, by=by, interval=interval)
        for g in range(4):
            assert shares[g].estimate == pytest.approx(wanted[float(g)][3.0].estimate, rel=1e-12)
            assert shares[g].low == pytest.approx(wanted[float(g)][3.0].low, rel=1e-9)
            assert shares[g].high == pytest.approx(wanted[float(g)][3.0].high, rel=1e-9)


def test_trimming_needs_both_bounds(client, two_strata):
    login_staff(client, language="en")
    page = client.post(
        f"/staff/weighting/{two_strata.id}",
        data={"method": "rake", "attributes": ["gender"], "bound_low": "0.5"},
    ).get_data(as_text=True)
    assert "Give both bounds, or neither." in page
    assert db.session.scalar(select(func.count()).select_from(ResponseWeight)) == 0
    client.post(
        f"/staff/weighting/{two_strata.id}",
        data={"method": "rake", "attributes": ["gender"], "bound_low": "0.5", "bound_high": "2.5"},
    )
    weights = load_respondents(two_strata.id).weights
    assert weights is not None
    mean = 1000 / 40
    assert weights.min() >= 0.5 * mean - 1e-9 and weights.max() <= 2.5 * mean + 1e-9


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Gender Woman can reach at most 375, not its population figure 500"),
     ("da", "Køn Kvinde kan højst nå 375, ikke sit befolkningstal 500")],
)  # fmt: skip
def test_bounds_no_weights_can_meet_are_refused_naming_the_margin(
    client, two_strata, language, message
):
    """10 women for 500 of 1,000 people: at most 1.5 times the mean weight 25 each, they
    weigh 375. Such a weighting was once saved unconverged and shown as weighted."""
    login_staff(client, language=language)
    page = client.post(
        f"/staff/weighting/{two_strata.id}",
        data={"method": "rake", "attributes": ["gender"], "bound_low": "0.5", "bound_high": "1.5"},
    ).get_data(as_text=True)
    assert message in page
    assert db.session.scalar(select(func.count()).select_from(Weighting)) == 0
    assert load_respondents(two_strata.id).weights is None


def test_the_page_warns_when_the_strata_are_not_among_the_weighting_variables(client, two_strata):
    two_strata.stratify_by = ["gender", "education"]
    db.session.commit()
    login_staff(client, language="en")
    client.post(
        f"/staff/weighting/{two_strata.id}", data={"method": "rake", "attributes": ["gender"]}
    )
    page = client.get(f"/staff/weighting/{two_strata.id}").get_data(as_text=True)
    warning = page.split('id="strata-warning">')[1].split("</p>")[0]
    assert "The sample was drawn in strata by Highest completed education." in warning
    two_strata.stratify_by = ["gender"]
    db.session.commit()
    assert "strata-warning" not in client.get(f"/staff/weighting/{two_strata.id}").get_data(
        as_text=True
    )


def test_weights_start_from_design_weights_of_the_stratified_draw(client, app):
    """Drawn in strata by education: 100 eligible with a long education, 10 of them
    answered (design weight 10); 600 with a short one, 30 answered (20). Women: 10 long
    "yes" and 10 short "no", so 100 / (100 + 200) = 1/3 say yes, not 1/2; men (all short)
    1/2. Post-stratified to half and half: 1/6 + 1/4 = 5/12."""
    install_default_attributes()
    wave = closed_wave()
    wave.stratify_by = ["education"]
    wave.allocation = [{"stratum": ["long"], "available": 100},
                       {"stratum": ["short"], "available": 600}]  # fmt: skip
    answer(wave, {"gender": "f", "education": "long"}, "yes", 10)
    answer(wave, {"gender": "f", "education": "short"}, "no", 10)
    answer(wave, {"gender": "m", "education": "short"}, "yes", 10)
    answer(wave, {"gender": "m", "education": "short"}, "no", 10)
    table = population({"f": 500, "m": 500})
    db.session.commit()
    weighting = weight_wave(wave, WeightingMethod.POSTSTRATIFY, ["gender"], table)
    db.session.commit()
    assert weighting.design_weighted
    with force_locale("en"):
        yes = summarise(wave, "en").questions[0].overall[0].rows[0].cells[0]
    assert yes.estimate == pytest.approx(5 / 12)
    # the strata are undone by the design weights: no warning that they are left out
    assert strata_not_weighted(wave, ["gender"]) == []
    login_staff(client, language="en")
    page = client.get(f"/staff/weighting/{wave.id}").get_data(as_text=True)
    assert "design weights: each stratum" in page.replace("&#39;", "'")
