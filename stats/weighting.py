"""Raking and post-stratification: weights that make the respondents add up to the population.

Raking (iterative proportional fitting) only ever multiplies all respondents of one level by
the same factor, so respondents who share every margin level (a weighting cell) share their
factor. The passes therefore run on the cells' weight sums, a few hundred numbers however
many respondents there are, and the respondents' weights are computed once at the end.
Bounded raking cannot do that when base weights differ, because each weight is clipped on
its own; it runs on the respondents instead.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from stats.calibration import Calibration, Projection
from stats.columns import (
    Columns,
    FloatArray,
    IntArray,
    Margin,
    base_weights_array,
    column_length,
    combine,
    encode_margin,
    factorize,
    target_counts,
)
from stats.estimation import WeightingResult
from stats.feasibility import MarginsNotMet, missed_levels, unreachable_levels

#: Halvings of the bracket when solving a bounded raking step; ample for double precision.
BISECTIONS = 64
#: How far past the mean weight the factor of a unit stuck at a bound may drift.
DRIFT_LIMIT = 1e30


def rake(
    data: Columns,
    targets: Mapping[str, Mapping[Any, float]],
    base_weights: Sequence[float] | Any | None = None,
    max_iter: int = 100,
    tol: float = 1e-8,
    bounds: tuple[float, float] | None = None,
) -> WeightingResult:
    """Weights that match every margin in ``targets`` (column -> {level: population count}).

    Converged means that, for every margin level, |weighted count / target - 1| <= ``tol``
    (the largest absolute relative difference); ``iterations`` counts full passes over the
    margins, and an unconverged result lists the levels it missed (``misses``).

    With ``bounds=(lo, hi)`` every g-weight, w / d with d the base weights scaled to add up
    to the population, stays within lo..hi: this is R's ``calibrate(..., calfun="raking",
    bounds=)`` for design weights that add up to the population (without base weights, g is
    the weight over the mean weight), and its standard errors are calibrate's; without
    bounds they are those of R's ``rake``. Bounds no weights can meet raise
    ``MarginsNotMet`` naming the levels, before any raking (``stats.feasibility``).
    """
    if max_iter < 0 or not tol > 0:
        raise ValueError("max_iter must be at least 0 and tol above 0")
    n = column_length(data, targets)
    d = base_weights_array(base_weights, n)
    margins = [encode_margin(column, data[column], table) for column, table in targets.items()]
    total = _population_total(margins, tol)
    codes = [margin.codes for margin in margins]
    sizes = [len(margin.levels) for margin in margins]
    cells = combine(codes, sizes)
    if bounds is None:
        weights, converged, passes = _ipf(margins, cells, d, max_iter, tol)
        calibration = Calibration.of(Projection.RAKING, codes, sizes, cells=cells)
    else:
        scaled = d * (total / d.sum())
        weights, converged, passes = _bounded_ipf(
            margins, cells, scaled, _check_bounds(bounds), max_iter, tol
        )
        calibration = Calibration.of(Projection.REGRESSION, codes, sizes, d, cells=cells)
    misses = () if converged else tuple(missed_levels(margins, weights, codes, tol))
    return WeightingResult(weights, converged, passes, calibration, misses)


def poststratify(
    data: Columns,
    cells: Sequence[str],
    targets: Mapping[Any, float],
    base_weights: Sequence[float] | Any | None = None,
) -> WeightingResult:
    """Weights that match the population count of every combination of the ``cells`` columns.

    ``targets`` maps a tuple of levels, in the order of ``cells``, to its population count.
    Standard errors are those of R's ``postStratify``.
    """
    columns = list(cells)
    n = column_length(data, columns)
    d = base_weights_array(base_weights, n)
    coded = [factorize(data[column]) for column in columns]
    cell, representative = combine([c for _, c in coded], [len(levels) for levels, _ in coded])
    found = [tuple(levels[codes[i]] for levels, codes in coded) for i in representative.tolist()]
    keyed = {(key if isinstance(key, tuple) else (key,)): count for key, count in targets.items()}
    for key in keyed:
        if len(key) != len(columns):
            raise ValueError(f"target cell {key!r} does not have one level per column {columns}")
    levels, counts = target_counts(", ".join(columns), keyed)
    position = {key: i for i, key in enumerate(levels)}
    seen = np.zeros(len(levels), dtype=bool)
    cell_target = np.empty(len(found))
    respondents = np.bincount(cell)
    for i, key in enumerate(found):
        if key not in position:
            raise ValueError(f"respondents have {_describe(columns, key)}, which has no target")
        if counts[position[key]] == 0:
            raise ValueError(
                f"{respondents[i]} respondents have {_describe(columns, key)}, "
                "whose population count is 0"
            )
        seen[position[key]] = True
        cell_target[i] = counts[position[key]]
    for key, count, present in zip(levels, counts, seen, strict=True):
        if count > 0 and not present:
            raise ValueError(
                f"no respondent has {_describe(columns, key)}, "
                f"which has a population target of {count:g}"
            )
    sums = np.bincount(cell, weights=d)
    weights = d * (cell_target / sums)[cell]
    margins = tuple(codes[representative] for _, codes in coded)
    sizes = tuple(len(levels) for levels, _ in coded)
    calibration = Calibration(Projection.POSTSTRATA, cell, margins, sizes, d)
    return WeightingResult(weights, True, 1, calibration)


def _describe(columns: Sequence[str], key: tuple[Hashable, ...]) -> str:
    return "the cell " + ", ".join(f"{c}={v!r}" for c, v in zip(columns, key, strict=True))


def _population_total(margins: Sequence[Margin], tol: float) -> float:
    """The population size, which every margin must agree on or raking cannot converge."""
    first = margins[0]
    total = float(first.targets.sum())
    for margin in margins[1:]:
        other = float(margin.targets.sum())
        if abs(other / total - 1) > tol:
            raise ValueError(
                f"the targets of column {margin.column!r} add up to {other:g} but those of "
                f"column {first.column!r} to {total:g}; they must describe the same population"
            )
    return total


def _check_bounds(bounds: tuple[float, float]) -> tuple[float, float]:
    low, high = (float(b) for b in bounds)
    if not (0 <= low < 1 < high):
        raise ValueError(
            f"bounds {bounds} must be (lo, hi) with 0 <= lo < 1 < hi: multiples of the mean weight"
        )
    return low, high


def _misfit(codes: Sequence[IntArray], unit_weight: FloatArray, margins: Sequence[Margin]) -> float:
    """The largest |weighted count / target - 1| over all margin levels with people in them."""
    worst = 0.0
    for margin_codes, margin in zip(codes, margins, strict=True):
        sums = np.bincount(margin_codes, weights=unit_weight, minlength=margin.targets.size)
        wanted = margin.targets > 0
        worst = max(worst, float(np.abs(sums[wanted] / margin.targets[wanted] - 1).max()))
    return worst


def _ipf(
    margins: Sequence[Margin],
    cells: tuple[IntArray, IntArray],
    d: FloatArray,
    max_iter: int,
    tol: float,
) -> tuple[FloatArray, bool, int]:
    """Plain raking, run on the weighting cells' sums of base weights."""
    cell, representative = cells
    start = np.bincount(cell, weights=d).astype(np.float64)
    current = start.copy()
    codes = [margin.codes[representative] for margin in margins]
    passes = 0
    converged = _misfit(codes, current, margins) <= tol
    while not converged and passes < max_iter:
        for margin_codes, margin in zip(codes, margins, strict=True):
            sums = np.bincount(margin_codes, weights=current, minlength=margin.targets.size)
            factor = np.divide(margin.targets, sums, out=np.ones_like(sums), where=sums > 0)
            current *= factor[margin_codes]
        passes += 1
        converged = _misfit(codes, current, margins) <= tol
    return d * (current / start)[cell], converged, passes


def _bounded_ipf(
    margins: Sequence[Margin],
    cells: tuple[IntArray, IntArray],
    d: FloatArray,
    bounds: tuple[float, float],
    max_iter: int,
    tol: float,
) -> tuple[FloatArray, bool, int]:
    """Raking in which every weight is d · clip(product of factors, lo, hi).

    Each step solves, per level, for the factor that matches the level's target with the
    clipping applied (bisection on a monotone function), which is coordinate ascent on the
    dual of bounded raking and converges to calibrate()'s solution when one exists; whether
    one exists is checked first. Units are weighting cells when all base weights are equal
    (they are clipped alike), else respondents.
    """
    low, high = bounds
    unit, representative = cells
    cell_codes = [margin.codes[representative] for margin in margins]
    cell_base = np.bincount(unit, weights=d).astype(np.float64)
    unreachable = unreachable_levels(margins, cell_codes, cell_base, bounds)
    if unreachable:
        raise MarginsNotMet(unreachable, f"no weights within {low:g}..{high:g} meet every margin")
    if np.all(d == d[0]):
        size = cell_base
        codes = cell_codes
    else:
        unit = np.arange(d.size)
        size = d
        codes = [margin.codes for margin in margins]
    scale = np.ones(size.size)

    def unit_weight() -> FloatArray:
        return size * np.clip(scale, low, high)

    passes = 0
    converged = _misfit(codes, unit_weight(), margins) <= tol
    while not converged and passes < max_iter:
        for margin_codes, margin in zip(codes, margins, strict=True):
            factor = _bounded_factors(margin_codes, margin.targets, size, scale, low, high)
            scale *= factor[margin_codes]
            np.clip(scale, 1 / DRIFT_LIMIT, DRIFT_LIMIT, out=scale)
        passes += 1
        converged = _misfit(codes, unit_weight(), margins) <= tol
    return d * np.clip(scale, low, high)[unit], converged, passes


def _bounded_factors(
    codes: IntArray, targets: FloatArray, size: FloatArray, a: FloatArray, low: float, high: float
) -> FloatArray:
    """Per level, the factor f with Σ size · clip(a · f, low, high) = target (or the nearest)."""
    k = targets.size
    log_a = np.log(a)
    largest = np.full(k, -np.inf)
    np.maximum.at(largest, codes, log_a)
    smallest = np.full(k, np.inf)
    np.minimum.at(smallest, codes, log_a)
    with np.errstate(divide="ignore", invalid="ignore"):
        plain = targets / np.bincount(codes, weights=size * a, minlength=k)
        # At `below` every weight of the level is at most what it needs (all at `low`, or
        # no more than plain scaling gives); at `above` at least.
        below = np.log(low) - largest if low > 0 else np.log(plain)
        above = np.log(high) - smallest if np.isfinite(high) else np.log(plain)
    lo, hi = np.minimum(below, above), np.maximum(below, above)
    used = np.isfinite(lo) & np.isfinite(hi)
    lo, hi = np.where(used, lo, 0.0), np.where(used, hi, 0.0)
    for _ in range(BISECTIONS):
        mid = (lo + hi) / 2
        sums = np.bincount(
            codes, weights=size * np.clip(a * np.exp(mid)[codes], low, high), minlength=k
        )
        short = sums < targets
        lo = np.where(short, mid, lo)
        hi = np.where(short, hi, mid)
    return np.exp((lo + hi) / 2)
