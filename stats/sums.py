"""Sums per group: the one way the statistics add values up by a code.

Every figure Borgerpanel computes is a sum per weighting cell, margin level, answer or
group, of one column or of many at once (every column of a table, every group of a
breakdown); ``group_sums`` gives them all, so no module grows its own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from stats.columns import FloatArray, IntArray


def group_sums(codes: IntArray, size: int, values: FloatArray) -> FloatArray:
    """Column-wise sums of ``values`` (n, p) within the ``size`` groups of ``codes`` (n):
    a (size, p) array, with zero rows for groups nobody is in.

    The product of the codes' indicator matrix (``group_indicator``) with ``values``: one
    pass over all the columns, where ``np.bincount`` takes a pass per column (several
    times slower for the dozen columns of a table, the same for one).
    """
    return np.asarray(group_indicator(codes, size) @ values, dtype=np.float64)


def group_indicator(codes: IntArray, size: int) -> Any:
    """The (size, n) sparse matrix with a 1 where the i-th value is in group ``codes[i]``:
    built without sorting (one 1 per column), and worth keeping where several products
    sum over the same codes."""
    n = codes.size
    return sparse.csc_array((np.ones(n), codes, np.arange(n + 1)), shape=(size, n))
