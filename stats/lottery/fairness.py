"""MAXIMIN and LEXIMIN distributions over quota-respecting panels, by column generation.

The master LP (Flanigan et al. 2021, Methods) chooses probabilities ``p_j`` for a set of
panels (columns; here compositions, counts per type, see ``pool``) to maximise ``z``, the
smallest selection probability::

    max z   s.t.  sum_j p_j c_tj / n_t >= z   for every type t still free
                  sum_j p_j c_tj / n_t >= f_t  for every type fixed at f_t (LEXIMIN)
                  sum_j p_j = 1,  p >= 0

Its dual gives a weight ``w_t >= 0`` per type. The pricing problem is a MILP over the
quota constraints: the panel maximising ``sum_t w_t c_t / n_t``. A panel whose value
exceeds the LP's price of the constraint ``sum p = 1`` improves the master and is added;
when none does, the LP is optimal over *all* panels. At any point the pricing value bounds
the optimum from above (``upper_bound``): for any distribution, the w-weighted average of
the probabilities is the expected weight of the panel, at most the heaviest panel's. So
the certificate "the minimum probability is within x of the optimum" is
``upper_bound - min_probability``.

LEXIMIN: once ``z`` is optimal, the types with a positive dual weight cannot get more
than ``z`` in any optimal distribution (complementary slackness); they are fixed at ``z``
and the smallest probability among the others is maximised the same way, until every type
is fixed or the time budget is spent. The answer is then still MAXIMIN-optimal, and
LEXIMIN-optimal as far as it went (``leximin_complete`` says whether it finished).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, linprog, milp

from stats.lottery.pool import Pool

#: probabilities closer than this count as equal (the LPs' own tolerance is ~1e-9)
TOLERANCE = 1e-7
#: how far below its fixed value LEXIMIN lets a probability fall, for the LP's sake
SLACK = 1e-9
MIP_GAP = 1e-9


class NoPanel(ValueError):
    """No panel meets the quotas: call ``feasibility.check_quotas`` for the relaxation."""


@dataclass(frozen=True)
class Distribution:
    """Probabilities over panels (compositions: counts per type), and what they give."""

    pool: Pool
    #: (J, T) counts per type of each panel with positive probability
    compositions: np.ndarray
    #: (J,) the probability of each panel; sums to 1
    probabilities: np.ndarray
    #: the MAXIMIN dual bound: no distribution gives everyone more than this
    upper_bound: float
    #: False when the time budget stopped LEXIMIN early (the result is still MAXIMIN)
    leximin_complete: bool
    #: number of pricing MILPs solved (to compare runs)
    iterations: int

    @property
    def type_probabilities(self) -> np.ndarray:
        """Each type's selection probability (per person of that type)."""
        expected = self.probabilities @ self.compositions
        return np.asarray(expected / self.pool.type_sizes)

    @property
    def person_probabilities(self) -> np.ndarray:
        """Each person's selection probability, in the order of ``pool.ids``."""
        return self.type_probabilities[self.pool.type_of]

    @property
    def min_probability(self) -> float:
        return float(self.person_probabilities.min())


class _Master:
    """The columns found so far and the pricing MILP over the pool's constraints."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.columns: list[np.ndarray] = []
        self.seen: set[bytes] = set()
        self.constraints = pool.constraints()
        self.iterations = 0

    def price(self, weights: np.ndarray, at_least: int | None = None) -> tuple[np.ndarray, float]:
        """The panel with the largest total weight (``weights`` per person of each type),
        and an upper bound on that largest weight (HiGHS's dual bound).
        ``at_least``: a type the panel must include. Raises ``NoPanel`` if none exists."""
        self.iterations += 1
        low = np.zeros(self.pool.type_count)
        if at_least is not None:
            low[at_least] = 1
        result = milp(
            -weights,
            constraints=self.constraints,
            integrality=np.ones(self.pool.type_count),
            bounds=Bounds(low, self.pool.type_sizes.astype(float)),
            options={"mip_rel_gap": MIP_GAP},
        )
        if result.x is None:
            raise NoPanel("no panel meets the quotas")
        counts = np.round(result.x).astype(np.int64)
        bound = getattr(result, "mip_dual_bound", None)
        best = float(weights @ counts)
        return counts, max(best, -float(bound)) if bound is not None else best

    def add(self, counts: np.ndarray) -> bool:
        key = counts.tobytes()
        if key in self.seen:
            return False
        self.seen.add(key)
        self.columns.append(counts)
        return True

    def solve(
        self, free: np.ndarray, fixed: np.ndarray
    ) -> tuple[np.ndarray, float, np.ndarray, float]:
        """The master LP over the current columns: (p, z, w per type, price of sum p = 1).
        ``free``: mask of types in the minimum; ``fixed``: lower bounds of the others."""
        C = np.array(self.columns, dtype=float).T / self.pool.type_sizes[:, None]  # (T, J)
        T, J = C.shape
        free_rows = np.flatnonzero(free)
        fixed_rows = np.flatnonzero(~free)
        # variables: p_1..p_J, z ; minimise -z
        a_free = np.hstack([-C[free_rows], np.ones((len(free_rows), 1))])
        a_fixed = np.hstack([-C[fixed_rows], np.zeros((len(fixed_rows), 1))])
        result = linprog(
            np.concatenate([np.zeros(J), [-1.0]]),
            A_ub=np.vstack([a_free, a_fixed]),
            b_ub=np.concatenate([np.zeros(len(free_rows)), -(fixed[fixed_rows] - SLACK)]),
            A_eq=np.concatenate([np.ones(J), [0.0]])[None, :],
            b_eq=[1.0],
            bounds=[(0, None)] * J + [(None, 1)],
            method="highs",
        )
        if result.status != 0:  # pragma: no cover - the previous solution stays feasible
            raise RuntimeError(f"master LP failed: {result.message}")
        weights = np.zeros(T)
        weights[free_rows] = -result.ineqlin.marginals[: len(free_rows)]
        weights[fixed_rows] = -result.ineqlin.marginals[len(free_rows) :]
        return (
            result.x[:J],
            float(result.x[J]),
            np.maximum(weights, 0),
            -float(result.eqlin.marginals[0]),
        )


def find_distribution(
    pool: Pool, leximin: bool = True, time_limit: float = 30.0, max_iterations: int = 10_000
) -> Distribution:
    """The fairest distribution over the pool's valid panels (see the module docstring).

    ``time_limit`` (seconds, counted from the start) stops LEXIMIN, never MAXIMIN, which
    always finishes: past it, the levels fixed so far are kept and the rest is as found.
    Types no valid panel can include get probability 0 and are left out of the minimum.
    Raises ``NoPanel`` when no panel meets the quotas.
    """
    started = time.monotonic()
    master = _Master(pool)
    T = pool.type_count
    sizes = pool.type_sizes.astype(float)
    covered = np.zeros(T, dtype=bool)
    # a first panel per type that can be drawn at all, each covering as many uncovered as it can
    for t in range(T):
        if covered[t]:
            continue
        try:
            counts, _ = master.price(np.where(covered, 0.0, 1.0 / sizes), at_least=t)
        except NoPanel:
            continue  # no valid panel has anyone of this type
        master.add(counts)
        covered |= counts > 0
    if not master.columns:
        raise NoPanel("no panel meets the quotas")
    free = covered.copy()
    fixed = np.zeros(T)
    upper_bound = 1.0
    complete = True
    stage = 0
    while free.any() and complete:
        p, z, weights, price = master.solve(free, fixed)
        while master.iterations < max_iterations:
            if stage and time.monotonic() - started > time_limit:
                complete = False  # p still keeps every level fixed so far
                break
            counts, best = master.price(weights / sizes)
            bound = best - float(weights[~free] @ (fixed[~free] - SLACK))
            if stage == 0:
                upper_bound = min(upper_bound, bound)
            if best <= price + TOLERANCE or bound - z <= TOLERANCE or not master.add(counts):
                break
            p, z, weights, price = master.solve(free, fixed)
        if not leximin or not complete:
            break
        stage += 1
        tight = free & (weights > 1e-9)
        if not tight.any():  # degenerate duals: fix the smallest
            probabilities = (p @ np.array(master.columns, dtype=float)) / sizes
            tight = free & (probabilities <= z + TOLERANCE)
        fixed[tight] = z
        free &= ~tight
    keep = p > 1e-12
    columns = np.array(master.columns)[keep]
    probabilities = p[keep] / p[keep].sum()
    return Distribution(
        pool=pool,
        compositions=columns,
        probabilities=probabilities,
        upper_bound=max(upper_bound, 0.0),
        leximin_complete=complete and leximin and not free.any(),
        iterations=master.iterations,
    )
