"""Weighted means per group from sums per (weighting cell, group): how the summary counts.

A stored weighting gives every respondent of a weighting cell the same weight (base
weights are all 1), and its variance correction is the same within a cell too. A domain
mean's estimate and linearised variance are then functions of three sums per (cell,
group): answers, Σy and Σy². So the summary needs answers counted per (attributes,
answer) — which the database does with GROUP BY — and a breakdown into 19
municipalities costs no more than the total. The figures equal
``WeightingResult.mean(values, by=...)`` (R's ``svyby`` with ``svymean``);
tests/surveys/results/test_weighting.py checks that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from stats.columns import FloatArray, IntArray
from stats.estimation import Estimate, estimates, variance_factor
from stats.intervals import ShareInterval
from stats.quantiles import quantiles
from stats.sums import cross_sums

#: (cells' sums of the influence values, cells' respondents) -> each cell's correction.
Fitted = Callable[[FloatArray, FloatArray], FloatArray]


def _no_correction(sums: FloatArray, counts: FloatArray) -> FloatArray:
    return np.zeros_like(sums)


@dataclass(frozen=True, eq=False)
class CellEstimator:
    """Means with R-``survey`` standard errors, from answers counted per profile.

    A profile is a group of respondents who share their weighting cell (e.g. everyone
    with the same attributes); ``means`` takes rows of (profile, value, how many).
    """

    #: Each profile's weighting cell.
    profile_cells: IntArray
    #: Each cell's weight (the weight of every respondent in it).
    cell_weights: FloatArray
    #: Respondents per cell (all of them, answering or not).
    cell_counts: FloatArray
    fitted: Fitted = _no_correction

    @classmethod
    def unweighted(cls, profile_counts: FloatArray) -> CellEstimator:
        """Everyone weight 1 and no calibration: a simple random sample."""
        total = float(np.sum(profile_counts))
        return cls(np.zeros(len(profile_counts), dtype=np.intp), np.ones(1), np.array([total]))

    @classmethod
    def from_weights(
        cls, profile_cells: IntArray, weights: FloatArray, profile_counts: FloatArray,
        fitted: Fitted,
    ) -> CellEstimator | None:  # fmt: skip
        """The estimator for each profile's weight, or None when a cell's weights differ."""
        k = int(profile_cells.max()) + 1 if profile_cells.size else 0
        high = np.full(k, -np.inf)
        low = np.full(k, np.inf)
        np.maximum.at(high, profile_cells, weights)
        np.minimum.at(low, profile_cells, weights)
        if not np.allclose(high, low, rtol=1e-9, atol=0):
            return None
        counts = np.bincount(profile_cells, weights=profile_counts, minlength=k).astype(float)
        return cls(profile_cells, high, counts, fitted)

    @property
    def n(self) -> float:
        return float(self.cell_counts.sum())

    def means(
        self, profiles: IntArray, frequency: FloatArray, values: FloatArray, groups: IntArray,
        n_groups: int, share: ShareInterval | None = None,
    ) -> list[Estimate]:  # fmt: skip
        """The weighted mean of ``values`` in each group, from rows of (profile, how many
        respondents, value (NaN: no answer), group (-1: in none)); for 0/1 ``values`` give
        ``share`` for a share's interval (``stats.intervals``)."""
        n = self.n
        m, s1, s2 = self._sums(profiles, frequency, values, groups, n_groups)
        w = self.cell_weights
        with np.errstate(invalid="ignore", divide="ignore"):
            total = w @ m
            estimate = (w @ s1) / total
            # per (cell, group): Σ r and Σ r² over the domain, r = (y - estimate) / total
            a1 = (s1 - estimate * m) / total
            a2 = (s2 - 2 * estimate * s1 + estimate**2 * m) / total**2
            variance = self._variance(a1, a2)
            effective_n = total**2 / ((w * w) @ m)
            spread = total**2 * (w @ a2)  # Σ w (y - estimate)² over the answers
        se = np.sqrt(np.maximum(variance, 0.0))
        answers = m.sum(axis=0)
        return estimates(estimate, se, answers, effective_n, n, share, spread, total)

    def totals(
        self, profiles: IntArray, frequency: FloatArray, values: FloatArray, groups: IntArray,
        n_groups: int,
    ) -> list[Estimate]:  # fmt: skip
        """The weighted total of ``values`` in each group (R's ``svytotal``, answers only):
        what all citizens together come to, e.g. kilometres to work a day."""
        m, s1, s2 = self._sums(profiles, frequency, values, groups, n_groups)
        w = self.cell_weights
        with np.errstate(invalid="ignore", divide="ignore"):
            estimate = w @ s1
            # a total's influence value is y itself (0 outside the domain)
            variance = self._variance(s1, s2)
            effective_n = (w @ m) ** 2 / ((w * w) @ m)
        se = np.sqrt(np.maximum(variance, 0.0))
        return estimates(estimate, se, m.sum(axis=0), effective_n, self.n)

    def _sums(
        self, profiles: IntArray, frequency: FloatArray, values: FloatArray, groups: IntArray,
        n_groups: int,
    ) -> tuple[FloatArray, FloatArray, FloatArray]:  # fmt: skip
        """Per (cell, group) of the rows that answered: respondents, Σy and Σy²."""
        k = self.cell_weights.size
        kept = (groups >= 0) & ~np.isnan(values)
        cells, group = self.profile_cells[profiles[kept]], groups[kept]
        y, f = values[kept], frequency[kept]
        m, s1, s2 = (cross_sums(cells, k, group, n_groups, f * y**p) for p in range(3))
        return m, s1, s2

    def _variance(self, a1: FloatArray, a2: FloatArray) -> FloatArray:
        """R's linearised variance from each (cell, group)'s Σ r and Σ r² of the influence
        values r, after the weighting's projection: x = w · (r - c) for every respondent."""
        w, counts = self.cell_weights, self.cell_counts
        c = self.fitted(np.nan_to_num(a1), counts)
        sum_x = w @ (a1 - counts[:, None] * c)
        sum_x2 = (w * w) @ (a2 - 2 * c * a1 + counts[:, None] * c * c)
        n = self.n
        return variance_factor(n) * (sum_x2 - sum_x**2 / n)

    def quantiles(
        self, profiles: IntArray, frequency: FloatArray, values: FloatArray, groups: IntArray,
        n_groups: int, p: float,
    ) -> list[Estimate]:  # fmt: skip
        """The weighted ``p`` quantile of ``values`` in each group with svyquantile's
        interval (``stats.quantiles``), from the same rows as ``means``."""
        weights = self.cell_weights[self.profile_cells[profiles]] * frequency
        return quantiles(
            values, weights, groups, n_groups, p,
            lambda below: self.means(profiles, frequency, below, groups, n_groups),
        )  # fmt: skip
