"""Shares' intervals where R's svyciprop has no answer, checked by hand; R's own values are in
tests/stats/test_weighting.py (tests/fixtures/weighting, from make_fixtures.R)."""

import math

import numpy as np
import pytest

from stats.intervals import ShareInterval, share_intervals
from stats.weighting import rake


@pytest.mark.parametrize("method", list(ShareInterval))
def test_nobody_of_eleven_is_not_zero_plus_minus_zero(method):
    # Clopper-Pearson for 0 of 11: the upper bound solves (1 - p)^11 = 0.025
    low, high = share_intervals(
        np.array([0.0, 1.0]), np.zeros(2), np.array([10, 10]), np.array([11, 11]), 11, method
    )
    assert low[0] == 0 and high[0] == pytest.approx(1 - 0.025 ** (1 / 11))
    assert high[0] == pytest.approx(0.2849, abs=1e-4)
    assert low[1] == pytest.approx(0.025 ** (1 / 11)) and high[1] == 1


def test_a_small_share_has_an_asymmetric_interval_inside_zero_to_one():
    # 1 of 20, equal weights: se = sqrt(p (1 - p) / (n - 1)) as svymean gives it
    p, n = 0.05, 20
    se = math.sqrt(p * (1 - p) / (n - 1))
    low, high = share_intervals(np.array([p]), np.array([se]), np.array([n - 1]), np.array([n]), n)
    assert 0 < low[0] < p < high[0] < 1
    assert p - low[0] < high[0] - p  # longer towards the middle
    # by hand: expit(logit(p) ± qt(0.975, 19) · se / (p (1 - p))), qt(0.975, 19) = 2.093024
    spread = 2.093024054408263 * se / (p * (1 - p))
    logit = math.log(p / (1 - p))
    assert low[0] == pytest.approx(1 / (1 + math.exp(-(logit - spread))), rel=1e-9)
    assert high[0] == pytest.approx(1 / (1 + math.exp(-(logit + spread))), rel=1e-9)


def test_one_answer_gives_an_estimate_without_a_margin_not_an_error():
    result = rake({"g": ["a", "b"]}, {"g": {"a": 10, "b": 10}})
    alone = result.mean([4.0, None])
    # R gives se 0 here: a margin of 0 would claim certainty one answer cannot give
    assert alone.estimate == 4.0 and alone.n == 1 and not alone.has_margin
    single = rake({"g": ["a"]}, {"g": {"a": 10}}).mean([4.0])
    assert single.estimate == 4.0 and single.n == 1
    assert math.isnan(single.se) and not single.has_margin
