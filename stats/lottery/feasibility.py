"""Can any panel meet the quotas? If not: which quotas, and the smallest relaxation.

The relaxation is a MILP over the counts per type with a slack below each minimum and
above each maximum, minimising the total slack (people added to maxima and taken off
minima). Its answer is a set of quotas that works and differs from the asked ones by as
few people as possible; the quotas with slack are the ones that cannot all be met.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from stats.lottery.pool import Pool, Quota


@dataclass(frozen=True)
class Relaxation:
    """The answer of ``check_quotas``.

    ``feasible``: the quotas can be met as asked. Otherwise ``changes`` pairs each quota
    that must change with the relaxed quota that works, and ``total`` is the sum of the
    changes in people. ``pool_too_small``: no panel of ``k`` exists even without quotas
    (fewer than ``k`` people, or fewer than ``k`` households).
    """

    feasible: bool
    changes: tuple[tuple[Quota, Quota], ...] = ()
    total: int = 0
    pool_too_small: bool = False

    @property
    def relaxed_quotas(self) -> dict[tuple[str, str], Quota]:
        return {(old.category, old.value): new for old, new in self.changes}


def largest_panel(pool: Pool) -> int:
    """The most people one panel can hold: everyone, with one per shared household."""
    shared = pool.household_matrix.shape[0]
    in_shared = int(pool.household_matrix.sum())
    return pool.size - in_shared + shared


def check_quotas(pool: Pool) -> Relaxation:
    """Whether the pool's quotas can be met, and if not the smallest relaxation."""
    if largest_panel(pool) < pool.k:
        return Relaxation(feasible=False, pool_too_small=True)
    T, Q = pool.type_count, len(pool.quotas)
    # variables: counts per type (T), slack below each minimum (Q), above each maximum (Q)
    cost = np.concatenate([np.zeros(T), np.ones(2 * Q)])
    integrality = np.concatenate([np.ones(T), np.zeros(2 * Q)])
    upper = np.concatenate([pool.type_sizes.astype(float), np.full(2 * Q, float(pool.k))])
    constraints = [_widen(c, 2 * Q) for c in pool.constraints(relaxed=True)]
    if Q:
        low = np.array([q.min for q in pool.quotas], dtype=float)
        high = np.array([q.max for q in pool.quotas], dtype=float)
        eye = np.eye(Q)
        # M c + s_low >= min ; M c - s_high <= max
        constraints.append(
            LinearConstraint(np.hstack([pool.quota_matrix, eye, np.zeros((Q, Q))]), low, np.inf)
        )
        constraints.append(
            LinearConstraint(np.hstack([pool.quota_matrix, np.zeros((Q, Q)), -eye]), -np.inf, high)
        )
    result = milp(
        cost,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(np.zeros(T + 2 * Q), upper),
    )
    if result.x is None:  # pragma: no cover - the pool is large enough, so slack always works
        return Relaxation(feasible=False, pool_too_small=True)
    slack = np.round(result.x[T:]).astype(int)
    changes = []
    for q, quota in enumerate(pool.quotas):
        below, above = int(slack[q]), int(slack[Q + q])
        if below or above:
            relaxed = Quota(quota.category, quota.value, quota.min - below, quota.max + above)
            changes.append((quota, relaxed))
    total = int(slack.sum())
    return Relaxation(feasible=total == 0, changes=tuple(changes), total=total)


def _widen(constraint: LinearConstraint, extra: int) -> LinearConstraint:
    """The same rows over more variables (the slacks), with zeros for them."""
    matrix = np.asarray(constraint.A)
    return LinearConstraint(
        np.hstack([matrix, np.zeros((matrix.shape[0], extra))]), constraint.lb, constraint.ub
    )
