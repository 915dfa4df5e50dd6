"""Whether a figure changed between two waves, counting the members who answered both.

A standing panel asks many of the same people again, so two waves' estimates are not
independent: a member who answered both pulls both the same way, and the variance of the
change is var₁ + var₂ - 2 cov, usually smaller than the sum. Each wave's linearised
influence values (what each respondent contributes to the estimate's error, after the
weighting's projection, as ``stats.estimation`` computes them) are added up per member
over both waves, and the change's variance is the usual with-replacement variance over
the members: for a design without calibration this is exactly R's ``svycontrast`` of
``svyby(~y, ~wave, svymean, covmat = TRUE)`` on the stacked waves clustered by member.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

from stats.columns import FloatArray, IntArray
from stats.intervals import LEVEL, t_quantile


@dataclass(frozen=True)
class WaveInfluence:
    """One wave's estimate and each respondent's influence value on it, by member."""

    estimate: float
    #: Each respondent's member key (an integer; equal across waves for the same member).
    members: IntArray
    #: Each respondent's influence value on the estimate (0 for those who did not answer).
    influence: FloatArray


@dataclass(frozen=True)
class Change:
    """The later wave's estimate minus the earlier one's, with its standard error."""

    difference: float
    se: float
    low: float
    high: float
    #: Two-sided p-value of "no change" (t on the members' degrees of freedom).
    p_value: float
    #: Members who answered both waves.
    overlap: int

    def significant(self, level: float = LEVEL) -> bool:
        return bool(self.p_value < 1 - level)


def influence(
    values: FloatArray,
    weights: FloatArray,
    residuals: Callable[[FloatArray], FloatArray] | None = None,
) -> tuple[float, FloatArray]:
    """A weighted mean of ``values`` (NaN: no answer) and its influence values w · r',
    r = (y - mean) / Σw over answers and r' what the weighting leaves of it (``residuals``,
    as ``stats.calibration.Calibration.residuals`` gives; None for no calibration)."""
    answered = ~np.isnan(values)
    total = float(weights[answered].sum())
    estimate = float((weights[answered] * values[answered]).sum() / total)
    r = np.where(answered, values - estimate, 0.0) / total
    if residuals is not None:
        r = residuals(r)
    return estimate, weights * r


def change(earlier: WaveInfluence, later: WaveInfluence, level: float = LEVEL) -> Change:
    """``later`` minus ``earlier``, with the covariance of the members in both."""
    keys, where = np.unique(np.concatenate([earlier.members, later.members]), return_inverse=True)
    n_early = earlier.members.size
    d = np.zeros(keys.size)
    np.add.at(d, where[n_early:], later.influence)
    np.subtract.at(d, where[:n_early], earlier.influence)
    n = keys.size
    variance = n / (n - 1) * float(((d - d.mean()) ** 2).sum()) if n > 1 else float("nan")
    se = float(np.sqrt(variance))
    diff = later.estimate - earlier.estimate
    t = float(t_quantile(1 - (1 - level) / 2, np.array(max(n - 1, 1), dtype=float)))
    statistic = abs(diff) / se if se > 0 else float("inf")
    # two-sided, from the t distribution's tail (R's pt)
    p_value = float(2 * special.stdtr(max(n - 1, 1), -statistic)) if np.isfinite(se) else 1.0
    overlap = int(np.intersect1d(earlier.members, later.members).size)
    return Change(diff, se, diff - t * se, diff + t * se, p_value, overlap)
