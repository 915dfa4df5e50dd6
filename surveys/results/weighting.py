"""Weighting a wave to the population figures, and what staff need to judge the weighting.

``weight_wave`` sums the population figures to the chosen attributes (margins for raking,
cells for post-stratification), starts from design weights where the wave was drawn in
strata (``respondents.design_weights``: eligible members over respondents per stratum, the
draw's rates and the non-response of each stratum undone), weights the wave's completed,
non-public responses with
``surveys.weighting`` and stores the result, replacing any earlier weighting of the wave.
Any problem (a level no respondent has, figures without the attribute, respondents
without a value, bounds no weights can meet, raking that did not converge) is a
``WeightingRefused`` whose translated message staff can act on, and nothing is stored: a
weighting that misses its margins is never saved, so results are never published from it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from flask_babel import format_decimal, format_number
from flask_babel import gettext as _
from sqlalchemy import delete, insert, select

from core.clock import utcnow
from core.errors import Refusal
from core.i18n import current_language
from extensions import db
from panel.demographics.attributes import load_attributes
from panel.demographics.composition import population_cells
from panel.demographics.models import Attribute, PopulationTable
from stats.estimation import WeightingResult
from stats.feasibility import MarginMiss, MarginsNotMet
from stats.weighting import poststratify, rake
from surveys.answering.models import Response
from surveys.results.models import ResponseWeight, Weighting, WeightingMethod
from surveys.results.respondents import (
    Respondents,
    attribute_columns,
    design_weights,
    respondent_query,
)
from surveys.results.tally import tally_if_stale
from surveys.waves.models import Wave, WaveState

log = logging.getLogger(__name__)


class WeightingRefused(Refusal):
    """The wave cannot be weighted as asked; the message says why, in the staff's language."""


def _missed(miss: MarginMiss, bounds: tuple[float, float] | None) -> WeightingRefused:
    """A margin level not met, in words with the attribute's and category's labels."""
    language = current_language()
    attribute = {a.key: a for a in load_attributes()}.get(miss.column)
    margin, level = miss.column, str(miss.level)
    if attribute is not None:
        margin = attribute.label(language)
        level = next((c.label(language) for c in attribute.categories
                      if c.code == miss.level), level)  # fmt: skip
    numbers = {
        "margin": margin,
        "level": level,
        "achieved": format_number(round(miss.achieved)),
        "target": format_number(round(miss.target)),
    }
    if bounds is not None:
        limits = {"low": format_decimal(bounds[0]), "high": format_decimal(bounds[1])}
        if miss.achieved < miss.target:
            message = _(
                "No weights within %(low)s–%(high)s times the mean weight meet every margin: "
                "%(margin)s %(level)s can reach at most %(achieved)s, not its population "
                "figure %(target)s. Widen the bounds or weight by fewer attributes.",
                **limits,
                **numbers,
            )
        else:
            message = _(
                "No weights within %(low)s–%(high)s times the mean weight meet every margin: "
                "%(margin)s %(level)s comes to at least %(achieved)s, not its population "
                "figure %(target)s. Widen the bounds or weight by fewer attributes.",
                **limits,
                **numbers,
            )
        return WeightingRefused(message, field="bound_low")
    return WeightingRefused(
        _("The raking did not converge: %(margin)s %(level)s reached %(achieved)s, not its "
          "population figure %(target)s. Nothing was saved; weight by fewer attributes.",
          **numbers)
    )  # fmt: skip


def strata_not_weighted(wave: Wave, keys: Sequence[str]) -> list[str]:
    """The wave's stratification variables that a weighting on ``keys`` leaves out.

    The draw may have taken strata at different rates (equal allocation, or unequal
    response expected). Where the draw is recorded the weights start from design weights
    and undo that; where it is not (a wave opened before), they start from equal ones, and
    a stratum variable left out of the weighting is over- or under-represented.
    """
    if wave.allocation:  # the draw is recorded: the weights start from design weights
        return []
    return [key for key in wave.stratify_by if key not in keys]


def population_targets(
    table: PopulationTable, keys: Sequence[str], method: WeightingMethod
) -> dict[str, dict[str, float]] | dict[tuple[str, ...], float]:
    """The figures summed to each key (raking) or to each combination of the keys."""
    cells = population_cells(table)
    if not cells:
        raise WeightingRefused(_("The population table %(name)s has no figures.", name=table.name))
    for key in keys:
        if key not in table.attribute_keys:
            raise WeightingRefused(
                _("The population table %(name)s has no figures by %(key)s.",
                  name=table.name, key=key)
            )  # fmt: skip
    if method is WeightingMethod.POSTSTRATIFY:
        combined: dict[tuple[str, ...], float] = {}
        for cell, count in cells:
            combo = tuple(cell[key] for key in keys)
            combined[combo] = combined.get(combo, 0.0) + count
        return combined
    margins: dict[str, dict[str, float]] = {key: {} for key in keys}
    for cell, count in cells:
        for key in keys:
            margins[key][cell[key]] = margins[key].get(cell[key], 0.0) + count
    return margins


def weight_wave(
    wave: Wave,
    method: WeightingMethod,
    keys: Sequence[str],
    table: PopulationTable,
    bounds: tuple[float, float] | None = None,
) -> Weighting:
    """Weight the wave's respondents and store the weights (caller commits).

    Idempotent: a wave has one weighting, and computing it again replaces the settings,
    the diagnostics and every weight. A closed wave without current counts gets them
    (``surveys.results.tally.tally_if_stale``).
    """
    keys = list(keys)
    if not keys:
        raise WeightingRefused(_("Choose at least one attribute to weight by."), "attributes")
    if bounds is not None and method is WeightingMethod.POSTSTRATIFY:
        raise WeightingRefused(_("Trimming bounds apply to raking only."), "bound_high")
    rows = db.session.execute(
        select(Response.id, Response.attributes)
        .where(Response.id.in_(respondent_query(wave.id)))
        .order_by(Response.id)
    ).all()
    if not rows:
        raise WeightingRefused(_("The wave has no completed answers to weight."))
    ids = [row[0] for row in rows]
    columns = attribute_columns([row[1] for row in rows])
    for key in keys:
        missing = sum(value is None for value in columns.get(key, [None] * len(ids)))
        if missing:
            raise WeightingRefused(
                _("%(n)d respondents have no value for %(key)s.", n=missing, key=key)
            )
    data = {key: columns[key].astype(str) for key in keys}
    targets = population_targets(table, keys, method)
    base = design_weights(wave, columns)
    result: WeightingResult
    try:
        if method is WeightingMethod.POSTSTRATIFY:
            result = poststratify(data, keys, targets, base_weights=base)  # type: ignore[arg-type]
        else:
            result = rake(data, targets, base_weights=base, bounds=bounds)  # type: ignore[arg-type]
    except MarginsNotMet as refused:
        raise _missed(refused.misses[0], bounds) from refused
    except ValueError as error:  # the figures and the answers do not fit: the library says how
        raise WeightingRefused(
            _("The wave cannot be weighted: %(reason)s", reason=str(error))
        ) from error
    if not result.converged:
        raise _missed(result.misses[0], bounds)
    weighting = db.session.scalar(select(Weighting).filter_by(wave_id=wave.id))
    if weighting is None:
        weighting = Weighting(wave_id=wave.id)
        db.session.add(weighting)
    weights = result.weights
    weighting.method = method
    weighting.design_weighted = base is not None
    weighting.attribute_keys = keys
    weighting.bound_low, weighting.bound_high = bounds if bounds is not None else (None, None)
    weighting.population_table_id = table.id
    weighting.converged = result.converged
    weighting.iterations = result.iterations
    weighting.design_effect = result.design_effect
    weighting.effective_n = result.effective_n
    weighting.respondents = len(ids)
    weighting.min_weight = float(weights.min())
    weighting.max_weight = float(weights.max())
    weighting.computed_at = utcnow()
    db.session.flush()
    db.session.execute(delete(ResponseWeight).where(ResponseWeight.weighting_id == weighting.id))
    db.session.execute(
        insert(ResponseWeight),
        [
            {"response_id": rid, "weighting_id": weighting.id, "weight": float(w)}
            for rid, w in zip(ids, weights.tolist(), strict=True)
        ],
    )
    log.info(
        "weighted wave %s by %s (%s) on %s respondents: deff %.3f",
        wave.id, method.value, ",".join(keys), len(ids), result.design_effect,
    )  # fmt: skip
    if wave.state is WaveState.CLOSED:
        # weighting is when staff look at a closed wave's results: a wave closed before
        # tallies existed, or whose respondents changed since, gets its counts here
        tally_if_stale(wave.id, len(ids))
    return weighting


@dataclass(frozen=True)
class CompositionRow:
    code: str
    label: str
    respondents: int
    sample_share: float
    weighted_share: float | None
    population_share: float | None


def composition(
    respondents: Respondents,
    attribute: Attribute,
    table: PopulationTable | None,
    language: str,
) -> list[CompositionRow]:
    """One attribute's shares in the sample, after weighting, and in the population."""
    profiles = respondents.counts
    values = respondents.attributes.get(attribute.key)
    codes = [c.code for c in attribute.categories]
    position = {code: i for i, code in enumerate(codes)}
    k = len(codes)
    if values is None:
        index = np.full(profiles.size, -1)
    else:
        index = np.array([position.get(v, -1) for v in values.tolist()], dtype=np.int64)
    known = index >= 0
    counts = np.bincount(index[known], weights=profiles[known], minlength=k).round()
    weighted = None
    if respondents.weights is not None:
        w = respondents.weights * profiles
        weighted = np.bincount(index[known], weights=w[known], minlength=k)
    population = None
    if table is not None and attribute.key in table.attribute_keys:
        population = np.zeros(k)
        for cell, count in population_cells(table):
            i = position.get(cell.get(attribute.key, ""), -1)
            if i >= 0:
                population[i] += count
    total = max(int(counts.sum()), 1)
    return [
        CompositionRow(
            code=category.code,
            label=category.label(language),
            respondents=int(counts[i]),
            sample_share=float(counts[i] / total),
            weighted_share=float(weighted[i] / weighted.sum()) if weighted is not None else None,
            population_share=(
                float(population[i] / population.sum())
                if population is not None and population.sum()
                else None
            ),
        )
        for i, category in enumerate(attribute.categories)
    ]
