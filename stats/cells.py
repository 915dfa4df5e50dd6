"""Weighted means per group from sums per (weighting cell, group): how the summary counts.

A stored weighting gives every respondent of a weighting cell the same weight (base
weights are all 1), and its variance correction is the same within a cell too. A domain
mean's estimate and linearised variance are then functions of three sums per (cell,
group): answers, Σy and Σy². So the summary needs answers counted per (attributes,
answer) — which the database does with GROUP BY. A table's rows are summed per profile
once (``Sums``) for all its figures, and from those per (cell, group) pair that has
answers ("units": each cell lies in one municipality, say, so a breakdown into 19 of them
has no more units than the total has cells); the weighting's correction, which reaches
every cell, is taken through its levels' effects (``stats.calibration.LevelFit``). So a
breakdown costs little more than the total, and a table's columns are estimated
together. The figures equal
``WeightingResult.mean(values, by=...)`` (R's ``svyby`` with ``svymean``);
tests/surveys/results/test_weighting.py checks that.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from stats.calibration import LevelFit
from stats.columns import FloatArray, IntArray, combine
from stats.estimation import Estimate, estimates, variance_factor
from stats.intervals import ShareInterval
from stats.quantiles import quantiles
from stats.sums import group_indicator


@dataclass(frozen=True, eq=False)
class Sums:
    """Rows of answers summed per profile: per profile and column, the respondents who
    answered (``m``), Σy and Σy² over them.

    A profile lies in one weighting cell and one group, so every estimate of the columns,
    weighted or not, overall or per group, is a function of these: a table's rows (a few
    per profile and answer) are summed once for all its figures."""

    #: The profiles that have rows.
    profiles: IntArray
    m: FloatArray
    s1: FloatArray
    s2: FloatArray

    @classmethod
    def of(cls, profiles: IntArray, frequency: FloatArray, values: FloatArray) -> Sums:
        """From rows of (profile, how many respondents, value per column (NaN: no answer))."""
        size = int(profiles.max()) + 1 if profiles.size else 0
        number, first = combine([profiles], [size])
        per_profile = group_indicator(number, first.size)
        answered = ~np.isnan(values)
        y = np.where(answered, values, 0.0)
        f = frequency[:, None] * answered
        m, s1, s2 = per_profile @ f, per_profile @ (f * y), per_profile @ (f * y * y)
        return cls(profiles[first], m, s1, s2)


@dataclass(frozen=True, eq=False)
class Units:
    """Profiles' sums added up per (weighting cell, group) pair: per unit and column, the
    respondents who answered (``m``), Σy and Σy² over them."""

    cells: IntArray
    groups: IntArray
    n_groups: int
    m: FloatArray
    s1: FloatArray
    s2: FloatArray

    def per_group(self, values: FloatArray) -> FloatArray:
        """(groups, columns): ``values`` (units, columns) summed per group."""
        return np.asarray(self._groups @ values)

    @cached_property
    def _groups(self) -> Any:
        return group_indicator(self.groups, self.n_groups)


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
    #: The weighting's projection (``Calibration.fitted``).
    fitted: LevelFit

    @classmethod
    def unweighted(cls, profile_counts: FloatArray) -> CellEstimator:
        """Everyone weight 1 and no calibration: a simple random sample."""
        total = float(np.sum(profile_counts))
        cells = np.zeros(len(profile_counts), dtype=np.intp)
        return cls(cells, np.ones(1), np.array([total]), LevelFit.nothing(1))

    @classmethod
    def from_weights(
        cls, profile_cells: IntArray, weights: FloatArray, profile_counts: FloatArray,
        fitted: LevelFit,
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
        respondents, value (NaN: no answer), group (-1: in none)), a profile's rows all in
        one group; for 0/1 ``values`` give ``share`` for a share's interval
        (``stats.intervals``)."""
        sums = Sums.of(profiles, frequency, values[:, None])
        return self.column_means(sums, self._groups(profiles, groups), n_groups, share)[0]

    def column_means(
        self, sums: Sums, groups: IntArray, n_groups: int, share: ShareInterval | None = None
    ) -> list[list[Estimate]]:
        """``means`` of each column of ``sums`` at once, as a list per column of the
        estimates per group; ``groups`` gives each profile's group (-1: in none)."""
        units = self._units(sums, groups, n_groups)
        w = self.cell_weights[units.cells][:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            total = units.per_group(w * units.m)
            estimate = units.per_group(w * units.s1) / total
            # per unit: Σ r and Σ r² over the domain, r = (y - estimate) / total
            mean, domain = estimate[units.groups], total[units.groups]
            a1 = (units.s1 - mean * units.m) / domain
            a2 = (units.s2 - 2 * mean * units.s1 + mean**2 * units.m) / domain**2
            variance = self._variance(units, a1, a2)
            effective_n = total**2 / units.per_group(w * w * units.m)
            spread = total**2 * units.per_group(w * a2)  # Σ w (y - estimate)²
        se = np.sqrt(np.maximum(variance, 0.0))
        answers = units.per_group(units.m)
        found = estimates(
            estimate.T.ravel(), se.T.ravel(), answers.T.ravel(), effective_n.T.ravel(), self.n,
            share, spread.T.ravel(), total.T.ravel(),
        )  # fmt: skip
        # column by column (the arrays transposed), the groups of each in order
        return [found[j : j + n_groups] for j in range(0, len(found), n_groups)]

    def totals(
        self, profiles: IntArray, frequency: FloatArray, values: FloatArray, groups: IntArray,
        n_groups: int,
    ) -> list[Estimate]:  # fmt: skip
        """The weighted total of ``values`` in each group (R's ``svytotal``, answers only):
        what all citizens together come to, e.g. kilometres to work a day."""
        sums = Sums.of(profiles, frequency, values[:, None])
        units = self._units(sums, self._groups(profiles, groups), n_groups)
        w = self.cell_weights[units.cells][:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            total = units.per_group(w * units.m)
            estimate = units.per_group(w * units.s1)
            # a total's influence value is y itself (0 outside the domain)
            variance = self._variance(units, units.s1, units.s2)
            effective_n = total**2 / units.per_group(w * w * units.m)
        se = np.sqrt(np.maximum(variance, 0.0))
        answers = units.per_group(units.m)
        return estimates(estimate[:, 0], se[:, 0], answers[:, 0], effective_n[:, 0], self.n)

    def _groups(self, profiles: IntArray, groups: IntArray) -> IntArray:
        """Each profile's group from its rows' (-1 for profiles without rows)."""
        found = np.full(self.profile_cells.size, -1, dtype=np.intp)
        found[profiles] = groups
        return found

    def _units(self, sums: Sums, groups: IntArray, n_groups: int) -> Units:
        """The profiles' sums added up per (cell, group) pair, leaving out those in no group."""
        group = groups[sums.profiles]
        kept = group >= 0
        cells, group = self.profile_cells[sums.profiles[kept]], group[kept]
        unit, first = combine([cells, group], [self.cell_weights.size, n_groups])
        per_unit = group_indicator(unit, first.size)
        m, s1, s2 = (per_unit @ x[kept] for x in (sums.m, sums.s1, sums.s2))
        return Units(cells[first], group[first], n_groups, m, s1, s2)

    def _variance(self, units: Units, a1: FloatArray, a2: FloatArray) -> FloatArray:
        """R's linearised variance per (group, column) from each unit's Σ r and Σ r² of
        the influence values r, after the weighting's projection: x = w · (r - c) for every
        respondent, c the correction of their cell (the sum of its levels' effects).

        The correction reaches the cells where a group has no answers too (r = 0 there,
        x = -w c), so Σx and Σx² take those cells' parts from the levels: Σ w N c is the
        effects weighted by each level's Σ w N, and Σ w² N c² a quadratic form in them."""
        fit, cells, n_groups = self.fitted, units.cells, units.n_groups
        w = self.cell_weights[cells][:, None]
        r = np.nan_to_num(a1)
        if fit.scale is not None:
            r = r * fit.scale[cells][:, None]
        effects = fit.effects(
            fit.level_sums(cells, r, units.groups, n_groups), self.cell_counts
        )  # (levels, groups, columns)
        c = effects[fit.levels[cells], units.groups[:, None]].sum(axis=1)
        shape = (n_groups, a1.shape[1])
        flat = effects.reshape(fit.n_levels, n_groups * a1.shape[1])
        everywhere = (self._level_weights @ flat).reshape(shape)
        squares = (flat * (self._level_squares @ flat)).sum(axis=0).reshape(shape)
        sum_x = units.per_group(w * a1) - everywhere
        sum_x2 = units.per_group(w * w * (a2 - 2 * c * a1)) + squares
        n = self.n
        return variance_factor(n) * (sum_x2 - sum_x**2 / n)

    @cached_property
    def _level_weights(self) -> FloatArray:
        """Per level: Σ w N over its cells."""
        cells = np.arange(self.cell_weights.size)
        weights = (self.cell_weights * self.cell_counts)[:, None]
        return self.fitted.level_sums(cells, weights)[:, 0, 0]

    @cached_property
    def _level_squares(self) -> Any:
        """Per pair of levels: Σ w² N over the cells in both."""
        return self.fitted.gram(self.cell_weights**2 * self.cell_counts)

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
