"""Which groups of a table may be shown: the one place that knows how suppression works.

Breakdowns, trends, charts, the report, the public page and the API all ask here, and the
caller passes the smallest group it may show (``RESULTS_MIN_GROUP`` in the app), so the
rule itself stays plain arithmetic that a test can check cell by cell.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from stats.columns import IntArray


def suppressed(counts: Sequence[int] | IntArray, minimum: int, unassigned: int = 0) -> np.ndarray:
    """Which of the cells of one breakdown (answers per group) must be hidden.

    A cell with fewer than ``minimum`` answers is hidden. Because the total is shown, the
    hidden cells together, and the ``unassigned`` answers of respondents in no group, can
    be recovered as the total minus the visible cells: so what that subtraction leaves must
    be nothing or at least ``minimum`` answers, and while it is not, the smallest visible
    cell is hidden too (complementary suppression). Empty cells give nothing away.
    """
    n = np.asarray(counts, dtype=np.int64)
    hidden = n < minimum
    left = int(n[hidden].sum()) + int(unassigned)
    while 0 < left < minimum and not hidden.all():
        visible = np.flatnonzero(~hidden)
        smallest = visible[np.argmin(n[visible])]
        hidden[smallest] = True
        left += int(n[smallest])
    return hidden


def suppressed_together(
    tables: Sequence[tuple[Sequence[int] | IntArray, int]], minimum: int
) -> np.ndarray:
    """One decision for several tables of the same groups (the tables of one question):
    a group hidden in any of them is hidden in all, so that no table can be subtracted from
    another. ``tables`` are (counts per group, unassigned answers) each."""
    if not tables:
        return np.zeros(0, dtype=bool)
    hidden = np.zeros(len(tables[0][0]), dtype=bool)
    changed = True
    while changed:  # hiding a group in one table may leave another's remainder too small
        changed = False
        for counts, unassigned in tables:
            n = np.asarray(counts, dtype=np.int64)
            forced = np.where(hidden, 0, n)
            mine = suppressed(forced, minimum, unassigned + int(n[hidden].sum())) | hidden
            if (mine & ~hidden).any():
                hidden |= mine
                changed = True
    return hidden
