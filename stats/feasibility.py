"""Whether margins can be met at all, and which cannot: said before raking, not after.

Bounded raking asks for weights within lo..hi times each respondent's base weight that still
add up to every margin's targets. Whether such weights exist is a linear program over the
weighting cells (a cell's weight sum may be anything between lo and hi times its base
weights): when it has no solution, bounded raking can only end unconverged, and a weighting
that misses its margins must not be published as "weighted". The program is solved with
HiGHS (scipy's ``linprog``); an infeasible one is solved again with a slack per margin level,
the least total slack saying which levels cannot be reached and by how much.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_array, hstack, identity

from stats.columns import FloatArray, IntArray, Margin

#: A level whose slack is below this share of its target counts as met.
RELATIVE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class MarginMiss:
    """A margin level the weights cannot (or did not) reach."""

    column: str
    level: Hashable
    target: float
    #: The weighted count closest to the target that the weights allow (or reached).
    achieved: float


class MarginsNotMet(ValueError):
    """The weights cannot meet (or did not meet) every margin; ``misses`` says which."""

    def __init__(self, misses: Sequence[MarginMiss], reason: str) -> None:
        self.misses = list(misses)
        worst = self.misses[0]
        super().__init__(
            f"{reason}: {worst.column}={worst.level!r} reaches {worst.achieved:g} "
            f"of its target {worst.target:g}"
        )


def unreachable_levels(
    margins: Sequence[Margin],
    cell_codes: Sequence[IntArray],
    cell_base: FloatArray,
    bounds: tuple[float, float],
) -> list[MarginMiss]:
    """The margin levels no weights within ``bounds`` × base weight can meet together
    (empty when all can), the largest shortfall first.

    ``cell_codes`` give each weighting cell's level per margin and ``cell_base`` each cell's
    sum of base weights (already scaled as the bounds mean them).
    """
    n_cells = cell_base.size
    rows, columns, targets = [], [], []
    offset = 0
    for codes, margin in zip(cell_codes, margins, strict=True):
        rows.append(codes + offset)
        offset += margin.targets.size
        targets.append(margin.targets)
        columns.append(np.arange(n_cells))
    a = csr_array(
        (np.ones(n_cells * len(margins)), (np.concatenate(rows), np.concatenate(columns))),
        shape=(offset, n_cells),
    )
    b = np.concatenate(targets)
    low, high = bounds
    cell_bounds = np.column_stack([low * cell_base, high * cell_base])
    plain = linprog(np.zeros(n_cells), A_eq=a, b_eq=b, bounds=cell_bounds, method="highs")
    if plain.status == 0:
        return []
    # the same with a slack above and below each level's target, their sum as small as it goes
    eye = identity(offset, format="csr")
    relaxed = linprog(
        np.concatenate([np.zeros(n_cells), np.ones(2 * offset)]),
        A_eq=hstack([a, eye, -eye]),
        b_eq=b,
        bounds=np.vstack([cell_bounds, np.column_stack([np.zeros(2 * offset),
                                                        np.full(2 * offset, np.inf)])]),
        method="highs",
    )  # fmt: skip
    slack = relaxed.x[n_cells : n_cells + offset] - relaxed.x[n_cells + offset :]
    misses = []
    position = 0
    for margin in margins:
        for i, level in enumerate(margin.levels):
            gap = slack[position + i]
            target = float(margin.targets[i])
            if abs(gap) > RELATIVE_TOLERANCE * max(target, 1.0):
                misses.append(MarginMiss(margin.column, level, target, target - float(gap)))
        position += margin.targets.size
    misses.sort(key=lambda m: -abs(m.target - m.achieved))
    return misses


def missed_levels(
    margins: Sequence[Margin], unit_weight: FloatArray, codes: Sequence[IntArray], tol: float
) -> list[MarginMiss]:
    """The levels whose weighted count is off its target by more than ``tol`` (relative),
    the largest miss first: what an unconverged weighting failed to meet."""
    misses = []
    for margin_codes, margin in zip(codes, margins, strict=True):
        sums = np.bincount(margin_codes, weights=unit_weight, minlength=margin.targets.size)
        for level, target, got in zip(margin.levels, margin.targets, sums, strict=True):
            if target > 0 and abs(got / target - 1) > tol:
                misses.append(MarginMiss(margin.column, level, float(target), float(got)))
    misses.sort(key=lambda m: -abs(m.achieved / m.target - 1))
    return misses
