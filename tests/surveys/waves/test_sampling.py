"""Sampling: allocating a wave over strata and drawing members (panel/sampling.py).

References are computed here independently: exact shares with fractions, and the cap
rule as the issue states it (cap the short strata, share their shortfall out, repeat),
not the one-pass method the module uses.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from fractions import Fraction
from itertools import combinations
from typing import SupportsFloat

import numpy as np
import pytest

from stats.allocation import allocate, allocate_detailed, draw, draw_codes


def exact_shares(targets, n):
    total = sum(Fraction(t) for t in targets.values())
    return {s: n * Fraction(t) / total for s, t in targets.items()}


def reference_water_fill(targets, n, caps):
    """Expected completes per stratum, by the literal rule: repeat until nobody is short."""
    weights = {s: Fraction(t) for s, t in targets.items()}
    fixed: dict = {}
    while True:
        open_ = {s: w for s, w in weights.items() if s not in fixed and w > 0}
        remaining = n - sum(fixed.values())
        total = sum(open_.values())
        share = {s: remaining * w / total for s, w in open_.items()} if total else {}
        short = {s for s, x in share.items() if caps.get(s) is not None and x > caps[s]}
        if not short:
            return {s: fixed.get(s, share.get(s, Fraction(0))) for s in weights}
        fixed.update({s: caps[s] for s in short})


def random_case(rng: random.Random):
    strata = [f"s{i}" for i in range(rng.randint(1, 25))]
    targets = {s: rng.choice([0, rng.randint(1, 5), rng.randint(1, 50_000)]) for s in strata}
    if not any(targets.values()):
        targets[strata[0]] = 1
    return targets, rng.randint(0, 3_000)


def assert_largest_remainders_won(result, exact):
    """Every stratum rounded up had a remainder at least as large as any rounded down."""
    up = [x - math.floor(x) for s, x in exact.items() if result[s] > x]
    down = [x - math.floor(x) for s, x in exact.items() if result[s] < x]
    if up and down:
        assert min(up) >= max(down)


# --- allocate: proportional ---------------------------------------------------------------


def test_hand_computed_largest_remainder():
    # Exact shares of 7: 3.5, 2.1, 1.4. Floors 3 + 2 + 1 = 6 leave one unit, which goes to
    # the largest remainder (0.5 > 0.4 > 0.1): a.
    assert allocate({"a": 50, "b": 30, "c": 20}, 7) == {"a": 4, "b": 2, "c": 1}


def test_shares_and_counts_allocate_alike_and_keep_the_order_of_the_targets():
    result = allocate({"c": 0.2, "a": 0.5, "b": 0.3}, 7)
    assert result == {"c": 1, "a": 4, "b": 2}
    assert list(result) == ["c", "a", "b"]


def test_equal_remainders_go_to_the_earlier_stratum():
    # 4 / 3 = 1.33 each: one unit left, all remainders and targets equal.
    assert allocate({"a": 1, "b": 1, "c": 1}, 4) == {"a": 2, "b": 1, "c": 1}
    assert allocate({"c": 1, "b": 1, "a": 1}, 4) == {"c": 2, "b": 1, "a": 1}


def test_equal_remainders_go_to_the_larger_target_first():
    # Exact 0.5 and 1.5: both remainders 0.5, so b (75 > 25) gets the unit, in either order.
    assert allocate({"a": 25, "b": 75}, 2) == {"a": 0, "b": 2}
    assert allocate({"b": 75, "a": 25}, 2) == {"b": 2, "a": 0}


def test_total_is_n_and_every_stratum_within_one_of_its_share_for_many_random_cases():
    rng = random.Random(20261123)
    for _ in range(400):
        targets, n = random_case(rng)
        result = allocate(targets, n)
        exact = exact_shares(targets, n)
        assert sum(result.values()) == n
        assert all(abs(result[s] - exact[s]) < 1 for s in targets)
        assert all(result[s] == 0 for s, t in targets.items() if t == 0)
        assert_largest_remainders_won(result, exact)


def test_numpy_counts_are_accepted():
    targets: dict[str, SupportsFloat] = {"a": np.int64(50), "b": np.float64(30), "c": np.int32(20)}
    available = dict(zip("abc", np.bincount([0, 0, 1, 1, 1, 2, 2, 2, 2]), strict=True))
    assert allocate(targets, 7, available) == {"a": 2, "b": 3, "c": 2}


# --- allocate: caps and redistribution ----------------------------------------------------


def test_a_short_stratum_gets_all_it_has_and_the_rest_goes_by_target():
    # Exact 6 / 3 / 1; a has 2, so its 4 go to b and c as 30 : 10, i.e. 3 and 1.
    detail = allocate_detailed({"a": 60, "b": 30, "c": 10}, 10, {"a": 2, "b": 50, "c": 50})
    assert detail.invitations == {"a": 2, "b": 6, "c": 2}
    a, b, c = detail.strata
    assert (a.capped, b.capped, c.capped) == (True, False, False)
    assert (a.shortfall, b.received, c.received) == (4, 3, 1)
    assert detail.redistributed == 4
    assert detail.shortfall == 0


def test_redistribution_repeats_until_no_stratum_is_over_its_members():
    # Exact 10 / 6 / 4. a has 4: its 6 go to b, c as 30 : 20 -> b 9.6, c 6.4. Now b (9)
    # is short too: b gets 9 and c the remaining 20 - 4 - 9 = 7.
    result = allocate({"a": 50, "b": 30, "c": 20}, 20, {"a": 4, "b": 9, "c": 100})
    assert result == {"a": 4, "b": 9, "c": 7}


def test_too_few_members_gives_everyone_and_reports_the_shortfall():
    # Strata nobody lives in (target 0) get nothing and are not shown as exhausted.
    targets = {"a": 2, "b": 3, "y": 0, "z": 0}
    detail = allocate_detailed(targets, 10, {"a": 2, "b": 3, "y": 0, "z": 40})
    assert detail.invitations == {"a": 2, "b": 3, "y": 0, "z": 0}
    assert detail.shortfall == 5
    assert detail.expected_completes == 5
    assert [plan.capped for plan in detail.strata] == [True, True, False, False]


def test_a_stratum_missing_from_available_has_no_members():
    assert allocate({"a": 1, "b": 1}, 4, {"a": 10}) == {"a": 4, "b": 0}


def test_caps_hold_and_totals_stay_exact_for_many_random_cases():
    rng = random.Random(7)
    for _ in range(400):
        targets, n = random_case(rng)
        available = {s: rng.choice([0, rng.randint(0, 30), rng.randint(0, 3_000)]) for s in targets}
        result = allocate(targets, n, available)
        exact = reference_water_fill(targets, n, available)
        reachable = sum(a for s, a in available.items() if targets[s] > 0)
        assert sum(result.values()) == min(n, reachable)
        assert all(result[s] <= available[s] for s in targets)
        assert all(abs(result[s] - exact[s]) < 1 for s in targets)


# --- allocate: response rates -------------------------------------------------------------


def test_response_rates_divide_the_completes():
    # Completes 5 and 5; at 50 % and 25 % that takes 10 and 20 invitations.
    assert allocate({"a": 1, "b": 1}, 10, response_rates={"a": 0.5, "b": 0.25}) == {
        "a": 10,
        "b": 20,
    }


def test_response_rates_round_within_one_and_never_below_the_exact_total():
    # Completes 3.5 / 2.1 / 1.4 at 30 %: 11.67 / 7 / 4.67 invitations, 23.33 in all, so 24.
    # Floors 11 + 7 + 4 = 22; the two units go to the remainders 0.67 of a and c.
    rates = {"a": 0.3, "b": 0.3, "c": 0.3}
    assert allocate({"a": 50, "b": 30, "c": 20}, 7, response_rates=rates) == {
        "a": 12,
        "b": 7,
        "c": 5,
    }


def test_with_rates_available_members_cap_invitations_not_completes():
    # a's 6 members at 50 % give 3 expected completes of its 5; the 2 missing go to b,
    # which needs 7 completes: 14 invitations.
    detail = allocate_detailed(
        {"a": 50, "b": 50}, 10, {"a": 6, "b": 100}, response_rates={"a": 0.5, "b": 0.5}
    )
    assert detail.invitations == {"a": 6, "b": 14}
    assert (detail.strata[0].completes, detail.strata[0].shortfall) == (3, 2)
    assert detail.strata[1].completes == 7
    assert detail.expected_completes == 10


def test_rates_and_caps_hold_for_many_random_cases():
    rng = random.Random(99)
    for _ in range(300):
        targets, n = random_case(rng)
        rates = {s: Fraction(rng.randint(1, 100), 100) for s in targets}
        available = {s: rng.randint(0, 4_000) for s in targets}
        caps = {s: available[s] * rates[s] for s in targets}
        completes = reference_water_fill(targets, n, caps)
        exact = {s: completes[s] / rates[s] for s in targets}
        result = allocate(targets, n, available, rates)
        assert sum(result.values()) == math.ceil(sum(exact.values()))
        assert all(abs(result[s] - exact[s]) < 1 for s in targets)
        assert all(result[s] <= available[s] for s in targets)


# --- allocate: bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (({"a": 1}, -1), "n must be a whole number"),
        (({"a": 1}, 2.5), "n must be a whole number"),
        (({}, 5), "targets is empty"),
        (({"a": 1, "b": -2}, 5), "target of stratum 'b' is negative"),
        (({"a": 1, "b": float("nan")}, 5), "target of stratum 'b' must be a finite number"),
        (({"a": 0, "b": 0}, 5), "targets are all zero"),
        (({"a": 1}, 5, {"a": -1}), "availability of stratum 'a' must be a whole number"),
        (({"a": 1}, 5, {"a": 1, "x": 3}), r"available has strata that are not in targets: \['x'\]"),
        (({"a": 1}, 5, None, {"a": 0}), "must be above 0 and at most 1"),
        (({"a": 1}, 5, None, {"a": 1.5}), "must be above 0 and at most 1"),
        (({"a": 1, "b": 1}, 5, None, {"a": 0.5}), "stratum 'b' has a target but no response rate"),
        (({"a": 1}, 5, None, {"a": 0.5, "x": 0.5}), "response_rates has strata that are not in"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(arguments, message):
    with pytest.raises(ValueError, match=message):
        allocate(*arguments)


# --- draw ---------------------------------------------------------------------------------


def panel(sizes: dict[str, int]) -> list[tuple[int, str]]:
    members, next_id = [], 1
    for stratum, size in sizes.items():
        members += [(next_id + i, stratum) for i in range(size)]
        next_id += size
    return members


def test_draw_takes_the_allocated_number_from_each_stratum_and_only_its_members():
    members = panel({"a": 50, "b": 8, "c": 30, "d": 12})
    stratum_of = dict(members)
    drawn = draw(members, {"a": 5, "b": 10, "c": 0, "e": 4}, seed=1)
    assert len(drawn) == len(set(drawn))
    assert Counter(stratum_of[i] for i in drawn) == {"a": 5, "b": 8}
    assert drawn == sorted(drawn)


def test_draw_from_an_allocation_gives_every_stratum_its_invitations():
    rng = np.random.default_rng(3)
    members = [(int(i), f"s{rng.integers(0, 12)}") for i in rng.permutation(5_000)]
    available = Counter(stratum for _, stratum in members)
    targets = {f"s{k}": 100 + 50 * k for k in range(12)}
    allocation = allocate(targets, 600, available)
    drawn = draw(members, allocation, seed=5)
    stratum_of = dict(members)
    assert Counter(stratum_of[i] for i in drawn) == {s: k for s, k in allocation.items() if k}


def test_same_seed_same_sample_other_seed_other_sample_any_member_order():
    members = panel({"a": 400, "b": 300})
    allocation = {"a": 40, "b": 30}
    first = draw(members, allocation, seed=42)
    shuffled = members[:]
    random.Random(1).shuffle(shuffled)
    assert draw(shuffled, allocation, seed=42) == first
    assert draw(reversed(members), allocation, seed=42) == first
    assert draw(members, allocation, seed=43) != first


def test_every_member_and_every_subset_is_equally_likely():
    """20,000 draws of 3 of 10 members, each with its own fixed seed (so it cannot flake).

    Each member's inclusion count is Binomial(20,000, 0.3): sd = sqrt(20,000 x 0.3 x 0.7)
    = 64.8; we allow 5 sd. The 120 possible trios should be equally frequent: a chi-square
    statistic with 119 degrees of freedom, against its 0.1 % critical value by the
    Wilson-Hilferty approximation (about 173). Returning the first three members, or
    favouring low ids, fails both.
    """
    members = [(i, "s") for i in range(10)]
    runs = 20_000
    trios = Counter(tuple(draw(members, {"s": 3}, seed=seed)) for seed in range(runs))
    inclusion = Counter(i for trio in trios.elements() for i in trio)
    sd = math.sqrt(runs * 0.3 * 0.7)
    assert all(abs(inclusion[i] - runs * 0.3) < 5 * sd for i in range(10))

    expected = runs / math.comb(10, 3)
    chi2 = sum((trios[trio] - expected) ** 2 / expected for trio in combinations(range(10), 3))
    df, z = 119, 3.09
    critical = df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3
    assert chi2 < critical


def test_a_member_listed_twice_is_refused():
    with pytest.raises(ValueError, match="member id 2 appears more than once"):
        draw([(1, "a"), (2, "a"), (2, "b")], {"a": 1, "b": 1}, seed=0)


def test_a_negative_allocation_is_refused():
    with pytest.raises(ValueError, match="allocation of stratum 'a' must be a whole number"):
        draw([(1, "a")], {"a": -1}, seed=0)


def test_draw_codes_works_on_arrays_like_draw():
    members = panel({"a": 200, "b": 100})
    ids = np.array([i for i, _ in members])
    codes = np.array([0 if s == "a" else 1 for _, s in members])
    drawn = draw_codes(ids, codes, np.array([20, 10]), seed=9)
    assert drawn.tolist() == draw(members, {"a": 20, "b": 10}, seed=9)
