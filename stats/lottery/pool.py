"""The pool a group is drawn from, its quotas, and the types of interchangeable people.

Two people with the same value in every category, each in a household of their own in
the pool, are interchangeable: any panel with one of them stays a valid panel with the
other instead. A fair distribution gives them the same probability (averaging over
swaps keeps every quota and raises no one's minimum), so the linear programs work on
*types* and *counts per type*, never on people: a panel is a composition (how many of
each type) and the people within a type are then drawn uniformly (by the seed, see
``rounding``). People who share a household with someone else in the pool are each a type
of their own, with "at most one per household" as a constraint over those types.

The ``ValueError`` messages are for developers (callers validate what staff type in).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import LinearConstraint


@dataclass(frozen=True)
class Quota:
    """At least ``min`` and at most ``max`` people with ``value`` in ``category``."""

    category: str
    value: str
    min: int
    max: int


def proportional_quotas(
    shares: Mapping[str, Mapping[str, float]], k: int, slack: int = 0
) -> list[Quota]:
    """Quotas that follow population shares: each value gets its share of ``k`` rounded
    down and up (``slack`` more room either side). ``shares`` is category -> value -> share;
    shares in a category are normalised, so counts or percentages do as well."""
    quotas = []
    for category, values in shares.items():
        total = float(sum(values.values()))
        for value, share in values.items():
            exact = k * float(share) / total if total else 0.0
            low = max(0, math.floor(exact + 1e-9) - slack)
            high = min(k, math.ceil(exact - 1e-9) + slack)
            quotas.append(Quota(category, value, low, high))
    return quotas


@dataclass
class Pool:
    """People who can be drawn, with their attribute values, households and the quotas.

    ``features`` maps each category to one value per person (in the order of ``ids``);
    ``households`` gives one household key per person (``None``: a household of their
    own), so at most one person per key is drawn.
    """

    ids: Sequence[str]
    features: Mapping[str, Sequence[str]]
    quotas: Sequence[Quota]
    k: int
    households: Sequence[str | None] | None = None
    #: type index of each person (n,)
    type_of: np.ndarray = field(init=False, repr=False)
    #: people per type (T,)
    type_sizes: np.ndarray = field(init=False, repr=False)
    #: the sorted key of each type: its values per category, and the person id when the
    #: person shares a household with someone else in the pool (else "")
    type_keys: list[tuple[tuple[str, ...], str]] = field(init=False, repr=False)
    #: 0/1 matrix (quotas x types): the type counts towards the quota
    quota_matrix: np.ndarray = field(init=False, repr=False)
    #: 0/1 matrix (shared households x types)
    household_matrix: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = len(self.ids)
        if len(set(self.ids)) != n:
            raise ValueError("ids must be unique")
        for category, values in self.features.items():
            if len(values) != n:
                raise ValueError(f"category {category!r} needs one value per person")
        for quota in self.quotas:
            if quota.category not in self.features:
                raise ValueError(f"quota on unknown category {quota.category!r}")
            if not 0 <= quota.min <= quota.max:
                raise ValueError(f"quota {quota} needs 0 <= min <= max")
        if self.k < 1:
            raise ValueError("k must be at least 1")
        households = list(self.households) if self.households is not None else [None] * n
        if len(households) != n:
            raise ValueError("households needs one key per person")
        shared = _shared_households(households)
        categories = list(self.features)
        keys = [
            (
                tuple(str(self.features[c][i]) for c in categories),
                str(self.ids[i]) if households[i] in shared else "",
            )
            for i in range(n)
        ]
        self.type_keys = sorted(set(keys))
        index = {key: t for t, key in enumerate(self.type_keys)}
        self.type_of = np.fromiter((index[key] for key in keys), dtype=np.int64, count=n)
        self.type_sizes = np.bincount(self.type_of, minlength=len(self.type_keys))
        position = {c: j for j, c in enumerate(categories)}
        self.quota_matrix = np.array(
            [
                [key[0][position[q.category]] == q.value for key in self.type_keys]
                for q in self.quotas
            ],
            dtype=float,
        ).reshape(len(self.quotas), len(self.type_keys))
        rows = {h: r for r, h in enumerate(sorted(shared))}
        self.household_matrix = np.zeros((len(rows), len(self.type_keys)))
        for i, h in enumerate(households):
            if h in rows:
                self.household_matrix[rows[h], self.type_of[i]] = 1.0

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def type_count(self) -> int:
        return len(self.type_keys)

    def counts(self, members: Sequence[int]) -> np.ndarray:
        """How many of each type the people at positions ``members`` are."""
        return np.bincount(
            self.type_of[np.asarray(members, dtype=np.int64)], minlength=self.type_count
        )

    def constraints(self, relaxed: bool = False) -> list[LinearConstraint]:
        """A panel's counts ``c`` (one per type, 0 <= c_t <= n_t): exactly ``k`` people,
        every quota, at most one per shared household. With ``relaxed`` the quota rows
        are left out (``feasibility`` adds them with slack)."""
        T = self.type_count
        rows = [LinearConstraint(np.ones((1, T)), self.k, self.k)]
        if not relaxed and len(self.quotas):
            low = np.array([q.min for q in self.quotas], dtype=float)
            high = np.array([q.max for q in self.quotas], dtype=float)
            rows.append(LinearConstraint(self.quota_matrix, low, high))
        if len(self.household_matrix):
            rows.append(LinearConstraint(self.household_matrix, 0, 1))
        return rows

    def meets_quotas(self, counts: np.ndarray) -> bool:
        """Whether a panel with these counts per type is a valid panel."""
        if int(counts.sum()) != self.k or np.any(counts > self.type_sizes) or np.any(counts < 0):
            return False
        if len(self.quotas):
            per_quota = self.quota_matrix @ counts
            low = np.array([q.min for q in self.quotas])
            high = np.array([q.max for q in self.quotas])
            if np.any(per_quota < low) or np.any(per_quota > high):
                return False
        return not (len(self.household_matrix) and np.any(self.household_matrix @ counts > 1))


def _shared_households(households: Sequence[str | None]) -> set[str]:
    seen: set[str] = set()
    shared: set[str] = set()
    for h in households:
        if h is None or h == "":
            continue
        (shared if h in seen else seen).add(h)
    return shared
