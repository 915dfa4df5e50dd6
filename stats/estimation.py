"""Weighted means and proportions with standard errors that account for the weighting.

The standard errors are those of R's ``survey`` package for a simple random sample without
finite population correction, weighted with ``rake``/``postStratify``/``calibrate``: Taylor
linearisation, influence values residualised on the weighting variables, and the
``n / (n - 1)`` factor. Missing answers are left out as ``na.rm=TRUE`` does, which in R
keeps every respondent in the design (a domain), so the variance still uses all ``n``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

from stats.calibration import Calibration
from stats.columns import FloatArray, IntArray, factorize
from stats.feasibility import MarginMiss
from stats.intervals import ShareInterval, share_intervals

#: qnorm(0.975): the 95% interval is estimate ± Z_95 · se, as R's confint() gives it.
Z_95 = 1.959963984540054

Labels = Sequence[Hashable] | NDArray[Any]


@dataclass(frozen=True)
class Estimate:
    """A weighted estimate, its standard error and 95% interval.

    With a single answer nothing is known of the sampling error: ``se``, ``low`` and
    ``high`` are then NaN (where R gives a margin of 0), and pages say so.
    """

    estimate: float
    se: float
    low: float
    high: float
    #: How many answers the estimate rests on (respondents with a non-missing value).
    n: int
    #: Kish's effective number of answers, (Σw)² / Σw² over them.
    effective_n: float = float("nan")
    #: The design effect of this estimate (R's ``deff = TRUE``): its variance over that of
    #: a simple random sample of as many answers, unlike Kish's, which is the same for all.
    deff: float = float("nan")

    @property
    def has_margin(self) -> bool:
        return bool(np.isfinite(self.low) and np.isfinite(self.high))


def estimates(
    estimate: FloatArray,
    se: FloatArray,
    answers: FloatArray,
    effective_n: FloatArray,
    rows: float,
    share: ShareInterval | None = None,
    spread: FloatArray | None = None,
    totals: FloatArray | None = None,
) -> list[Estimate]:
    """``Estimate``s with Wald intervals (R's ``confint`` of ``svymean``) for means, or for
    shares (``share`` given) the interval ``stats.intervals`` computes; ``rows`` is the
    number of respondents of the whole design. With ``spread`` (Σ w (y - ȳ)² over the
    answers) and ``totals`` (Σ w over them) each gets its design effect as R's svymean
    computes it: the variance over svyvar / n · (1 - n / Σw)."""
    # one answer says nothing of its own sampling error (R would give a margin of 0)
    se = np.where(answers >= 2, se, np.nan)
    deff = np.full(estimate.shape, np.nan)
    if spread is not None and totals is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            svyvar = answers / (answers - 1) * spread / totals
            deff = se**2 / (svyvar / answers * (totals - answers) / totals)
    if share is None:
        low, high = estimate - Z_95 * se, estimate + Z_95 * se
    else:
        low, high = share_intervals(estimate, se, answers - 1, effective_n, rows, share)
    return [
        Estimate(float(e), float(s), float(lo), float(hi), round(float(a)), float(k), float(d))
        for e, s, lo, hi, a, k, d in zip(
            estimate, se, low, high, answers, effective_n, deff, strict=True
        )
    ]


def variance_factor(n: float) -> float:
    """R's n / (n - 1); NaN for a single respondent, whose sampling error is unknown."""
    return n / (n - 1) if n > 1 else float("nan")


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN
    except TypeError:  # pandas.NA refuses to be a bool
        return True


def _labels(values: Any, n: int, what: str) -> tuple[list[Any], IntArray, NDArray[np.bool_]]:
    """Distinct non-missing labels, each respondent's code, and who has a label."""
    if len(values) != n:
        raise ValueError(f"{what} has {len(values)} values for {n} respondents")
    levels, codes = factorize(values)
    unused = np.bincount(codes, minlength=len(levels)) == 0  # e.g. an empty category
    missing = np.array([_is_missing(level) for level in levels], dtype=bool) | unused
    kept = [level for level, gone in zip(levels, missing, strict=True) if not gone]
    if not kept:
        return [], np.zeros(n, dtype=np.intp), np.zeros(n, dtype=bool)
    renumber = np.cumsum(~missing) - 1
    try:
        order = sorted(range(len(kept)), key=kept.__getitem__)
    except TypeError:  # labels of mixed types keep their order of appearance
        order = list(range(len(kept)))
    rank = np.empty(len(kept), dtype=np.intp)
    rank[order] = np.arange(len(kept))
    present = ~missing[codes]
    return [kept[i] for i in order], rank[renumber[codes]] * present, present


@dataclass(frozen=True, eq=False)
class WeightingResult:
    """Weights for the respondents, in input order, and the estimates they give."""

    weights: FloatArray
    converged: bool
    #: Raking passes over all margins (1 for post-stratification).
    iterations: int
    calibration: Calibration = field(repr=False)
    #: What an unconverged weighting missed, the largest miss first (empty if converged).
    misses: tuple[MarginMiss, ...] = ()

    @property
    def design_effect(self) -> float:
        """Kish's design effect of unequal weights, 1 + CV² (the population CV)."""
        w = self.weights
        return float(1.0 + w.var() / w.mean() ** 2)

    @property
    def effective_n(self) -> float:
        """(Σw)² / Σw²: the size of a simple random sample as precise as these weights."""
        w = self.weights
        return float(w.sum() ** 2 / (w @ w))

    @overload
    def mean(self, values: Any, by: None = None) -> Estimate: ...

    @overload
    def mean(self, values: Any, by: Labels) -> dict[Any, Estimate]: ...

    def mean(self, values: Any, by: Labels | None = None) -> Estimate | dict[Any, Estimate]:
        """The weighted mean of numbers (None/NaN = no answer), overall or per group of ``by``.

        Matches ``svymean(~y, design, na.rm=TRUE)`` and ``svyby(~y, ~by, design, svymean,
        na.rm=TRUE)``; respondents without a group label are in no group.
        """
        n = self.weights.size
        if len(values) != n:
            raise ValueError(f"values has {len(values)} values for {n} respondents")
        y = np.asarray(values, dtype=np.float64)
        answered = ~np.isnan(y)
        if by is None:
            return self._estimates(y[:, None], answered[:, None])[0]
        groups, group_codes, grouped = _labels(by, n, "by")
        in_group = (group_codes[:, None] == np.arange(len(groups))) & grouped[:, None]
        domain = in_group & answered[:, None]
        found = self._estimates(np.broadcast_to(y[:, None], domain.shape), domain)
        return dict(zip(groups, found, strict=True))

    def total(self, values: Any, by: Labels | None = None) -> Any:
        """The weighted total of numbers (None/NaN = no answer), overall (an ``Estimate``)
        or per group of ``by`` (a dict), as ``svytotal(~y, design, na.rm=TRUE)`` and its
        ``svyby`` give it."""
        n = self.weights.size
        y = np.asarray(values, dtype=np.float64)
        answered = ~np.isnan(y)
        if by is None:
            names: list[Any] = [None]
            domain = answered[:, None]
        else:
            names, codes, grouped = _labels(by, n, "by")
            domain = (codes[:, None] == np.arange(len(names))) & (grouped & answered)[:, None]
        w = self.weights
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where(domain, y[:, None], 0.0)
            estimate = (w[:, None] * r).sum(axis=0)
            x = w[:, None] * self.calibration.residuals(r)
            variance = variance_factor(n) * ((x - x.mean(axis=0)) ** 2).sum(axis=0)
            in_domain = np.where(domain, w[:, None], 0.0)
            effective_n = in_domain.sum(axis=0) ** 2 / (in_domain**2).sum(axis=0)
        found = estimates(
            estimate, np.sqrt(variance), domain.sum(axis=0).astype(np.float64), effective_n, n
        )
        return found[0] if by is None else dict(zip(names, found, strict=True))

    def quantile(self, values: Any, p: float, by: Labels | None = None) -> Any:
        """The weighted ``p`` quantile of numbers (None/NaN = no answer), overall (an
        ``Estimate``) or per group of ``by`` (a dict), as ``svyquantile(~y, design, p,
        ci=TRUE, na.rm=TRUE)`` gives it (``stats.quantiles``)."""
        from stats.quantiles import quantiles

        n = self.weights.size
        y = np.asarray(values, dtype=np.float64)
        if by is None:
            names: list[Any] = [None]
            codes = np.zeros(n, dtype=np.intp)
        else:
            names, codes, grouped = _labels(by, n, "by")
            codes = np.where(grouped, codes, -1)

        def group_means(below: FloatArray) -> list[Estimate]:
            answered = ~np.isnan(below)
            domain = (codes[:, None] == np.arange(len(names))) & answered[:, None]
            return self._estimates(np.broadcast_to(below[:, None], domain.shape), domain)

        found = quantiles(y, self.weights, codes, len(names), p, group_means)
        return found[0] if by is None else dict(zip(names, found, strict=True))

    @overload
    def proportions(
        self, values: Any, by: None = None, interval: ShareInterval = ...
    ) -> dict[Any, Estimate]: ...

    @overload
    def proportions(
        self, values: Any, by: Labels, interval: ShareInterval = ...
    ) -> dict[Any, dict[Any, Estimate]]: ...

    def proportions(
        self, values: Any, by: Labels | None = None, interval: ShareInterval = ShareInterval.LOGIT
    ) -> dict[Any, Estimate] | dict[Any, dict[Any, Estimate]]:
        """The weighted share of each answer given (None/NaN = no answer), overall or per group.

        Estimates and standard errors match ``svymean(~factor(y), design, na.rm=TRUE)`` and
        its ``svyby``; every group lists every answer given by anyone, with 0 for answers
        nobody in the group gave. The intervals are ``svyciprop``'s (``interval``, see
        ``stats.intervals``) on the respondents who answered, in the group.
        """
        n = self.weights.size
        levels, codes, answered = _labels(values, n, "values")
        chosen = (codes[:, None] == np.arange(len(levels))).astype(np.float64)
        if by is None:
            found = self._estimates(
                chosen, np.broadcast_to(answered[:, None], chosen.shape), interval
            )
            return dict(zip(levels, found, strict=True))
        groups, group_codes, grouped = _labels(by, n, "by")
        in_group = (group_codes[:, None] == np.arange(len(groups))) & grouped[:, None]
        domain = np.repeat(in_group & answered[:, None], len(levels), axis=1)
        found = self._estimates(np.tile(chosen, len(groups)), domain, interval)
        k = len(levels)
        return {
            group: dict(zip(levels, found[g * k : (g + 1) * k], strict=True))
            for g, group in enumerate(groups)
        }

    def _estimates(
        self, y: FloatArray, domain: NDArray[np.bool_], share: ShareInterval | None = None
    ) -> list[Estimate]:
        """Domain means of each column of ``y`` (n, p) with R's linearised standard errors."""
        w = self.weights
        n = w.size
        with np.errstate(invalid="ignore", divide="ignore"):
            in_domain = np.where(domain, w[:, None], 0.0)
            total = in_domain.sum(axis=0)
            values = np.where(domain, y, 0.0)
            estimate = (in_domain * values).sum(axis=0) / total
            r = np.where(domain, values - estimate, 0.0) / total
            x = w[:, None] * self.calibration.residuals(r)
            variance = variance_factor(n) * ((x - x.mean(axis=0)) ** 2).sum(axis=0)
            effective_n = total**2 / (in_domain**2).sum(axis=0)
            spread = (in_domain * np.where(domain, values - estimate, 0.0) ** 2).sum(axis=0)
        se = np.sqrt(variance)
        answers = domain.sum(axis=0).astype(np.float64)
        return estimates(estimate, se, answers, effective_n, n, share, spread, total)
