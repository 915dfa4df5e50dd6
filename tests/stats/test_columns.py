"""Text columns are coded exactly: raking on names gives the weights raking on codes gives.

Staff bring respondents' attributes as text (a municipality's name, a label in another
script, a file read with pandas); whatever the form, two different texts must never share
a weight, and the same text must never be split.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import stats.columns
from panel.demographics.attributes import MIDTJYLLAND_MUNICIPALITIES
from stats.columns import factorize
from stats.weighting import rake

NAMES = dict(MIDTJYLLAND_MUNICIPALITIES)


def respondents(n: int = 3000, seed: int = 5) -> dict[str, np.ndarray]:
    """Municipality codes and a gender drawn unevenly, so raking moves the weights."""
    rng = np.random.default_rng(seed)
    codes = np.array(list(NAMES))
    lean = np.linspace(1, 3, codes.size)
    return {
        "municipality": codes[rng.choice(codes.size, n, p=lean / lean.sum())],
        "gender": np.where(rng.random(n) < 0.6, "f", "m"),
    }


def targets(names: dict[str, str] | None = None) -> dict[str, dict[str, float]]:
    rename = names or {code: code for code in NAMES}
    return {
        "municipality": {rename[code]: 100 + 10 * i for i, code in enumerate(NAMES)},
        "gender": {"f": 1805, "m": 1805},  # the municipalities add up to 3,610
    }


def renamed(data: dict[str, np.ndarray], names: dict[str, str]) -> dict[str, np.ndarray]:
    return dict(data, municipality=np.array([names[c] for c in data["municipality"]]))


def decoded(values: object) -> list[object]:
    levels, codes = factorize(values)
    return [levels[c] for c in codes.tolist()]


@pytest.mark.parametrize(
    "names",
    [
        NAMES,  # up to 17 Latin-1 characters: "Ringkøbing-Skjern"
        {code: f"{name} Kommune, Region Midtjylland" for code, name in NAMES.items()},
        {code: f"Δήμος {name}" for code, name in NAMES.items()},  # beyond Latin-1
        {code: f"{name} 🏠" for code, name in NAMES.items()},  # beyond 16 bits
    ],
    ids=["names", "long", "greek", "emoji"],
)
def test_raking_on_names_gives_the_weights_of_raking_on_codes(names):
    data = respondents()
    by_code = rake(data, targets()).weights
    by_name = rake(renamed(data, names), targets(names)).weights
    assert by_name == pytest.approx(by_code, rel=1e-12)


def test_a_data_frame_read_from_a_file_rakes_like_numpy_text():
    data = renamed(respondents(), NAMES)
    read = pd.read_csv(io.StringIO(pd.DataFrame(data).to_csv(index=False)), dtype=str)
    assert rake(read, targets(NAMES)).weights == pytest.approx(
        rake(data, targets(NAMES)).weights, rel=1e-12
    )


def test_texts_that_share_a_prefix_or_differ_in_the_last_character_stay_apart():
    texts = ["Aarhus", "Aarhus Ø", "Aarhus N", "Aarhus C", "Aarhus", "Aarhus C."] * 50
    assert decoded(np.array(texts)) == texts
    assert decoded(np.array(texts, dtype=object)) == texts
    copies = np.array(["".join(text) for text in texts], dtype=object)  # a string per row
    assert decoded(copies) == texts
    assert sorted(factorize(copies)[0]) == sorted(set(texts))  # one level per text


def test_two_texts_the_hash_cannot_tell_apart_are_still_two_levels(monkeypatch):
    # every text hashes alike: the check against each code's row must catch it
    monkeypatch.setattr(stats.columns, "_MULTIPLIERS", np.zeros(4, dtype=np.uint64))
    texts = [NAMES[code] for code in respondents(500)["municipality"]]
    assert decoded(np.array(texts)) == texts


def test_thousands_of_distinct_objects_code_as_their_values():
    # each row its own string object (as from a database driver), with repeats by value
    values = np.array([f"member-{i % 2500}" for i in range(10_000)], dtype=object)
    assert decoded(values) == values.tolist()
    levels, _ = factorize(values)
    assert len(levels) == 2500


@pytest.mark.parametrize("distinct", [2, 5000], ids=["shared objects", "own objects"])
def test_a_respondent_without_a_value_is_named_none_in_the_refusal(distinct):
    # with 5,000 levels nearly every row holds its own string: the other way of coding
    levels = [f"level {i}" for i in range(distinct)]
    values = [None, *(levels * 2), None, float("nan")]
    with pytest.raises(ValueError, match="level None, which has no population target"):
        rake({"group": values}, {"group": dict.fromkeys(levels, 10)})
