"""What the weighting explains, taken out of the influence values before the variance.

Weighting to known population counts removes the part of an estimate's sampling error that
the weighting variables explain, so the linearised variance uses the residuals of the
influence values after projecting them on the weighting cells or margins. Each class below
does exactly what R's ``survey`` package (``svyrecvar``) does for one kind of weighting, so
that our standard errors are R's. They all work on ``r = x / w``: the influence value per
unit of final weight; the variance then uses ``w * residuals(r)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from stats.columns import FloatArray, IntArray

#: R's svyrecvar makes this many backfitting sweeps over the margins of a raking, fixed.
RAKING_SWEEPS = 10


class Calibration(Protocol):
    """A weighting's projection of the per-weight influence values (one column each)."""

    def residuals(self, r: FloatArray) -> FloatArray: ...


def _group_sums(codes: IntArray, size: int, values: FloatArray) -> FloatArray:
    """Column-wise sums of an (n, p) matrix within the groups given by ``codes``."""
    return np.stack(
        [np.bincount(codes, weights=values[:, j], minlength=size) for j in range(values.shape[1])],
        axis=1,
    )


@dataclass(frozen=True)
class PostStrata:
    """``postStratify``: residuals from the base-weighted mean of each cell."""

    cells: IntArray
    n_cells: int
    base_weights: FloatArray

    def residuals(self, r: FloatArray) -> FloatArray:
        d = self.base_weights
        means = _group_sums(self.cells, self.n_cells, r * d[:, None])
        means /= np.bincount(self.cells, weights=d, minlength=self.n_cells)[:, None]
        return r - means[self.cells]


@dataclass(frozen=True)
class RakingMargins:
    """``rake``: R's fixed ten sweeps of unweighted margin means (backfitting)."""

    codes: Sequence[IntArray]
    sizes: Sequence[int]

    def residuals(self, r: FloatArray) -> FloatArray:
        r = r.copy()
        counts = [
            np.bincount(c, minlength=k).astype(np.float64)
            for c, k in zip(self.codes, self.sizes, strict=True)
        ]
        for _ in range(RAKING_SWEEPS):
            for codes, size, count in zip(self.codes, self.sizes, counts, strict=True):
                r -= (_group_sums(codes, size, r) / count[:, None])[codes]
        return r


@dataclass(frozen=True)
class Regression:
    """``calibrate`` (used for bounded raking): residuals of a base-weighted regression of
    ``r`` on indicators of every margin's levels, as calibrate's stored QR decomposition does.

    The normal equations are built from cross-tabulations rather than an (n, levels) design
    matrix; the indicators are collinear, so the pseudo-inverse picks one solution and the
    residuals, which are all that matter, are unique.
    """

    codes: Sequence[IntArray]
    sizes: Sequence[int]
    base_weights: FloatArray

    def residuals(self, r: FloatArray) -> FloatArray:
        d = self.base_weights
        offsets = np.concatenate([[0], np.cumsum(self.sizes)])
        gram = np.zeros((offsets[-1], offsets[-1]))
        for i, (ci, ki) in enumerate(zip(self.codes, self.sizes, strict=True)):
            for j, (cj, kj) in enumerate(zip(self.codes, self.sizes, strict=True)):
                block = np.bincount(ci * kj + cj, weights=d, minlength=ki * kj).reshape(ki, kj)
                gram[offsets[i] : offsets[i + 1], offsets[j] : offsets[j + 1]] = block
        rhs = np.concatenate(
            [_group_sums(c, k, r * d[:, None]) for c, k in zip(self.codes, self.sizes, strict=True)]
        )
        beta = np.linalg.pinv(gram, rcond=1e-10, hermitian=True) @ rhs
        fitted = sum(
            (beta[offsets[i] : offsets[i + 1]][c] for i, c in enumerate(self.codes)),
            start=np.zeros_like(r),
        )
        return r - fitted
