"""Which groups of a table may be shown: the one place that knows how suppression works.

Breakdowns, trends, charts, the report, the public page and the API all ask here, and the
caller passes the smallest group it may show (``RESULTS_MIN_GROUP`` in the app), so the
rule itself stays plain arithmetic that a test can check cell by cell.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from stats.columns import IntArray


def suppressed(counts: Sequence[int] | IntArray, minimum: int) -> np.ndarray:
    """Which of the cells of one breakdown (answers per group) must be hidden.

    A cell with fewer than ``minimum`` answers is hidden. Because the total is shown, a
    single hidden cell could be recovered as the total minus the visible ones, so when
    exactly one hidden cell has answers the smallest visible cell is hidden too
    (complementary suppression).
    """
    n = np.asarray(counts, dtype=np.int64)
    hidden = n < minimum
    if int((hidden & (n > 0)).sum()) == 1 and (~hidden).any():
        visible = np.flatnonzero(~hidden)
        hidden[visible[np.argmin(n[visible])]] = True
    return hidden
