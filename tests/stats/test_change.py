"""The change between two waves with the covariance of members who answered both, against
R (tests/fixtures/change, from make_fixtures.R there)."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from stats.change import WaveInfluence, change, influence

FIXTURES = Path(__file__).parent.parent / "fixtures" / "change"


def test_the_change_and_its_se_are_rs_svycontrast_on_the_stacked_waves():
    rows = list(csv.DictReader((FIXTURES / "waves.csv").open()))
    expected = json.loads((FIXTURES / "expected.json").read_text())
    waves = []
    for k in ("1", "2"):
        mine = [r for r in rows if r["wave"] == k]
        y = np.array([float(r["y"]) for r in mine])
        w = np.array([float(r["w"]) for r in mine])
        estimate, x = influence(y, w)
        waves.append(WaveInfluence(estimate, np.array([int(r["member"]) for r in mine]), x))
    found = change(*waves)
    assert [w.estimate for w in waves] == pytest.approx(expected["estimates"], rel=1e-12)
    assert found.difference == pytest.approx(expected["difference"], rel=1e-12)
    assert found.se == pytest.approx(expected["se"], rel=1e-9)
    assert found.p_value == pytest.approx(expected["p_value"], rel=1e-6)
    assert found.overlap == expected["overlap"]
    assert found.significant()
    # the members in both make the change surer than two independent samples would
    assert found.se < expected["se_if_independent"]


def test_no_overlap_is_the_sum_of_the_two_variances():
    # two waves of 1, 0, 1, 0 with different people: by hand, each var = 4/3 · Σ(x - x̄)²
    y = np.array([1.0, 0, 1, 0])
    w = np.ones(4)
    first, x1 = influence(y, w)
    second, x2 = influence(y, w)
    found = change(
        WaveInfluence(first, np.arange(4), x1), WaveInfluence(second, np.arange(4, 8), x2)
    )
    assert found.difference == 0 and found.overlap == 0
    # each x = ±1/8; over the 8 members: 8/7 · 8 · (1/8)² = 1/7
    assert found.se == pytest.approx(np.sqrt(1 / 7))
    assert not found.significant()
