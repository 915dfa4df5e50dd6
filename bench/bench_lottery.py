"""The focus-group lottery (issue 15) on the issue's two instances.

1. A pool of 2,000 and k = 200 over two binary features (gender; long education or not).
2. A pool of 1,000 and k = 50 over age band x gender x municipality x education (6 x 2 x 19
   x 4 levels).

Pools are synthetic with a fixed seed: drawn from the demo population of Region
Midtjylland with a lean towards those who volunteer (older, female, Aarhus, long
education), so the quotas, each value's population share of k rounded down and up,
have work to do. For each: the MAXIMIN minimum probability and its dual bound (no
distribution can give everyone more: the gap is the distance to the optimum), LEXIMIN
within its time budget, rounding to m = 1,000 and 10,000 panels and the seeded draw,
with the times.
Run with ``.venv/bin/python -m bench.bench_lottery``.
"""

from __future__ import annotations

import time

import numpy as np

from panel.demo import synthetic_population
from stats.lottery import Pool, check_quotas, draw, find_distribution, round_distribution
from stats.lottery.pool import proportional_quotas

CATEGORIES = ("age", "gender", "municipality", "education")
#: LEXIMIN's budget, counted from the start (MAXIMIN always finishes)
LEXIMIN_SECONDS = 40.0


def volunteer_pool(size: int, seed: int) -> tuple[list[tuple[str, str, str, str]], dict]:
    """``size`` people drawn with a volunteering lean, and the population's shares."""
    rng = np.random.default_rng(seed)
    cells = list(synthetic_population().items())
    counts = np.array([count for _, count in cells], dtype=np.float64)
    bands = sorted({band for (band, _, _, _), _ in cells})
    lean = np.array(
        [
            (1 + 0.15 * bands.index(band))
            * (1.3 if gender == "f" else 0.8)
            * (1.8 if municipality == "751" else 1)
            * (1.8 if education == "long" else 1)
            for (band, gender, municipality, education), _ in cells
        ]
    )
    drawn = rng.choice(len(cells), size, p=counts * lean / (counts * lean).sum())
    shares: dict[str, dict[str, float]] = {name: {} for name in CATEGORIES}
    for cell, count in cells:
        for name, level in zip(CATEGORIES, cell, strict=True):
            shares[name][level] = shares[name].get(level, 0) + count
    return [cells[i][0] for i in drawn], shares


def two_binary_features() -> Pool:
    people, shares = volunteer_pool(2000, seed=15)
    long_education = ["yes" if p[3] == "long" else "no" for p in people]
    education = {"yes": shares["education"]["long"], "no": 0.0}
    education["no"] = sum(shares["education"].values()) - education["yes"]
    features = {"gender": [p[1] for p in people], "long_education": long_education}
    quotas = proportional_quotas({"gender": shares["gender"], "long_education": education}, 200)
    return Pool([f"p{i}" for i in range(len(people))], features, quotas, 200)


def four_features() -> Pool:
    people, shares = volunteer_pool(1000, seed=16)
    features = {name: [p[j] for p in people] for j, name in enumerate(CATEGORIES)}
    quotas = proportional_quotas(shares, 50)
    return Pool([f"p{i}" for i in range(len(people))], features, quotas, 50)


def run(name: str, pool: Pool) -> None:
    print(f"\n{name}: pool {pool.size}, k = {pool.k}, {pool.type_count} types of people")
    started = time.perf_counter()
    relaxation = check_quotas(pool)
    print(f"  quotas feasible: {relaxation.feasible} ({time.perf_counter() - started:.2f} s)")
    started = time.perf_counter()
    maximin = find_distribution(pool, leximin=False)
    seconds = time.perf_counter() - started
    gap = (maximin.upper_bound - maximin.min_probability) * 100
    print(
        f"  MAXIMIN  min probability {maximin.min_probability:.6f}, dual bound "
        f"{maximin.upper_bound:.6f} (gap {gap:.5f} points), {maximin.iterations} MILPs, "
        f"{seconds:.2f} s"
    )
    started = time.perf_counter()
    leximin = find_distribution(pool, leximin=True, time_limit=LEXIMIN_SECONDS)
    lex_seconds = time.perf_counter() - started
    probabilities = leximin.person_probabilities
    print(
        f"  LEXIMIN  min probability {leximin.min_probability:.6f}, complete "
        f"{leximin.leximin_complete}, {leximin.iterations} MILPs, {lex_seconds:.2f} s; "
        f"probabilities from {probabilities.min():.4f} to {probabilities.max():.4f}, "
        f"{len(leximin.probabilities)} panels"
    )
    for m in (1000, 10_000):
        started = time.perf_counter()
        rounded = round_distribution(leximin, m=m)
        drawn = draw(rounded, "bench-2026")
        round_seconds = time.perf_counter() - started
        print(
            f"  rounded to m = {m}: min probability {rounded.min_probability:.6f} "
            f"({(maximin.upper_bound - rounded.min_probability) * 100:.3f} points below the "
            f"bound; largest change {rounded.max_deviation:.6f}), {len(rounded.copies)} "
            f"distinct panels, drew slot {drawn.slot}: {len(drawn.selected)} people, "
            f"{round_seconds:.2f} s"
        )
    print(f"  total (LEXIMIN + rounding to 10,000 + draw): {lex_seconds + round_seconds:.2f} s")


def main() -> None:
    run("two binary features", two_binary_features())
    run("age x gender x municipality x education", four_features())


if __name__ == "__main__":
    main()
