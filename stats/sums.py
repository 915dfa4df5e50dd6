"""Sums per group: the one way the statistics add values up by a code.

Every figure Borgerpanel computes is a sum per weighting cell, margin level or answer,
and ``np.bincount`` is the fast way to take one; these helpers give it the shapes the
callers need (several columns at once, two codes crossed) so no module grows its own.
"""

from __future__ import annotations

import numpy as np

from stats.columns import FloatArray, IntArray


def group_sums(codes: IntArray, size: int, values: FloatArray) -> FloatArray:
    """Column-wise sums of ``values`` (n, p) within the ``size`` groups of ``codes`` (n):
    a (size, p) array, with zero rows for groups nobody is in."""
    return np.stack(
        [np.bincount(codes, weights=values[:, j], minlength=size) for j in range(values.shape[1])],
        axis=1,
    )


def cross_sums(
    rows: IntArray, n_rows: int, columns: IntArray, n_columns: int, weights: FloatArray
) -> FloatArray:
    """The (n_rows, n_columns) table of ``weights`` summed per pair of codes."""
    key = rows * n_columns + columns
    table = np.bincount(key, weights=weights, minlength=n_rows * n_columns)
    return table.astype(np.float64).reshape(n_rows, n_columns)
