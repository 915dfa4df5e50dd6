"""Turning respondents' columns into integer codes, once, so that weighting is pure numpy.

Every later step (raking passes, cell sums, variance residuals) is a ``np.bincount`` over
these codes, so the encoding is where bad input is caught and reported by column and level.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


class Columns(Protocol):
    """Anything indexable by column name: a dict of sequences or a pandas DataFrame."""

    def __getitem__(self, key: str, /) -> Any: ...


@dataclass(frozen=True)
class Margin:
    """One weighting variable: each respondent's level as a code into ``levels``/``targets``."""

    column: str
    levels: list[Hashable]
    targets: FloatArray
    codes: IntArray


def factorize(values: Any) -> tuple[list[Any], IntArray]:
    """Return the distinct values (in no promised order) and each value's index among them.

    This is the one pass over all respondents' labels, so it avoids what is slow in numpy:
    small-range integers use a lookup table, short strings are packed into one integer
    each, pandas categoricals bring their own codes, and codes come from a binary search in
    the few distinct values rather than from an argsort of a million.
    """
    if hasattr(values, "cat"):  # a pandas categorical Series: codes exist already
        categories = list(values.cat.categories)
        codes = np.asarray(values.cat.codes, dtype=np.intp)
        if (codes < 0).any():
            categories.append(None)
            codes = np.where(codes < 0, len(categories) - 1, codes)
        return categories, codes
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError("every column must be one-dimensional")
    if array.dtype.kind in "iub" and array.size:
        low = int(array.min())
        span = int(array.max()) - low + 1
        if span <= 4 * array.size + 1024:
            shifted = array.astype(np.intp) - low
            present = np.bincount(shifted, minlength=span) > 0
            table = np.cumsum(present) - 1
            return (np.flatnonzero(present) + low).tolist(), table[shifted]
    packed = _packed_strings(array)
    if packed is not None:
        keys = np.unique(packed)
        width = min(array.dtype.itemsize // 4, 8)
        chars = keys.view(np.uint8).reshape(keys.size, 8)[:, :width].astype(np.uint32)
        labels = np.ascontiguousarray(chars).view(f"<U{width}").ravel()
        return labels.tolist(), np.searchsorted(keys, packed).astype(np.intp)
    if array.dtype.kind != "O":
        uniques = np.unique(array)
        return uniques.tolist(), np.searchsorted(uniques, array).astype(np.intp)
    # Mixed Python objects (None among strings, say) do not sort; code them in order of
    # appearance through a dict, which is still one hash per respondent and no comparison.
    index: dict[Any, int] = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in array), np.intp, array.size)
    return list(index), codes


def _packed_strings(array: NDArray[Any]) -> NDArray[np.uint64] | None:
    """Strings of up to 8 Latin-1 characters (category codes such as "710" or "f") as one
    64-bit integer each, which numpy sorts and searches far faster than strings."""
    if array.dtype.kind != "U" or not array.dtype.itemsize or not array.size:
        return None
    chars = np.ascontiguousarray(array).view(np.uint32).reshape(array.size, -1)
    if chars.shape[1] > 8:  # a wide dtype (str(int) gives <U21) may hold short strings
        if chars[:, 8:].any():
            return None
        chars = chars[:, :8]
    if chars.max() > 255:
        return None
    packed = np.zeros((array.size, 8), dtype=np.uint8)
    packed[:, : chars.shape[1]] = chars
    return packed.view(np.uint64).ravel()


def column_length(data: Columns, names: Iterable[str]) -> int:
    """The common number of respondents; a column of another length is an error naming it."""
    length: int | None = None
    first = ""
    for name in names:
        try:
            size = len(data[name])
        except KeyError:
            raise ValueError(f"column {name!r} is not in the data") from None
        if length is None:
            length, first = size, name
        elif size != length:
            raise ValueError(f"column {name!r} has {size} values but column {first!r} has {length}")
    if length is None:
        raise ValueError("at least one weighting column is needed")
    if length == 0:
        raise ValueError("there are no respondents to weight")
    return length


def base_weights_array(base_weights: Sequence[float] | Any | None, n: int) -> FloatArray:
    """Design weights (1 for everyone when absent); they must be positive and finite."""
    if base_weights is None:
        return np.ones(n)
    weights = np.asarray(base_weights, dtype=np.float64)
    if weights.shape != (n,):
        raise ValueError(f"base_weights has {weights.size} values for {n} respondents")
    if not np.isfinite(weights).all():
        raise ValueError("base_weights must all be finite numbers")
    if (weights <= 0).any():
        raise ValueError("base_weights must all be positive")
    return weights


def target_counts(column: str, targets: Mapping[Any, float]) -> tuple[list[Any], FloatArray]:
    """The levels of one target table and their counts, refusing negative or missing counts."""
    levels = list(targets)
    counts = np.array([float(targets[level]) for level in levels], dtype=np.float64)
    for level, count in zip(levels, counts, strict=True):
        if not np.isfinite(count) or count < 0:
            raise ValueError(
                f"column {column!r}: the population count for level {level!r} must be "
                f"a finite number of at least 0, not {count}"
            )
    if not counts.sum() > 0:
        raise ValueError(f"column {column!r}: the population counts add up to 0")
    return levels, counts


def encode_margin(column: str, values: Any, targets: Mapping[Any, float]) -> Margin:
    """Code one column against its target table, naming any level found on one side only.

    A level with a population count of 0 that no respondent has is allowed (as R's
    postStratify drops it); respondents in a level whose count is 0 cannot be weighted.
    """
    levels, counts = target_counts(column, targets)
    position = {level: i for i, level in enumerate(levels)}
    uniques, codes = factorize(values)
    used = np.bincount(codes, minlength=len(uniques)) > 0  # unused categories are no level
    lookup = np.zeros(len(uniques), dtype=np.intp)
    for i, value in enumerate(uniques):
        if not used[i]:
            continue
        found = position.get(value)
        if found is None:
            raise ValueError(
                f"column {column!r}: respondents have level {value!r}, "
                "which has no population target"
            )
        lookup[i] = found
    coded = lookup[codes]
    answered = np.bincount(coded, minlength=len(levels))
    for level, count, seen in zip(levels, counts, answered, strict=True):
        if count > 0 and seen == 0:
            raise ValueError(
                f"column {column!r}: no respondent has level {level!r}, "
                f"which has a population target of {count:g}"
            )
        if count == 0 and seen > 0:
            raise ValueError(
                f"column {column!r}: {seen} respondents have level {level!r}, "
                "whose population count is 0"
            )
    return Margin(column, levels, counts, coded)


def combine(codes: Sequence[IntArray], sizes: Sequence[int]) -> tuple[IntArray, IntArray]:
    """Number the occupied combinations of several coded columns (the weighting cells).

    Returns each respondent's cell and one representative respondent per cell, so that a
    cell's level in any column is ``column_codes[representative]``.
    """
    n = codes[0].size
    cell = np.zeros(n, dtype=np.intp)
    size = 1
    for column_codes, k in zip(codes, sizes, strict=True):
        cell = cell * k + column_codes
        size *= k
        if size > 4 * n + 1024:  # keep the numbering dense and far from overflow
            uniques, cell = np.unique(cell, return_inverse=True)
            size = uniques.size
    occupied = np.bincount(cell, minlength=size) > 0
    renumber = np.cumsum(occupied) - 1
    cell = renumber[cell]
    representative = np.empty(int(occupied.sum()), dtype=np.intp)
    representative[cell] = np.arange(n)
    return cell, representative
