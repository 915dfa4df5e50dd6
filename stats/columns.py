"""Turning respondents' columns into integer codes, once, so that weighting is pure numpy.

Every later step (raking passes, cell sums, variance residuals) is a ``np.bincount`` over
these codes, so the encoding is where bad input is caught and reported by column and level.
"""

from __future__ import annotations

import ctypes
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
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
    sorting. Pandas categoricals bring their own codes, small-range integers use a lookup
    table, text is packed into 64-bit words and hashed (pandas' hash table on integers),
    and Python objects are first told apart by identity. Only what none of these fits
    (floats, say) is sorted.
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
    if array.dtype.kind == "U" and array.size:
        return _factorize_text(array)
    if array.dtype.kind == "O":
        return _factorize_objects(array)
    uniques = np.unique(array)
    return uniques.tolist(), np.searchsorted(uniques, array).astype(np.intp)


#: Odd 64-bit multipliers that spread a string's words over a 64-bit hash.
_MULTIPLIERS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93],
    dtype=np.uint64,
)


def _factorize_text(array: NDArray[np.str_]) -> tuple[list[Any], IntArray]:
    """Fixed-width text (numpy's ``<U17``, say) by its characters packed into 64-bit words.

    Each string becomes as many words as it needs at the narrowest width that holds its
    characters (eight Latin-1 characters a word: "Ringkøbing-Skjern" is three), so equal
    strings have equal words; the words are hashed into one integer for pandas' hash table,
    and every row is then checked against a row of its code, so a hash collision can never
    merge two strings (it falls back to sorting, which is exact and slow).
    """
    n = array.size
    chars = np.ascontiguousarray(array).view(np.uint32).reshape(n, -1)
    top = int(chars.max()) if chars.size else 0
    narrow = np.uint8 if top <= 0xFF else np.uint16 if top <= 0xFFFF else np.uint32
    per_word = 8 // np.dtype(narrow).itemsize
    width = -(-chars.shape[1] // per_word) * per_word
    packed = np.zeros((n, max(width, per_word)), dtype=narrow)
    packed[:, : chars.shape[1]] = chars
    words = packed.view(np.uint64)
    if words.shape[1] == 1:
        keys = words[:, 0]
    else:
        keys = words[:, 0] * _MULTIPLIERS[0]
        for j in range(1, words.shape[1]):
            keys += words[:, j] * _MULTIPLIERS[j % _MULTIPLIERS.size]
    codes, rows = _hash_codes(keys)
    if words.shape[1] > 1 and not (words[rows][codes] == words).all():
        uniques = np.unique(array)  # two different strings hashed alike: sort instead
        return uniques.tolist(), np.searchsorted(uniques, array).astype(np.intp)
    return array[rows].tolist(), codes


def _factorize_objects(array: NDArray[np.object_]) -> tuple[list[Any], IntArray]:
    """Python objects (pandas' text columns, None among strings) compared as Python does.

    Rows that hold the very same object are equal without a comparison, and columns of
    labels mostly share a few objects (pandas' CSV reader keeps one string per distinct
    value), so rows are first grouped by the object's address, an integer; only the few
    distinct objects are then compared, through a dict. Where nearly every row holds its
    own object, pandas' hash table on the values does the whole job.
    """
    n = array.size
    if not n:
        return [], np.zeros(0, dtype=np.intp)
    addresses = _addresses(array)
    few = max(1024, n // 64)
    sample = addresses[:: max(1, n // 4096)]  # hashing a million addresses is no saving
    if np.unique(sample).size <= 1024:
        identity_codes, rows = _hash_codes(addresses)
        if rows.size <= few:
            index: dict[Any, int] = {}
            merged = np.fromiter(
                (index.setdefault(v, len(index)) for v in array[rows]), np.intp, rows.size
            )
            return list(index), merged[identity_codes]
    codes, uniques = pd.factorize(array, use_na_sentinel=False)
    # pandas reads None and NaN both as missing and keeps NaN: say None, as the dict does
    labels = [None if pd.api.types.is_scalar(v) and pd.isna(v) else v for v in uniques.tolist()]
    return labels, codes.astype(np.intp, copy=False)


def _addresses(array: NDArray[np.object_]) -> NDArray[np.uintp]:
    """Each row's object address (what ``id()`` gives), read from the array's pointers
    without a Python call per row; a copy, so it does not outlive the array's memory."""
    contiguous = np.ascontiguousarray(array)
    pointers = ctypes.cast(contiguous.ctypes.data, ctypes.POINTER(ctypes.c_size_t))
    return np.ctypeslib.as_array(pointers, shape=(contiguous.size,)).copy()


def _hash_codes(keys: NDArray[np.unsignedinteger[Any]]) -> tuple[IntArray, IntArray]:
    """Codes of equal integers (pandas' hash table) and one row of each code."""
    codes, uniques = pd.factorize(keys)
    row = np.empty(uniques.size, dtype=np.intp)
    row[codes] = np.arange(codes.size)
    return codes.astype(np.intp, copy=False), row


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
    per_value = np.bincount(codes, minlength=len(uniques))  # unused categories are no level
    lookup = np.zeros(len(uniques), dtype=np.intp)
    for i, value in enumerate(uniques):
        if not per_value[i]:
            continue
        found = position.get(value)
        if found is None:
            raise ValueError(
                f"column {column!r}: respondents have level {value!r}, "
                "which has no population target"
            )
        lookup[i] = found
    same = len(uniques) == len(levels) and bool((lookup == np.arange(len(levels))).all())
    coded = codes if same else lookup[codes]
    answered = np.bincount(lookup, weights=per_value, minlength=len(levels)).astype(np.intp)
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
