"""What every results page, chart and export shares: who the respondents of a wave are, their
weights, and the smallest group that may be shown (``min_group``, which the pages pass to
``stats.suppression.suppressed``).

``load_respondents`` gives a wave's completed, non-public responses
grouped by their attributes, with the stored weights and the weighting's variance
correction rebuilt (``stats.calibration.Calibration``), so estimates carry R-``survey``
standard errors without raking again.
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
from stats.calibration import Calibration, Projection
from stats.cells import CellEstimator
from stats.columns import FloatArray, factorize
from stats.intervals import ShareInterval
from surveys.answering.models import Response, ResponseMode
from surveys.results.models import ResponseWeight, Weighting, WeightingMethod
from surveys.waves.models import Wave

#: Used outside a request (scripts, benchmarks) when no app config says otherwise.
DEFAULT_MIN_GROUP = 10


def min_group() -> int:
    """The smallest number of answers a shown group may rest on (``RESULTS_MIN_GROUP``)."""
    try:
        return int(current_app.config.get("RESULTS_MIN_GROUP", DEFAULT_MIN_GROUP))
    except RuntimeError:  # no app context
        return DEFAULT_MIN_GROUP


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


def share_interval() -> ShareInterval:
    """How shares' intervals are computed (``RESULTS_SHARE_INTERVAL``: logit or beta)."""
    try:
        return ShareInterval(current_app.config.get("RESULTS_SHARE_INTERVAL", "logit"))
    except RuntimeError:  # no app context
        return ShareInterval.LOGIT


def design_weights(
    wave: Wave, attributes: dict[str, np.ndarray], counts: FloatArray | None = None
) -> FloatArray | None:
    """Each respondent's (or profile's, with ``counts``) base weight: the eligible members
    of their stratum when the sample was drawn over the stratum's respondents.

    That is the inverse of the chance to be drawn (eligible / invited) times the inverse of
    the stratum's response rate (invited / responded), the class adjustment for
    non-response, so the draw's unequal rates do not reach the results. The stratum is read
    from the answers' attributes, so that everyone with the same attributes has the same
    base weight; respondents in a stratum the draw did not have get the overall ratio.
    None for a wave drawn without strata.
    """
    keys = list(wave.stratify_by or [])
    if not keys or not wave.allocation:
        return None
    size = len(next(iter(attributes.values()))) if attributes else 0
    n = np.ones(size) if counts is None else np.asarray(counts, dtype=np.float64)
    eligible = {tuple(entry["stratum"]): float(entry["available"]) for entry in wave.allocation}
    missing = np.full(size, None, dtype=object)
    strata = list(zip(*(attributes.get(key, missing).tolist() for key in keys), strict=True))
    answered: dict[tuple[Any, ...], float] = {}
    for stratum, count in zip(strata, n.tolist(), strict=True):
        answered[stratum] = answered.get(stratum, 0.0) + count
    overall = sum(eligible.values()) / float(n.sum())
    return np.array([
        eligible[s] / answered[s] if eligible.get(s) else overall for s in strata
    ])  # fmt: skip


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
        base = None
        if weighting.design_weighted:
            base = design_weights(db.session.get_one(Wave, wave_id), attributes, counts)
        calibration = cell_calibration(
            weighting.method,
            weighting.bounds is not None,
            [attributes[key] for key in weighting.attribute_keys],
            base,
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
    method: WeightingMethod,
    bounded: bool,
    columns: Sequence[np.ndarray],
    base: FloatArray | None = None,
) -> Calibration:
    """The projection for a stored weighting on these attribute columns (one per weighting
    key), for units with the base weights ``base`` (None: all equal)."""
    coded = [factorize(column) for column in columns]
    if method is WeightingMethod.POSTSTRATIFY:
        projection = Projection.POSTSTRATA
    else:
        projection = Projection.REGRESSION if bounded else Projection.RAKING
    return Calibration.of(
        projection, [codes for _, codes in coded], [len(ls) for ls, _ in coded], unit_base=base
    )
