"""Round a distribution to m equally likely panels, draw one by a seed, replace drop-outs.

Rounding (Flanigan, Kehne and Procaccia 2021, "Fair sortition made transparent"): panel
``j`` with probability ``p_j`` gets ``a_j`` of ``m`` slots, ``a_j`` either ``floor(m p_j)``
or ``ceil(m p_j)`` and ``sum a_j = m``. Of those roundings a MILP picks the one whose
selection probabilities differ least from the exact ones, a shortfall weighing ten times
an excess (the largest difference over people, ``max_deviation``, is reported). HiGHS
starts from a feasible rounding and stops at its time limit with the best found so far.
The paper shows (by dependent rounding, Beck-Fiala) that among these roundings one within
``O(k/m)`` of every probability exists; the MILP searches them for the closest and the
benchmark shows how close it gets in practice (bench/RESULTS.md).

The draw, so that anyone can re-run it from the published seed and the list of panels:

1. The m panels are listed in a fixed order: compositions (counts per type, types in the
   order of ``Pool.type_keys``) sorted ascending as tuples, each repeated ``a_j`` times.
2. The panel is slot ``int(sha256("<seed>\\npanel"), 16) mod m`` (SHA-256 of the UTF-8
   text, read as a hexadecimal number).
3. Within each type the people are put in order of ``sha256("<seed>\\nperson\\n<id>")``
   (hexadecimal, ascending) and the first ``c_t`` of them are selected, which is a uniform
   choice among the type. The same order over the whole pool, without those selected, is
   the order of the alternates.

No random generator's version matters: only SHA-256.

``m`` defaults to 10,000, not the paper's 1,000: the paper rounds for a lottery drawn by
hand (balls, dice), where fewer panels are easier to show; here the slot comes from the
seed, and the benchmark's hard instance (402 types, k = 50) loses 0.17 points of the
minimum probability at m = 1,000 but 0.02 at 10,000.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from stats.lottery.fairness import Distribution
from stats.lottery.pool import Pool

#: equally likely panels a distribution is rounded to (see the module docstring)
DEFAULT_M = 10_000


@dataclass(frozen=True)
class RoundedDistribution:
    """``m`` equally likely panels: each composition and how many of the m it takes."""

    pool: Pool
    #: (J, T) compositions in the published order
    compositions: np.ndarray
    #: (J,) slots of each composition; sums to ``m``
    copies: np.ndarray
    m: int
    #: the largest change of anyone's probability against the exact distribution
    max_deviation: float

    @property
    def type_probabilities(self) -> np.ndarray:
        return np.asarray((self.copies @ self.compositions) / self.m / self.pool.type_sizes)

    @property
    def person_probabilities(self) -> np.ndarray:
        return self.type_probabilities[self.pool.type_of]

    @property
    def min_probability(self) -> float:
        return float(self.person_probabilities.min())

    def panel(self, slot: int) -> np.ndarray:
        """The composition in slot ``slot`` (0 <= slot < m) of the published list."""
        return np.asarray(self.compositions[np.searchsorted(np.cumsum(self.copies), slot, "right")])


def round_distribution(
    distribution: Distribution, m: int = DEFAULT_M, time_limit: float = 5.0
) -> RoundedDistribution:
    """The best floor/ceil rounding of ``distribution`` to ``m`` equally likely panels
    that HiGHS finds within ``time_limit`` seconds (it starts from a feasible one)."""
    pool = distribution.pool
    p = distribution.probabilities
    C = distribution.compositions.astype(float) / pool.type_sizes  # (J, T), per person
    exact = p @ C
    J, T = C.shape
    low = np.floor(m * p + 1e-9)
    high = np.maximum(np.ceil(m * p - 1e-9), low)
    # variables: a_1..a_J, below, above; a person's rounded probability may fall short of
    # the exact one by ``below`` and exceed it by ``above``. Falling short is what fairness
    # is about (the minimum), so it costs ten times more.
    rows = np.hstack([C.T / m, np.zeros((T, 2))])
    below = np.zeros((T, J + 2))
    below[:, J] = 1.0
    above = np.zeros((T, J + 2))
    above[:, J + 1] = 1.0
    result = milp(
        np.concatenate([np.zeros(J), [10.0, 1.0]]),
        constraints=[
            LinearConstraint(np.concatenate([np.ones(J), [0.0, 0.0]])[None, :], m, m),
            LinearConstraint(rows - above, -np.inf, exact),
            LinearConstraint(rows + below, exact, np.inf),
        ],
        integrality=np.concatenate([np.ones(J), [0.0, 0.0]]),
        bounds=Bounds(np.concatenate([low, [0.0, 0.0]]), np.concatenate([high, [1.0, 1.0]])),
        options={"time_limit": time_limit, "mip_rel_gap": 0.01},
    )
    if result.x is None:  # pragma: no cover - largest remainders always satisfy the rows
        copies = _largest_remainders(m * p, m)
    else:
        copies = np.round(result.x[:J]).astype(np.int64)
    order = sorted(range(J), key=lambda j: tuple(distribution.compositions[j]))
    order = [j for j in order if copies[j] > 0]
    compositions = distribution.compositions[order]
    copies = copies[order]
    rounded = (copies @ compositions) / m / pool.type_sizes
    deviation = float(np.abs(rounded - exact).max())
    return RoundedDistribution(pool, compositions, copies, m, deviation)


def _largest_remainders(shares: np.ndarray, m: int) -> np.ndarray:
    copies = np.floor(shares).astype(np.int64)
    left = m - int(copies.sum())
    copies[np.argsort(-(shares - copies), kind="stable")[:left]] += 1
    return copies


def ticket(seed: str, *parts: str) -> str:
    """SHA-256 (hexadecimal) of the seed and the parts, one per line: the draw's only randomness."""
    return hashlib.sha256("\n".join([seed, *parts]).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Draw:
    """One drawn panel: the slot of the m, who is in it, and the alternates in order."""

    seed: str
    slot: int
    selected: list[str]
    alternates: list[str]


def draw(rounded: RoundedDistribution, seed: str) -> Draw:
    """Draw one of the m panels and its people by ``seed`` (see the module docstring)."""
    pool = rounded.pool
    slot = int(ticket(seed, "panel"), 16) % rounded.m
    counts = rounded.panel(slot)
    order = sorted(range(pool.size), key=lambda i: ticket(seed, "person", str(pool.ids[i])))
    taken = np.zeros(pool.type_count, dtype=np.int64)
    selected, alternates = [], []
    for i in order:
        t = pool.type_of[i]
        if taken[t] < counts[t]:
            taken[t] += 1
            selected.append(str(pool.ids[i]))
        else:
            alternates.append(str(pool.ids[i]))
    return Draw(seed, slot, selected, alternates)


def replacement(
    pool: Pool, selected: Sequence[str], dropout: str, alternates: Sequence[str]
) -> str | None:
    """Who replaces ``dropout`` so that the panel still meets the quotas (and households).

    The first alternate of the same type keeps the composition, so everyone's probability
    stays what it was; failing that, the first alternate with whom the panel still meets
    every quota. ``None``: no alternate keeps the quotas.
    """
    position = {str(person): i for i, person in enumerate(pool.ids)}
    out = position[dropout]
    rest = [position[s] for s in selected if s != dropout]
    candidates = [a for a in alternates if a in position and a not in selected]
    for alternate in candidates:
        if pool.type_of[position[alternate]] == pool.type_of[out]:
            return alternate
    for alternate in candidates:
        if pool.meets_quotas(pool.counts([*rest, position[alternate]])):
            return alternate
    return None
