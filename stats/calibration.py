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
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy import sparse

from stats.columns import FloatArray, IntArray, combine, factorize
from stats.sums import group_sums

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

    @cached_property
    def fitted(self) -> LevelFit:
        """Each cell's correction from the cells' sums of the influence values and the cells'
        sizes, ``fitted(sums, counts)`` (base-weighted for post-strata and regression)."""
        scale = None if self.projection is Projection.RAKING else self.cell_base
        if self.projection is Projection.POSTSTRATA:  # every cell is a level of its own
            cells = self.n_cells
            return LevelFit(self.projection, np.arange(cells)[:, None], (cells,), scale)
        offsets = np.concatenate([[0], np.cumsum(self.sizes[:-1])]).astype(np.intp)
        levels = np.stack(self.margins, axis=1) + offsets
        return LevelFit(self.projection, levels, self.sizes, scale)


@dataclass(frozen=True, eq=False)
class LevelFit:
    """What a projection fits, as effects of levels: a cell's correction is the sum of the
    effects of the levels it is in (one per margin; for post-strata the cell itself), and
    the effects are a linear map of the levels' sums of the cells' sums.

    That map depends on the cells' sizes alone, which every figure of a wave shares, so it
    is worked out once for them (``effects``); a figure then needs only its levels' sums,
    a few dozen numbers per column however many cells and groups it spans, which is what
    lets the results pages (``stats.cells``) break a figure down into groups cheaply.
    """

    projection: Projection
    #: (cells, margins): each cell's level in each margin, levels numbered across margins.
    levels: IntArray
    #: Per margin, its number of levels.
    sizes: tuple[int, ...]
    #: Each cell's base weight, by which its sums and size count (None: all 1).
    scale: FloatArray | None = None
    #: The cells' sizes -> the map from levels' sums to effects for them (one at a time).
    _maps: dict[bytes, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def nothing(cls, n_cells: int) -> LevelFit:
        """No weighting: no levels, every correction 0."""
        return cls(Projection.RAKING, np.zeros((n_cells, 0), dtype=np.intp), ())

    @property
    def n_levels(self) -> int:
        return sum(self.sizes)

    def __call__(self, sums: FloatArray, counts: FloatArray) -> FloatArray:
        """Each cell's correction (cells × columns) from the cells' sums (cells × columns)."""
        cells = np.arange(sums.shape[0])
        if self.scale is not None:
            sums = sums * self.scale[:, None]
        effects = self.effects(self.level_sums(cells, sums)[:, 0], counts)
        return effects[self.levels].sum(axis=1)

    def level_sums(
        self, cells: IntArray, values: FloatArray, groups: IntArray | None = None, n_groups: int = 1
    ) -> FloatArray:
        """(levels, groups, columns): per level the ``values`` (units, columns) of the units
        whose cell (``cells``) is in it, summed per group (``groups``; None: one group)."""
        k = self.levels.shape[1]
        if groups is None:
            groups = np.zeros(cells.size, dtype=np.intp)
        key = (self.levels[cells] * n_groups + groups[:, None]).ravel()
        sums = group_sums(key, self.n_levels * n_groups, np.repeat(values, k, axis=0))
        return sums.reshape(self.n_levels, n_groups, values.shape[1])

    def effects(self, level_sums: FloatArray, counts: FloatArray) -> FloatArray:
        """The levels' effects (levels, ...) from their sums (levels, ...) for cells of
        sizes ``counts``."""
        key = np.asarray(counts, dtype=np.float64).tobytes()
        found = self._maps.get(key)
        if found is None:
            self._maps.clear()  # one set of sizes at a time: nothing piles up
            found = self._maps[key] = self._map(counts)
        flat = level_sums.reshape(self.n_levels, int(np.prod(level_sums.shape[1:])))
        return np.asarray(found @ flat).reshape(level_sums.shape)

    def gram(self, weights: FloatArray) -> Any:
        """Σ weights over the cells in each pair of levels (a sparse levels × levels
        matrix): what a design matrix of the levels' indicators would give as XᵀWX."""
        k, n = self.levels.shape[1], self.n_levels
        rows = np.repeat(self.levels, k, axis=1).ravel()
        columns = np.tile(self.levels, (1, k)).ravel()
        return sparse.csr_array(
            (np.repeat(weights, k * k), (rows, columns)), shape=(n, n), dtype=np.float64
        )

    def _map(self, counts: FloatArray) -> Any:
        """The (levels, levels) map from the levels' sums to their effects, as a sparse
        matrix: its products with the sums are a few hundred thousand multiplications,
        which BLAS would spread over threads that only wait for each other."""
        if self.scale is not None:
            counts = counts * self.scale
        if self.projection is Projection.POSTSTRATA:  # the base-weighted mean of each cell
            return sparse.diags_array(1.0 / counts, format="csr")
        gram = self.gram(counts).toarray()
        if self.projection is Projection.REGRESSION:
            # the indicators are collinear, so the pseudo-inverse picks one solution; the
            # fitted values, which are all that matter, are unique
            return sparse.csr_array(np.linalg.pinv(gram, rcond=1e-10, hermitian=True))
        # raking: R's backfitting sweeps, each margin's effects fitted in turn to what the
        # others leave of its levels' sums, run on unit sums to give the map itself
        level_counts = np.diag(gram)
        level_counts = np.where(level_counts > 0, level_counts, 1.0)  # an empty level sums 0
        offsets = np.concatenate([[0], np.cumsum(self.sizes)])
        level_sums = np.eye(gram.shape[0])
        effects = np.zeros_like(gram)
        for _ in range(RAKING_SWEEPS):
            for low, high in itertools.pairwise(offsets):
                left = level_sums[low:high] - gram[low:high] @ effects
                effects[low:high] += left / level_counts[low:high, None]
        return sparse.csr_array(effects)
