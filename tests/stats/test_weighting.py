"""Weighting: raking and post-stratification, checked against R's survey package.

The reference values come from tests/fixtures/weighting/make_fixtures.R (see its header for
what each data set exercises and how to regenerate them); R is not needed to run these tests.
"""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stats.estimation import Estimate, WeightingResult
from stats.feasibility import MarginMiss, MarginsNotMet
from stats.intervals import ShareInterval
from stats.weighting import poststratify, rake

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "weighting"
DATASETS = sorted(json.loads((FIXTURES / "expected.json").read_text()))
SE_TOLERANCE = 0.005  # standard errors within 0.5% of R's; estimates within 1e-6


@cache
def expected() -> dict[str, Any]:
    return json.loads((FIXTURES / "expected.json").read_text())


@cache
def columns(name: str) -> dict[str, list[Any]]:
    with open(FIXTURES / expected()[name]["data"], newline="") as f:
        rows = list(csv.DictReader(f))
    return {key: [row[key] if row[key] != "" else None for row in rows] for key in rows[0]}


def numbers(values: list[Any]) -> list[float | None]:
    return [None if v is None else float(v) for v in values]


@cache
def weighted(name: str) -> WeightingResult:
    """Weight a data set the way the R script did."""
    spec, data = expected()[name], columns(name)
    base = numbers(data["base_w"]) if spec["base_weights"] else None
    if spec["method"] == "poststratify":
        targets = {tuple(t["cell"]): t["count"] for t in spec["targets"]}
        return poststratify(data, spec["cells"], targets, base_weights=base)
    bounds = tuple(spec["bounds"]) if spec.get("bounds") else None
    return rake(data, spec["targets"], base_weights=base, bounds=bounds, max_iter=500)


def assert_matches_r(ours: Estimate, theirs: dict[str, Any], interval: str | None = None) -> None:
    """Our estimate is R's; a mean's interval is confint(svymean), a share's ``interval``
    that of svyciprop(method = interval)."""
    assert ours.estimate == pytest.approx(theirs["estimate"], abs=1e-6)
    assert ours.se == pytest.approx(theirs["se"], rel=SE_TOLERANCE)
    low, high = (theirs["low"], theirs["high"]) if interval is None else theirs[interval]
    assert ours.low == pytest.approx(low, abs=1e-6 + 2 * SE_TOLERANCE * theirs["se"])
    assert ours.high == pytest.approx(high, abs=1e-6 + 2 * SE_TOLERANCE * theirs["se"])
    assert ours.n == theirs["n"]


# --- agreement with R ---------------------------------------------------------------------


@pytest.mark.parametrize("name", DATASETS)
def test_weights_are_those_r_computes(name):
    result = weighted(name)
    assert result.converged
    assert result.weights == pytest.approx(numbers(columns(name)["r_weight"]), rel=1e-6)


@pytest.mark.parametrize("name", DATASETS)
def test_mean_with_missing_answers_matches_svymean(name):
    result = weighted(name)
    assert_matches_r(result.mean(numbers(columns(name)["y"])), expected()[name]["mean"])


@pytest.mark.parametrize("name", DATASETS)
def test_means_by_group_match_svyby(name):
    data = columns(name)
    by_group = weighted(name).mean(numbers(data["y"]), by=data["grp"])
    wanted = expected()[name]["mean_by"]
    assert list(by_group) == list(wanted)  # groups sorted; respondents without one left out
    for group, estimate in by_group.items():
        assert_matches_r(estimate, wanted[group])


@pytest.mark.parametrize("interval", list(ShareInterval))
@pytest.mark.parametrize("name", DATASETS)
def test_proportions_match_svymean_of_a_factor_with_svyciprop_intervals(name, interval):
    shares = weighted(name).proportions(columns(name)["yc"], interval=interval)
    wanted = expected()[name]["proportions"]
    assert list(shares) == list(wanted)
    for level, estimate in shares.items():
        assert_matches_r(estimate, wanted[level], interval.value)
        # the interval is asymmetric and inside 0..1
        assert 0 < estimate.low < estimate.estimate < estimate.high < 1
    assert sum(e.estimate for e in shares.values()) == pytest.approx(1)


@pytest.mark.parametrize("interval", list(ShareInterval))
@pytest.mark.parametrize("name", DATASETS)
def test_proportions_by_group_match_svyby_with_svyciprop_intervals(name, interval):
    data = columns(name)
    shares = weighted(name).proportions(data["yc"], by=data["grp"], interval=interval)
    wanted = expected()[name]["proportions_by"]
    assert list(shares) == list(wanted)
    for group, levels in shares.items():
        assert list(levels) == list(wanted[group])
        for level, estimate in levels.items():
            assert_matches_r(estimate, wanted[group][level], interval.value)
            # the degrees of freedom R used are the group's answers less one
            assert wanted[group][level]["degf"] == estimate.n - 1


def test_interval_is_estimate_plus_minus_1_96_standard_errors():
    estimate = weighted("rake_n500").mean(numbers(columns("rake_n500")["y"]))
    assert estimate.high - estimate.estimate == pytest.approx(1.959964 * estimate.se)
    assert estimate.estimate - estimate.low == pytest.approx(1.959964 * estimate.se)


# --- raking -------------------------------------------------------------------------------


def margin_misfit(result: WeightingResult, data: dict[str, list[Any]], targets: dict) -> float:
    """The largest |weighted count / target - 1| over all margin levels."""
    worst = 0.0
    for column, table in targets.items():
        values = np.array(data[column], dtype=object)
        for level, count in table.items():
            worst = max(worst, abs(result.weights[values == level].sum() / count - 1))
    return worst


@pytest.mark.parametrize("tol", [1e-4, 1e-8, 1e-12])
def test_raking_matches_every_margin_to_the_tolerance(tol):
    data, targets = columns("rake_n2000_base"), expected()["rake_n2000_base"]["targets"]
    result = rake(data, targets, tol=tol, max_iter=1000)
    assert result.converged
    assert margin_misfit(result, data, targets) <= tol
    assert result.weights.sum() == pytest.approx(sum(targets["age"].values()), rel=tol)


def test_raking_that_runs_out_of_passes_says_so():
    data, targets = columns("rake_n500"), expected()["rake_n500"]["targets"]
    result = rake(data, targets, max_iter=2)
    assert not result.converged
    assert result.iterations == 2
    assert margin_misfit(result, data, targets) > 1e-8
    more = rake(data, targets, max_iter=100)
    assert more.converged and 2 < more.iterations < 100


def test_data_already_matching_the_targets_needs_no_pass():
    data = {"gender": ["f", "m", "m", "f"]}
    result = rake(data, {"gender": {"f": 10, "m": 10}}, base_weights=[5, 5, 5, 5])
    assert result.converged and result.iterations == 0
    assert result.weights.tolist() == [5, 5, 5, 5]


def test_design_effect_and_effective_n_follow_kish():
    result = weighted("rake_n2000_base")
    w = result.weights
    cv = w.std() / w.mean()
    assert result.design_effect == pytest.approx(1 + cv**2)
    assert result.effective_n == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert result.effective_n == pytest.approx(w.size / result.design_effect)
    assert result.design_effect > 1  # unequal response gave unequal weights


def test_equal_weights_have_no_design_effect():
    result = poststratify({"g": ["a", "b"] * 5}, ["g"], {("a",): 50, ("b",): 50})
    assert result.design_effect == pytest.approx(1)
    assert result.effective_n == pytest.approx(10)


def test_a_pandas_data_frame_works_like_a_dict():
    pd = pytest.importorskip("pandas")
    data, targets = columns("rake_n500"), expected()["rake_n500"]["targets"]
    frame = pd.DataFrame(data)
    frame["gender"] = pd.Categorical(frame["gender"], categories=["f", "m", "unused"])
    from_frame = rake(frame, targets)
    assert from_frame.weights == pytest.approx(rake(data, targets).weights, rel=1e-12)
    estimate = from_frame.mean(frame["y"].astype(float), by=frame["gender"])
    assert list(estimate) == ["f", "m"]  # an empty category is no group
    assert estimate["f"].n == sum(
        g == "f" and y is not None for g, y in zip(data["gender"], data["y"], strict=True)
    )


def test_integer_codes_rake_like_strings():
    data, targets = columns("rake_n500"), expected()["rake_n500"]["targets"]
    ages = list(targets["age"])
    coded = dict(data, age=[ages.index(a) + 18 for a in data["age"]])
    coded_targets = dict(targets, age={i + 18: c for i, c in enumerate(targets["age"].values())})
    assert rake(coded, coded_targets).weights == pytest.approx(rake(data, targets).weights)


# --- bounded raking -----------------------------------------------------------------------


def test_bounded_weights_stay_within_bounds_of_the_mean_weight():
    spec, data = expected()["bounded_n2000"], columns("bounded_n2000")
    low, high = spec["bounds"]
    free = rake(data, spec["targets"])
    mean = free.weights.mean()
    assert free.weights.min() < low * mean and free.weights.max() > high * mean
    bounded = weighted("bounded_n2000")
    assert bounded.weights.min() >= low * mean * (1 - 1e-12)
    assert bounded.weights.max() <= high * mean * (1 + 1e-12)
    assert margin_misfit(bounded, data, spec["targets"]) <= 1e-8


def test_bounds_no_weights_can_meet_are_refused_before_raking_naming_the_margin():
    # 2 women and 8 men for 50 women and 50 men: the mean weight is 10, so within 0.5..2
    # times it the 2 women weigh at most 2 · 2 · 10 = 40 of their 50
    data = {"gender": ["f"] * 2 + ["m"] * 8}
    with pytest.raises(MarginsNotMet) as refused:
        rake(data, {"gender": {"f": 50, "m": 50}}, bounds=(0.5, 2))
    assert refused.value.misses == [MarginMiss("gender", "f", 50.0, pytest.approx(40.0))]
    assert "gender='f' reaches 40 of its target 50" in str(refused.value)
    # within 0.5..2.5 they can: 2 · 2.5 · 10 = 50
    assert rake(data, {"gender": {"f": 50, "m": 50}}, bounds=(0.5, 2.5)).converged


def test_an_unconverged_raking_says_which_margin_it_missed():
    spec, data = expected()["rake_n500"], columns("rake_n500")
    result = rake(data, spec["targets"], max_iter=1)
    assert not result.converged and result.misses
    worst = result.misses[0]
    got = sum(w for w, v in zip(result.weights, data[worst.column], strict=True)
              if v == worst.level)  # fmt: skip
    assert worst.achieved == pytest.approx(got)
    assert worst.target == spec["targets"][worst.column][worst.level]
    assert rake(data, spec["targets"], max_iter=500).misses == ()


@pytest.mark.parametrize(("bounds", "feasible"), [((0.45, 3), True), ((0.6, 1.6), False)])
def test_bounds_with_base_weights_are_on_g_the_weight_over_the_base_weight(bounds, feasible):
    spec, data = expected()["rake_n2000_base"], columns("rake_n2000_base")
    base = np.asarray(numbers(data["base_w"]))
    if not feasible:
        with pytest.raises(MarginsNotMet):
            rake(data, spec["targets"], base_weights=base, bounds=bounds)
        return
    result = rake(data, spec["targets"], base_weights=base, bounds=bounds, max_iter=60)
    population = sum(spec["targets"]["age"].values())
    g = result.weights / (base * population / base.sum())
    assert result.converged
    assert bounds[0] * (1 - 1e-12) <= g.min() and g.max() <= bounds[1] * (1 + 1e-12)
    assert margin_misfit(result, data, spec["targets"]) <= 1e-8


# --- post-stratification ------------------------------------------------------------------


def test_poststratification_gives_each_cell_its_population_count():
    data = {"gender": ["f", "f", "m", "m", "m"], "age": ["young", "old", "old", "old", "young"]}
    targets = {("f", "young"): 30, ("f", "old"): 20, ("m", "old"): 40, ("m", "young"): 10}
    result = poststratify(data, ["gender", "age"], targets)
    assert result.weights.tolist() == pytest.approx([30, 20, 20, 20, 10])
    assert result.converged and result.iterations == 1


def test_single_column_cells_accept_plain_levels():
    result = poststratify({"g": ["a", "a", "b"]}, ["g"], {"a": 10, "b": 5})
    assert result.weights.tolist() == pytest.approx([5, 5, 5])


# --- missing answers ----------------------------------------------------------------------


def test_missing_answers_are_left_out_and_counted():
    data = {"g": ["a", "a", "b", "b"]}
    result = poststratify(data, ["g"], {("a",): 100, ("b",): 300})
    estimate = result.mean([1.0, None, 3.0, float("nan")])
    assert estimate.estimate == pytest.approx((100 * 1 + 300 * 3) / 400)
    assert estimate.n == 2
    shares = result.proportions(["yes", None, "no", "yes"])
    assert shares["yes"].estimate == pytest.approx((50 + 150) / (50 + 150 + 150))
    assert {level: e.n for level, e in shares.items()} == {"no": 3, "yes": 3}


def test_an_answer_nobody_in_a_group_gave_has_share_zero():
    data = {"g": ["a", "a", "b", "b"]}
    result = poststratify(data, ["g"], {("a",): 1, ("b",): 1})
    shares = result.proportions(["yes", "no", "yes", "yes"], by=["x", "x", "y", "y"])
    assert shares["y"]["no"].estimate == 0 and shares["y"]["no"].se == 0
    assert shares["y"]["yes"].estimate == 1


# --- bad input ----------------------------------------------------------------------------

GENDER = {"gender": ["f", "m", "m"]}


@pytest.mark.parametrize(
    ("data", "targets", "words"),
    [
        (GENDER, {"gender": {"f": 5, "m": 5, "x": 1}}, ["'gender'", "'x'", "no respondent"]),
        (GENDER, {"gender": {"f": 5}}, ["'gender'", "'m'", "no population target"]),
        (GENDER, {"gender": {"f": 5, "m": -1}}, ["'gender'", "'m'", "at least 0"]),
        (GENDER, {"gender": {"f": 5, "m": 0}}, ["'gender'", "'m'", "count is 0"]),
        ({"gender": ["f", None]}, {"gender": {"f": 5, "m": 5}}, ["'gender'", "None"]),
        (
            {"gender": ["f", "m"], "age": ["a", "b", "a"]},
            {"gender": {"f": 1, "m": 1}, "age": {"a": 1, "b": 1}},
            ["'age'", "3 values", "2"],
        ),
        (GENDER, {"gender": {"f": 5, "m": 5}, "age": {"a": 1}}, ["'age'", "not in the data"]),
        (
            {"gender": ["f", "m"], "age": ["a", "b"]},
            {"gender": {"f": 5, "m": 5}, "age": {"a": 1, "b": 1}},
            ["'age'", "add up to 2", "'gender'"],
        ),
    ],
)
def test_bad_raking_input_is_refused_naming_column_and_level(data, targets, words):
    with pytest.raises(ValueError) as error:
        rake(data, targets)
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize(
    ("base_weights", "words"),
    [([1, float("nan"), 1], "finite"), ([1, float("inf"), 1], "finite"), ([1, 0, 1], "positive")],
)
def test_base_weights_must_be_finite_and_positive(base_weights, words):
    with pytest.raises(ValueError, match=words):
        rake(GENDER, {"gender": {"f": 5, "m": 5}}, base_weights=base_weights)


def test_bounds_must_surround_the_mean_weight():
    with pytest.raises(ValueError, match="bounds"):
        rake(GENDER, {"gender": {"f": 5, "m": 5}}, bounds=(1.2, 3))


@pytest.mark.parametrize(
    ("targets", "words"),
    [
        ({("f", "a"): 5}, ["gender='m'", "age='b'", "no target"]),
        ({("f", "a"): 5, ("m", "b"): 5, ("m", "a"): 2}, ["gender='m'", "age='a'", "no respondent"]),
    ],
)
def test_bad_poststratification_cells_are_named(targets, words):
    data = {"gender": ["f", "m"], "age": ["a", "b"]}
    with pytest.raises(ValueError) as error:
        poststratify(data, ["gender", "age"], targets)
    for word in words:
        assert word in str(error.value)


def test_estimates_refuse_values_of_another_length():
    result = poststratify(GENDER, ["gender"], {"f": 1, "m": 2})
    with pytest.raises(ValueError, match="2 values for 3"):
        result.mean([1.0, 2.0])
    with pytest.raises(ValueError, match="2 values for 3"):
        result.proportions(["a", "b", "a"], by=["x", "y"])


@pytest.mark.parametrize("name", DATASETS)
def test_quartiles_match_svyquantile_with_woodruff_intervals(name):
    y = numbers(columns(name)["y"])
    for theirs in expected()[name]["quartiles"]:
        ours = weighted(name).quantile(y, theirs["p"])
        assert ours.estimate == theirs["quantile"]  # an answer given, exactly
        assert (ours.low, ours.high) == (theirs["low"], theirs["high"])
        assert ours.se == pytest.approx(theirs["se"], rel=1e-9)


@pytest.mark.parametrize("name", DATASETS)
def test_quartiles_by_group_match_svyquantile_per_group(name):
    data = columns(name)
    y = numbers(data["y"])
    for group, wanted in expected()[name]["quartiles_by"].items():
        for theirs in wanted:
            ours = weighted(name).quantile(y, theirs["p"], by=data["grp"])[group]
            assert (ours.estimate, ours.low, ours.high) == (
                theirs["quantile"],
                theirs["low"],
                theirs["high"],
            )


@pytest.mark.parametrize("name", DATASETS)
def test_each_estimate_has_rs_design_effect(name):
    """svymean(deff = TRUE): unlike Kish's 1 + CV², it differs between estimates."""
    data = columns(name)
    y = numbers(data["y"])
    wanted = expected()[name]
    assert weighted(name).mean(y).deff == pytest.approx(wanted["mean"]["deff"], rel=1e-6)
    by_group = weighted(name).mean(y, by=data["grp"])
    for group, estimate in by_group.items():
        assert estimate.deff == pytest.approx(wanted["mean_by"][group]["deff"], rel=1e-6)


@pytest.mark.parametrize("name", DATASETS)
def test_totals_match_svytotal_overall_and_by_group(name):
    data = columns(name)
    y = numbers(data["y"])
    wanted = expected()[name]
    pairs = [(weighted(name).total(y), wanted["total"])] + [
        (estimate, wanted["total_by"][group])
        for group, estimate in weighted(name).total(y, by=data["grp"]).items()
    ]
    for ours, theirs in pairs:
        assert ours.estimate == pytest.approx(theirs["estimate"], rel=1e-8)
        assert ours.se == pytest.approx(theirs["se"], rel=SE_TOLERANCE)
        assert ours.n == theirs["n"]
