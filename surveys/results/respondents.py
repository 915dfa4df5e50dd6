"""What every results page, chart and export shares: who the respondents of a wave are, their
weights, and the one rule that hides small groups.

``suppressed`` is the only place that decides which groups may be shown; breakdowns, trends
and charts all call it. ``load_respondents`` gives a wave's completed, non-public responses
grouped by their attributes, with the stored weights and the weighting's variance
correction rebuilt (``CellCalibration``), so estimates carry R-``survey`` standard errors
without raking again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import Text, and_, cast, func, select

from extensions import db
from stats.calibration import RAKING_SWEEPS
from stats.cells import CellEstimator
from stats.columns import FloatArray, IntArray, combine, factorize
from surveys.answering.models import Response, ResponseMode
from surveys.results.models import ResponseWeight, Weighting, WeightingMethod

#: Used outside a request (scripts, benchmarks) when no app config says otherwise.
DEFAULT_MIN_GROUP = 10


def min_group() -> int:
    """The smallest number of answers a shown group may rest on (``RESULTS_MIN_GROUP``)."""
    try:
        return int(current_app.config.get("RESULTS_MIN_GROUP", DEFAULT_MIN_GROUP))
    except RuntimeError:  # no app context
        return DEFAULT_MIN_GROUP


def suppressed(counts: Sequence[int] | IntArray, minimum: int | None = None) -> np.ndarray:
    """Which of the cells of one breakdown (answers per group) must be hidden.

    A cell with fewer than ``minimum`` answers is hidden. Because the total is shown, a
    single hidden cell could be recovered as the total minus the visible ones, so when
    exactly one hidden cell has answers the smallest visible cell is hidden too
    (complementary suppression). Every breakdown, trend row and chart goes through here.
    """
    limit = min_group() if minimum is None else minimum
    n = np.asarray(counts, dtype=np.int64)
    hidden = n < limit
    if int((hidden & (n > 0)).sum()) == 1 and (~hidden).any():
        visible = np.flatnonzero(~hidden)
        hidden[visible[np.argmin(n[visible])]] = True
    return hidden


@dataclass(frozen=True)
class CellCalibration:
    """R's projection of the influence values for a stored weighting, done per weighting cell.

    All respondents of a weighting cell (one combination of the weighting attributes) get
    the same correction, so the projection runs on the cells' sums, a few hundred rows,
    and respondents are touched once to sum and once to subtract. With equal base weights
    this is exactly ``stats.calibration``'s PostStrata / RakingMargins /
    Regression (bounded raking), which work per respondent.
    """

    method: WeightingMethod
    bounded: bool
    cells: IntArray
    #: Per margin, each cell's level code.
    margins: tuple[IntArray, ...]
    sizes: tuple[int, ...]

    @property
    def n_cells(self) -> int:
        return int(self.margins[0].size)

    def cell_counts(self) -> FloatArray:
        return np.bincount(self.cells, minlength=self.n_cells).astype(np.float64)

    def residuals(self, r: FloatArray) -> FloatArray:
        sums = _level_sums(self.cells, self.n_cells, r)
        return r - self.fitted(sums, self.cell_counts())[self.cells]

    def fitted(self, sums: FloatArray, counts: FloatArray) -> FloatArray:
        """Each cell's correction (cells × columns) from the cells' sums of the influence
        values and the cells' numbers of respondents."""
        if self.method is WeightingMethod.POSTSTRATIFY:
            return sums / counts[:, None]
        if self.bounded:
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
        offsets = np.concatenate([[0], np.cumsum(self.sizes)])
        gram = np.zeros((offsets[-1], offsets[-1]))
        for i, (mi, ki) in enumerate(zip(self.margins, self.sizes, strict=True)):
            for j, (mj, kj) in enumerate(zip(self.margins, self.sizes, strict=True)):
                block = np.bincount(mi * kj + mj, weights=counts, minlength=ki * kj)
                gram[offsets[i] : offsets[i + 1], offsets[j] : offsets[j + 1]] = block.reshape(
                    ki, kj
                )
        rhs = np.concatenate(
            [_level_sums(m, k, sums) for m, k in zip(self.margins, self.sizes, strict=True)]
        )
        beta = np.linalg.pinv(gram, rcond=1e-10, hermitian=True) @ rhs
        return sum(
            (beta[offsets[i] : offsets[i + 1]][m] for i, m in enumerate(self.margins)),
            start=np.zeros_like(sums),
        )


def _level_sums(codes: IntArray, size: int, values: FloatArray) -> FloatArray:
    return np.stack(
        [np.bincount(codes, weights=values[:, j], minlength=size) for j in range(values.shape[1])],
        axis=1,
    )


@dataclass(frozen=True, eq=False)
class Respondents:
    """A wave's completed, non-public responses, as profiles: the distinct combinations of
    attributes, each with its number of respondents and (when weighted) its weight.

    Weights are the same for everyone with the same attributes, and every figure is a
    sum per profile, so a wave of 100,000 respondents is a few hundred rows here.
    """

    #: Respondents in all.
    n: int
    #: Attribute key -> each profile's category code (None where unknown).
    attributes: dict[str, np.ndarray]
    #: Respondents per profile.
    counts: FloatArray
    #: Each profile's weight; None when the wave is not weighted or answers changed since.
    weights: FloatArray | None
    weighting: Weighting | None
    #: The weighted figures where there are weights, else the unweighted.
    estimator: CellEstimator
    #: The unweighted figures.
    plain: CellEstimator
    #: A profile's stored attributes (JSON text) -> its position.
    position: dict[str, int]

    @property
    def weighted(self) -> bool:
        return self.weights is not None


def respondent_filter(wave_id: int) -> tuple[Any, ...]:
    """Responses that count for a wave's results: completed, and not through a public link."""
    return (
        Response.wave_id == wave_id,
        Response.completed_at.is_not(None),
        Response.mode != ResponseMode.PUBLIC,
    )


def respondent_query(wave_id: int) -> Any:
    return select(Response.id).where(*respondent_filter(wave_id))


#: A response's attributes as the database stores them: grouped by, decoded once each.
ATTRIBUTES_TEXT = cast(Response.attributes, Text)


def attribute_columns(rows: Sequence[dict[str, Any] | None]) -> dict[str, np.ndarray]:
    keys = sorted({key for attrs in rows for key in (attrs or {})})
    return {key: np.array([(attrs or {}).get(key) for attrs in rows], dtype=object) for key in keys}


def load_respondents(wave_id: int) -> Respondents:
    """The wave's respondents grouped by attributes, with their stored weights (one query)."""
    weighting = db.session.scalar(select(Weighting).filter_by(wave_id=wave_id))
    weight = ResponseWeight.weight
    joined = and_(
        ResponseWeight.response_id == Response.id,
        ResponseWeight.weighting_id == (weighting.id if weighting else None),
    )
    rows = db.session.execute(
        select(
            ATTRIBUTES_TEXT, func.count(), func.count(weight), func.min(weight), func.max(weight)
        )
        .select_from(Response)
        .outerjoin(ResponseWeight, joined)
        .where(*respondent_filter(wave_id))
        .group_by(ATTRIBUTES_TEXT)
        .order_by(ATTRIBUTES_TEXT)
    ).all()
    texts = [row[0] for row in rows]
    counts = np.array([row[1] for row in rows], dtype=np.float64)
    attributes = attribute_columns([json.loads(t) if t else None for t in texts])
    n = int(counts.sum())
    plain = CellEstimator.unweighted(counts)
    estimator, weights = plain, None
    complete = all(row[2] == row[1] for row in rows)
    if weighting is not None and n and complete:
        low = np.array([row[3] for row in rows], dtype=np.float64)
        high = np.array([row[4] for row in rows], dtype=np.float64)
        calibration = cell_calibration(
            weighting.method,
            weighting.bounds is not None,
            [attributes[key] for key in weighting.attribute_keys],
        )
        if np.allclose(low, high, rtol=1e-9, atol=0):
            found = CellEstimator.from_weights(calibration.cells, low, counts, calibration.fitted)
            if found is not None:
                estimator, weights = found, low
    return Respondents(
        n, attributes, counts, weights, weighting, estimator, plain,
        {t: i for i, t in enumerate(texts)},
    )  # fmt: skip


def cell_calibration(
    method: WeightingMethod, bounded: bool, columns: Sequence[np.ndarray]
) -> CellCalibration:
    """The projection for a weighting on these attribute columns (one per weighting key)."""
    coded = [factorize(column) for column in columns]
    sizes = tuple(len(levels) for levels, _ in coded)
    cells, representative = combine([codes for _, codes in coded], list(sizes))
    margins = tuple(codes[representative] for _, codes in coded)
    if method is WeightingMethod.POSTSTRATIFY:
        # post-stratification projects on the cells themselves, whatever the margins
        return CellCalibration(method, False, cells, margins, sizes)
    return CellCalibration(method, bounded, cells, margins, sizes)
