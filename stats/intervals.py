"""Intervals for shares that stay inside 0–100 % and do not claim certainty they lack.

A share's Wald interval (estimate ± 1.96 se) says "0 % ± 0.0" when nobody of 11 chose an
option and runs below 0 % for small shares. R's ``svyciprop`` offers better ones, and these
are its two: ``logit`` (the default here) takes the Wald interval on the log-odds scale with
Student's t on the design's degrees of freedom and transforms it back, so it is asymmetric
near 0 and 100 %; ``beta`` is Korn and Graubard's: a Clopper–Pearson interval on the
effective sample size. Both equal R's to rounding (tests/fixtures/shares).

Where the share is exactly 0 or 1 (or its standard error is 0), R's two methods have no
answer (NaN); here the interval is then Clopper–Pearson's exact one on the domain's Kish
effective sample size, e.g. 0 % of 11 equal-weight answers reads 0–28.5 %.
"""

from __future__ import annotations

import enum

import numpy as np
from scipy import special

from stats.columns import FloatArray

LEVEL = 0.95


class ShareInterval(enum.StrEnum):
    LOGIT = "logit"
    BETA = "beta"


def t_quantile(q: float, df: FloatArray) -> FloatArray:
    """Student's t quantile (R's ``qt``), infinite degrees of freedom being the normal."""
    return np.asarray(special.stdtrit(df, q), dtype=np.float64)


def share_intervals(
    p: FloatArray,
    se: FloatArray,
    df: FloatArray,
    effective_n: FloatArray,
    rows: float,
    method: ShareInterval = ShareInterval.LOGIT,
    level: float = LEVEL,
) -> tuple[FloatArray, FloatArray]:
    """Lower and upper bounds for shares ``p`` with standard errors ``se``.

    ``df`` are the degrees of freedom of each share's domain (its answers less one, R's
    ``degf`` of the subset design); ``rows`` the respondents of the whole design (R's
    ``nrow(design)``, which Korn–Graubard's correction uses); ``effective_n`` the domain's
    Kish effective sample size, for shares of exactly 0 or 1.
    """
    alpha = 1.0 - level
    p, se = np.asarray(p, dtype=np.float64), np.asarray(se, dtype=np.float64)
    df = np.maximum(np.asarray(df, dtype=np.float64), 1.0)
    low, high = np.full(p.shape, np.nan), np.full(p.shape, np.nan)
    inner = (p > 0) & (p < 1) & (se > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method is ShareInterval.LOGIT:
            logit = np.log(p / (1 - p))
            spread = t_quantile(1 - alpha / 2, df) * se / (p * (1 - p))
            low = np.where(inner, special.expit(logit - spread), low)
            high = np.where(inner, special.expit(logit + spread), high)
        else:
            ratio = t_quantile(alpha / 2, np.full(p.shape, max(rows - 1.0, 1.0))) / t_quantile(
                alpha / 2, df
            )
            n_eff = p * (1 - p) / se**2 * ratio**2
            low = np.where(inner, _beta_low(p * n_eff, n_eff, alpha), low)
            high = np.where(inner, _beta_high(p * n_eff, n_eff, alpha), high)
        # the inverse beta is slow: taken only for the few shares of exactly 0 or 1
        n = np.broadcast_to(np.asarray(effective_n, dtype=np.float64), p.shape)
        exact = ~inner & (n > 0)
        x, n = p[exact] * n[exact], n[exact]
        low[exact], high[exact] = _beta_low(x, n, alpha), _beta_high(x, n, alpha)
    return low, high


def _beta_low(x: FloatArray, n: FloatArray, alpha: float) -> FloatArray:
    """Clopper–Pearson's lower bound for x successes of n (0 where x is 0)."""
    with np.errstate(invalid="ignore"):
        bound = special.betaincinv(x, n - x + 1, alpha / 2)
    return np.where(x <= 0, 0.0, bound)


def _beta_high(x: FloatArray, n: FloatArray, alpha: float) -> FloatArray:
    """Clopper–Pearson's upper bound for x successes of n (1 where x is n)."""
    with np.errstate(invalid="ignore"):
        bound = special.betaincinv(x + 1, n - x, 1 - alpha / 2)
    return np.where(x >= n, 1.0, bound)
