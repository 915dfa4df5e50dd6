"""The Sortition Foundation's CSV format, so results compare with other sortition tools.

``categories.csv`` has a row per quota: ``category,feature,min,max`` (columns named so,
in any order; further columns are ignored). ``respondents.csv`` has a row per person: an id
column, a column per category holding the person's feature, and whatever else (address
columns name a household: people with the same values in all of them live together).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from stats.lottery.fairness import Distribution
from stats.lottery.feasibility import Relaxation
from stats.lottery.pool import Pool, Quota
from stats.lottery.rounding import Draw, RoundedDistribution


def _rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    reader.fieldnames = [name.strip() for name in reader.fieldnames or []]
    return [{key: (value or "").strip() for key, value in row.items() if key} for row in reader]


def read_quotas(text: str) -> list[Quota]:
    """The quotas of a ``categories.csv``."""
    rows = _rows(text)
    missing = {"category", "feature", "min", "max"} - set(rows[0] if rows else ())
    if missing:
        raise ValueError(f"categories file lacks the columns {sorted(missing)}")
    return [Quota(r["category"], r["feature"], int(r["min"]), int(r["max"])) for r in rows]


def read_pool(
    categories: str,
    respondents: str,
    k: int,
    id_column: str | None = None,
    address_columns: Sequence[str] = (),
) -> Pool:
    """A pool from the two files. ``id_column``: the first column unless named. A person
    whose feature in a category has no quota row cannot be counted and is an error."""
    quotas = read_quotas(categories)
    rows = _rows(respondents)
    if not rows:
        raise ValueError("respondents file is empty")
    id_column = id_column or next(iter(rows[0]))
    names = list(dict.fromkeys(q.category for q in quotas))
    for column in [id_column, *names, *address_columns]:
        if column not in rows[0]:
            raise ValueError(f"respondents file lacks the column {column!r}")
    known = {(q.category, q.value) for q in quotas}
    for row in rows:
        for name in names:
            if (name, row[name]) not in known:
                raise ValueError(f"{row[id_column]}: {name} {row[name]!r} is in no quota row")
    households: list[str | None] | None = None
    if address_columns:
        households = ["\x1f".join(row[c].lower() for c in address_columns) for row in rows]
    return Pool(
        ids=[row[id_column] for row in rows],
        features={name: [row[name] for row in rows] for name in names},
        quotas=quotas,
        k=k,
        households=households,
    )


def relaxation_report(relaxation: Relaxation) -> dict[str, Any]:
    """The JSON for quotas that cannot be met."""
    return {
        "feasible": relaxation.feasible,
        "pool_too_small": relaxation.pool_too_small,
        "total_relaxation": relaxation.total,
        "relax": [
            {
                "category": old.category,
                "feature": old.value,
                "min": old.min,
                "max": old.max,
                "relaxed_min": new.min,
                "relaxed_max": new.max,
            }
            for old, new in relaxation.changes
        ],
    }


def draw_report(
    distribution: Distribution, rounded: RoundedDistribution, drawn: Draw
) -> dict[str, Any]:
    """The JSON the CLI prints: each person's probability, and the drawn panel."""
    pool = distribution.pool
    exact = distribution.person_probabilities
    published = rounded.person_probabilities
    return {
        "k": pool.k,
        "pool_size": pool.size,
        "min_probability": float(exact.min()),
        "upper_bound": distribution.upper_bound,
        "leximin_complete": distribution.leximin_complete,
        "m": rounded.m,
        "rounded_min_probability": float(published.min()),
        "max_rounding_deviation": rounded.max_deviation,
        "seed": drawn.seed,
        "slot": drawn.slot,
        "probabilities": {
            str(person): {"probability": round(float(p), 9), "rounded": round(float(r), 9)}
            for person, p, r in zip(pool.ids, exact, published, strict=True)
        },
        "panel": drawn.selected,
        "alternates": drawn.alternates,
        "panels": [
            {"copies": int(copies), "counts": _counts(pool, composition)}
            for composition, copies in zip(rounded.compositions, rounded.copies, strict=True)
        ],
    }


def _counts(pool: Pool, composition: np.ndarray) -> dict[str, int]:
    """A composition per type, the types named by their features (and person if alone)."""
    categories = list(pool.features)
    named = {}
    for (values, person), count in zip(pool.type_keys, composition.tolist(), strict=True):
        if count:
            name = ",".join(f"{c}={v}" for c, v in zip(categories, values, strict=True))
            named[name + (f",id={person}" if person else "")] = int(count)
    return named
