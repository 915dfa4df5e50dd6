"""The focus-group lottery: instances whose fair probabilities are known by hand."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from stats.lottery import (
    Pool,
    Quota,
    check_quotas,
    draw,
    find_distribution,
    replacement,
    round_distribution,
)
from stats.lottery.fairness import NoPanel
from stats.lottery.pool import proportional_quotas


def gender_pool(women: int, men: int, k: int, quotas: list[Quota]) -> Pool:
    ids = [f"w{i}" for i in range(women)] + [f"m{i}" for i in range(men)]
    genders = ["f"] * women + ["m"] * men
    return Pool(ids, {"gender": genders}, quotas, k)


def by_id(pool: Pool, values: np.ndarray) -> dict[str, float]:
    return dict(zip(pool.ids, values.tolist(), strict=True))


def test_one_binary_feature_gives_each_group_its_quota_over_its_size() -> None:
    # 2 of 6 women and 3 of 14 men: every woman 1/3, every man 3/14, and no one can do better
    pool = gender_pool(6, 14, 5, [Quota("gender", "f", 2, 2), Quota("gender", "m", 3, 3)])
    distribution = find_distribution(pool)
    probabilities = by_id(pool, distribution.person_probabilities)
    assert probabilities["w0"] == pytest.approx(1 / 3)
    assert probabilities["m13"] == pytest.approx(3 / 14)
    assert distribution.min_probability == pytest.approx(3 / 14)
    assert distribution.upper_bound == pytest.approx(3 / 14)
    assert distribution.probabilities.sum() == pytest.approx(1.0)


def test_without_quotas_everyone_has_k_over_n() -> None:
    pool = Pool([str(i) for i in range(30)], {"gender": ["f", "m"] * 15}, [], 6)
    assert find_distribution(pool).person_probabilities == pytest.approx(np.full(30, 0.2))


def test_leximin_raises_everyone_above_the_minimum_as_far_as_possible() -> None:
    # one of 10 women (0.1 each) is the minimum; MAXIMIN alone would allow some men 0.1 and
    # others 0.3, LEXIMIN gives the 10 men their equal share of the 2 places: 0.2 each
    pool = gender_pool(10, 10, 3, [Quota("gender", "f", 1, 1)])
    distribution = find_distribution(pool, leximin=True)
    probabilities = distribution.person_probabilities
    assert probabilities[:10] == pytest.approx(np.full(10, 0.1))
    assert probabilities[10:] == pytest.approx(np.full(10, 0.2))
    assert distribution.leximin_complete


def test_one_per_household() -> None:
    # three people at one address and one alone, k = 2: every panel holds the one alone and
    # one of the three
    pool = Pool(
        ["a", "b", "c", "d"],
        {"gender": ["f", "m", "f", "m"]},
        [],
        2,
        households=["x", "x", "x", None],
    )
    probabilities = by_id(pool, find_distribution(pool).person_probabilities)
    assert probabilities == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3, "d": 1.0})
    rounded = round_distribution(find_distribution(pool), m=30)
    for seed in ("1", "2", "3", "4", "5", "6"):
        selected = set(draw(rounded, seed).selected)
        assert "d" in selected and len(selected & {"a", "b", "c"}) == 1


def test_people_no_valid_panel_can_hold_get_zero_and_do_not_spoil_the_minimum() -> None:
    pool = Pool(
        ["a", "b", "c", "d", "e"],
        {"region": ["n", "n", "s", "s", "x"]},
        [Quota("region", "x", 0, 0)],
        2,
    )
    probabilities = by_id(pool, find_distribution(pool).person_probabilities)
    assert probabilities["e"] == 0
    assert [probabilities[p] for p in "abcd"] == pytest.approx([0.5] * 4)


def test_infeasible_quotas_name_the_quotas_and_the_smallest_relaxation() -> None:
    # 3 women in the pool but at least 4 asked for; the men's maximum of 1 then needs 1 more
    quotas = [Quota("gender", "f", 4, 5), Quota("gender", "m", 0, 1)]
    pool = gender_pool(3, 10, 5, quotas)
    relaxation = check_quotas(pool)
    assert not relaxation.feasible
    assert relaxation.total == 2
    assert relaxation.relaxed_quotas == {
        ("gender", "f"): Quota("gender", "f", 3, 5),
        ("gender", "m"): Quota("gender", "m", 0, 2),
    }
    with pytest.raises(NoPanel):
        find_distribution(pool)


def test_feasible_quotas_and_a_pool_too_small() -> None:
    assert check_quotas(gender_pool(5, 5, 4, [Quota("gender", "f", 2, 2)])).feasible
    too_small = check_quotas(Pool(["a", "b"], {"g": ["f", "m"]}, [], 2, households=["h", "h"]))
    assert too_small.pool_too_small and not too_small.feasible


def test_proportional_quotas_round_each_share_down_and_up() -> None:
    quotas = proportional_quotas({"gender": {"f": 51, "m": 49}}, 10)
    assert quotas == [Quota("gender", "f", 5, 6), Quota("gender", "m", 4, 5)]
    assert proportional_quotas({"age": {"young": 0.5, "old": 0.5}}, 10, slack=1) == [
        Quota("age", "young", 4, 6),
        Quota("age", "old", 4, 6),
    ]


def test_rounding_to_m_panels_keeps_the_probabilities_close() -> None:
    pool = gender_pool(7, 13, 4, [Quota("gender", "f", 1, 2), Quota("gender", "m", 2, 3)])
    distribution = find_distribution(pool)
    rounded = round_distribution(distribution, m=1000)
    assert int(rounded.copies.sum()) == 1000
    assert rounded.max_deviation <= 0.002
    assert rounded.person_probabilities == pytest.approx(
        distribution.person_probabilities, abs=0.002
    )
    assert all(pool.meets_quotas(c) for c in rounded.compositions)


def test_the_draw_can_be_rerun_from_the_seed_by_the_published_recipe() -> None:
    pool = gender_pool(6, 14, 5, [Quota("gender", "f", 2, 2), Quota("gender", "m", 3, 3)])
    rounded = round_distribution(find_distribution(pool))
    result = draw(rounded, "2027-focus-group")
    assert result == draw(rounded, "2027-focus-group")
    assert draw(rounded, "another seed").selected != result.selected

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    # by hand: the slot, then the first 2 women and 3 men in hash order
    assert result.slot == int(sha("2027-focus-group\npanel"), 16) % rounded.m
    order = sorted(pool.ids, key=lambda i: sha(f"2027-focus-group\nperson\n{i}"))
    women = [i for i in order if i.startswith("w")][:2]
    men = [i for i in order if i.startswith("m")][:3]
    assert sorted(result.selected) == sorted(women + men)
    assert result.alternates == [i for i in order if i not in result.selected]


def test_a_dropout_is_replaced_by_someone_who_keeps_the_quotas() -> None:
    pool = Pool(
        ["a", "b", "c", "d", "e", "f"],
        {"gender": ["f", "f", "m", "m", "m", "f"], "age": ["y", "o", "y", "o", "o", "o"]},
        [Quota("gender", "f", 1, 1), Quota("age", "y", 1, 2)],
        3,
    )
    # a (f, y) leaves: b is f but old, c is m and young; only another woman keeps the gender
    # quota, and with b the panel {b, c, d} still has a young person
    assert replacement(pool, ["a", "c", "d"], "a", ["e", "b", "f"]) == "b"
    # c (m, y) leaves a panel {b, c, d}: the only young alternate is a, a woman: none works
    assert replacement(pool, ["b", "c", "d"], "c", ["e", "a"]) is None
    # the same type first, whatever the order
    assert replacement(pool, ["b", "c", "d"], "d", ["f", "e"]) == "e"
