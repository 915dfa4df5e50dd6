"""Allocate and draw a wave of 5,000 from 1,000,000 members over 228 strata.

Strata are age band x gender x municipality (6 x 2 x 19) of Region Midtjylland. Targets
are the demo population (summed over education); the panel leans older and towards
Aarhus, with noise, so stratum sizes are unequal and differ from the targets. Run with
``.venv/bin/python -m bench.bench_sampling``; each figure is the best of 5 runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from panel.demo import synthetic_population
from stats.allocation import allocate, draw, draw_codes

MEMBERS = 1_000_000
WANTED = 5_000
REPEAT = 5

Stratum = tuple[str, str, str]


def population_targets() -> dict[Stratum, int]:
    targets: dict[Stratum, int] = {}
    for (band, gender, municipality, _education), count in synthetic_population().items():
        key = (band, gender, municipality)
        targets[key] = targets.get(key, 0) + count
    return targets


def panel_members(targets: dict[Stratum, int], seed: int = 11) -> list[tuple[int, Stratum]]:
    """(member id, stratum) pairs, skewed away from the population on purpose."""
    rng = np.random.default_rng(seed)
    strata = list(targets)
    bands = sorted({band for band, _, _ in strata})
    lean = np.array(
        [
            (1 + 0.25 * bands.index(band)) * (1.6 if municipality == "751" else 1.0)
            for band, _gender, municipality in strata
        ]
    )
    weights = (
        np.array(list(targets.values()), dtype=float) * lean * rng.lognormal(0, 0.4, len(lean))
    )
    picks = rng.choice(len(strata), size=MEMBERS, p=weights / weights.sum())
    ids = rng.permutation(MEMBERS) + 1
    return [(int(i), strata[p]) for i, p in zip(ids, picks, strict=True)]


def best_of(fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(REPEAT):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    targets = population_targets()
    members = panel_members(targets)
    available: dict[Stratum, int] = {}
    for _member_id, stratum in members:
        available[stratum] = available.get(stratum, 0) + 1
    rates = {stratum: 0.25 + 0.1 * (i % 5) for i, stratum in enumerate(targets)}
    sizes = np.array([available.get(s, 0) for s in targets])

    t_alloc, allocation = best_of(lambda: allocate(targets, WANTED, available))
    t_rates, with_rates = best_of(lambda: allocate(targets, WANTED, available, rates))
    # Tight caps: ask for more than the smallest strata hold, so water-filling caps many.
    tight = int(sizes.sum() * 0.6)
    t_tight, capped = best_of(lambda: allocate(targets, tight, available))
    n_capped = sum(capped[s] == available.get(s, 0) for s in targets)
    t_draw, drawn = best_of(lambda: draw(members, allocation, seed=2026))
    t_both, _ = best_of(lambda: draw(members, allocate(targets, WANTED, available), seed=2026))

    code_of = {stratum: code for code, stratum in enumerate(targets)}
    ids = np.array([member_id for member_id, _ in members])
    codes = np.array([code_of[stratum] for _, stratum in members])
    wanted = np.array([allocation[s] for s in targets])
    t_core, core = best_of(lambda: draw_codes(ids, codes, wanted, seed=2026))

    rows = [
        ("allocate n=5,000 with availability", t_alloc, f"{sum(allocation.values()):,} invited"),
        ("allocate with response rates", t_rates, f"{sum(with_rates.values()):,} invited"),
        (f"allocate n={tight:,} (caps bind)", t_tight, f"{n_capped} strata capped"),
        ("draw from (id, stratum) pairs", t_draw, f"{len(drawn):,} drawn"),
        ("allocate + draw", t_both, ""),
        ("draw_codes on numpy arrays", t_core, f"{len(core):,} drawn"),
    ]
    print(f"Sampling: {MEMBERS:,} members, {len(targets)} strata, best of {REPEAT}")
    print(f"{'step':<38} {'seconds':>9}  result")
    print("-" * 68)
    for name, seconds, note in rows:
        print(f"{name:<38} {seconds:>9.4f}  {note}")


if __name__ == "__main__":
    main()
