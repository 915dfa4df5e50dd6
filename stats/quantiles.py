"""Medians and other quantiles of numbers, with the interval R's ``svyquantile`` gives.

The estimate is R's default rule (``qrule="math"``): the smallest answer at which the
weighted share of answers up to it reaches p. Its interval is Woodruff's: the share of
answers up to the estimate gets its usual interval (a weighted mean of 0/1 with the
weighting's standard error, t on the domain's degrees of freedom), and the quantiles at
that interval's ends are the interval of the quantile. So it is asymmetric where the
answers are, and ``se`` is R's: the interval's width over 2 t.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from stats.columns import FloatArray, IntArray
from stats.estimation import Estimate
from stats.intervals import LEVEL, t_quantile

#: 0/1 values per row (NaN: no answer) -> each group's weighted mean of them.
GroupMeans = Callable[[FloatArray], list[Estimate]]


def weighted_quantile(values: FloatArray, weights: FloatArray, p: float) -> float:
    """R's ``qrule_math``: the smallest value whose cumulative weight share reaches ``p``."""
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    if values.size == 0 or not 0 <= p <= 1:
        return float("nan")
    order = np.argsort(values, kind="stable")
    x, cumulative = values[order], np.cumsum(weights[order])
    total = cumulative[-1]
    position = int(np.searchsorted(cumulative, p * total, side="right")) - 1
    if position >= 0 and p - cumulative[position] / total == 0:
        return float(x[position])
    return float(x[min(position + 1, x.size - 1)])


def quantiles(
    values: FloatArray,
    weights: FloatArray,
    groups: IntArray,
    n_groups: int,
    p: float,
    group_means: GroupMeans,
    level: float = LEVEL,
) -> list[Estimate]:
    """The ``p`` quantile of ``values`` (NaN: no answer) in each group (-1: none), rows
    weighted by ``weights``; ``group_means`` gives the weighted share estimates."""
    answered = (groups >= 0) & ~np.isnan(values)
    estimate = np.array([
        weighted_quantile(values[answered & (groups == g)], weights[answered & (groups == g)], p)
        for g in range(n_groups)
    ])  # fmt: skip
    cut = np.where(groups >= 0, estimate[np.maximum(groups, 0)], np.nan)
    below = np.where(answered, (values <= cut).astype(np.float64), np.nan)
    shares = group_means(below)
    found = []
    for g, share in enumerate(shares):
        rows = answered & (groups == g)
        t = float(t_quantile(1 - (1 - level) / 2, np.array(max(share.n - 1, 1), dtype=float)))
        low_p, high_p = share.estimate - t * share.se, share.estimate + t * share.se
        low = weighted_quantile(values[rows], weights[rows], low_p) if low_p >= 0 else np.nan
        high = weighted_quantile(values[rows], weights[rows], high_p) if high_p <= 1 else np.nan
        found.append(
            Estimate(float(estimate[g]), (high - low) / (2 * t), low, high, share.n,
                     share.effective_n)
        )  # fmt: skip
    return found
