"""What the weighting explains, taken out of the influence values before the variance.

Weighting to known population counts removes the part of an estimate's sampling error that
the weighting variables explain, so the linearised variance uses the residuals of the
influence values after projecting them on the weighting cells or margins. ``Calibration``
does exactly what R's ``survey`` package (``svyrecvar``) does for each kind of weighting, so
that our standard errors are R's. It works on ``r = x / w``: the influence value per unit
of final weight; the variance then uses ``w * residuals(r)``.

Everyone in one weighting cell (one combination of the weighting variables' levels) gets
the same correction, so the projection runs on the cells' sums, a few hundred rows, and
respondents are touched once to sum and once to subtract. The same object serves the
weighting library (one row per respondent) and the results pages (one row per profile of
respondents, through ``fitted``).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from stats.columns import FloatArray, IntArray, combine, factorize
from stats.sums import cross_sums, group_sums

#: R's svyrecvar makes this many backfitting sweeps over the margins of a raking, fixed.
RAKING_SWEEPS = 10


class Projection(enum.Enum):
    """How R's survey package projects the influence values for a kind of weighting."""

    #: ``postStratify``: residuals from the base-weighted mean of each cell.
    POSTSTRATA = "poststrata"
    #: ``rake``: R's fixed ten sweeps of unweighted margin means (backfitting).
    RAKING = "raking"
    #: ``calibrate`` (used for bounded raking): residuals of a base-weighted regression on
    #: indicators of every margin's levels, as calibrate's stored QR decomposition does.
    REGRESSION = "regression"


@dataclass(frozen=True, eq=False)
class Calibration:
    """A weighting's projection of the per-weight influence values (one column each)."""

    projection: Projection
    #: Each unit's weighting cell.
    cells: IntArray
    #: Per margin, each cell's level code.
    margins: tuple[IntArray, ...]
    #: Per margin, its number of levels.
    sizes: tuple[int, ...]
    #: Each unit's base weight (None: all 1); R's projections other than raking use them.
    base_weights: FloatArray | None = None
    #: Each cell's base weight, where units are profiles of respondents who share it (the
    #: results pages); ``fitted`` weights the cells' sums by it as R weights by d.
    cell_base: FloatArray | None = None

    @classmethod
    def of(
        cls,
        projection: Projection,
        codes: Sequence[IntArray],
        sizes: Sequence[int],
        base_weights: FloatArray | None = None,
        unit_base: FloatArray | None = None,
        cells: tuple[IntArray, IntArray] | None = None,
    ) -> Calibration:
        """The calibration of units whose level in each margin is ``codes[i]``.

        ``unit_base`` gives units (profiles) a base weight each that ``fitted`` uses: cells
        are then split by it, so a cell's units share one base weight, and post-strata,
        coarser than such cells, become a regression on their indicators (the same
        base-weighted cell means). ``cells`` is ``combine(codes, sizes)`` where the caller
        has it already (raking does), which saves a pass over every unit."""
        if unit_base is None:
            unit_cells, representative = cells or combine(list(codes), list(sizes))
            margins = tuple(c[representative] for c in codes)
            return cls(projection, unit_cells, margins, tuple(sizes), base_weights)
        classes, base_codes = factorize(unit_base)
        unit_cells, representative = combine([*codes, base_codes], [*sizes, len(classes)])
        cell_base = np.asarray(unit_base, dtype=np.float64)[representative]
        if projection is Projection.POSTSTRATA:
            strata, _ = combine(list(codes), list(sizes))
            post = strata[representative]
            return cls(Projection.REGRESSION, unit_cells, (post,), (int(post.max()) + 1,),
                       base_weights, cell_base)  # fmt: skip
        margins = tuple(c[representative] for c in codes)
        return cls(projection, unit_cells, margins, tuple(sizes), base_weights, cell_base)

    @property
    def n_cells(self) -> int:
        return int(self.margins[0].size)

    def residuals(self, r: FloatArray) -> FloatArray:
        """``r`` (units, columns) less what the weighting variables explain of it."""
        d = self.base_weights
        if self.projection is Projection.RAKING or d is None:
            sums = group_sums(self.cells, self.n_cells, r)
            counts = np.bincount(self.cells, minlength=self.n_cells).astype(np.float64)
        else:
            sums = group_sums(self.cells, self.n_cells, r * d[:, None])
            counts = np.bincount(self.cells, weights=d, minlength=self.n_cells).astype(np.float64)
        return r - self.fitted(sums, counts)[self.cells]

    def fitted(self, sums: FloatArray, counts: FloatArray) -> FloatArray:
        """Each cell's correction (cells × columns) from the cells' sums of the influence
        values and the cells' sizes (base-weighted for post-strata and regression)."""
        if self.cell_base is not None and self.projection is not Projection.RAKING:
            sums = sums * self.cell_base[:, None]
            counts = counts * self.cell_base
        if self.projection is Projection.POSTSTRATA:
            return sums / counts[:, None]
        if self.projection is Projection.REGRESSION:
            return self._regression(sums, counts)
        fitted = np.zeros_like(sums)
        # levels × cells indicator matrices: a margin's level sums are one small product
        indicators = [
            (np.arange(k)[:, None] == m[None, :]).astype(np.float64)
            for m, k in zip(self.margins, self.sizes, strict=True)
        ]
        level_counts = [indicator @ counts for indicator in indicators]
        for _ in range(RAKING_SWEEPS):
            for m, indicator, level_count in zip(
                self.margins, indicators, level_counts, strict=True
            ):
                left = sums - counts[:, None] * fitted
                fitted += (indicator @ left / level_count[:, None])[m]
        return fitted

    def _regression(self, sums: FloatArray, counts: FloatArray) -> FloatArray:
        """The normal equations are built from cross-tabulations of the margins rather than
        an (n, levels) design matrix; the indicators are collinear, so the pseudo-inverse
        picks one solution and the fitted values, which are all that matter, are unique."""
        offsets = np.concatenate([[0], np.cumsum(self.sizes)])
        gram = np.zeros((offsets[-1], offsets[-1]))
        for i, (mi, ki) in enumerate(zip(self.margins, self.sizes, strict=True)):
            for j, (mj, kj) in enumerate(zip(self.margins, self.sizes, strict=True)):
                block = cross_sums(mi, ki, mj, kj, counts)
                gram[offsets[i] : offsets[i + 1], offsets[j] : offsets[j + 1]] = block
        rhs = np.concatenate(
            [group_sums(m, k, sums) for m, k in zip(self.margins, self.sizes, strict=True)]
        )
        beta = np.linalg.pinv(gram, rcond=1e-10, hermitian=True) @ rhs
        return sum(
            (beta[offsets[i] : offsets[i + 1]][m] for i, m in enumerate(self.margins)),
            start=np.zeros_like(sums),
        )
