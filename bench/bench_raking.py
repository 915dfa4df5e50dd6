"""Rake 1,000,000 respondents on four margins (6 x 2 x 19 x 4 levels) to 1e-8.

Margins are age band, gender, municipality and education of Region Midtjylland, with the
demo population as targets; respondents are drawn with a response propensity that leans
older, female, towards Aarhus and the long-educated, so raking has work to do. Every library
is asked for margins within 1e-8; "converged" and "misfit" below are measured here, the
same way for all: the largest |weighted share / target share - 1| over all margin levels.

The data come in two forms, and each library gets the very same object:
- *categorical columns*: a pandas DataFrame of categoricals (codes exist already);
- *text columns* (issue 17): the municipality by its name (up to 17 characters,
  "Ringkøbing-Skjern") and the other columns by their text codes, as a region's file has
  them: a pandas DataFrame read from a CSV file by ``pandas.read_csv`` (its text
  columns). Ours is also timed on the same text as numpy string arrays (``<U17``).
Where a peer is named, "peer/ours" divides its time by ours on the same object in the
same run. Peer libraries are optional (bench-only): ``.venv/bin/pip install -e '.[bench]'``.
``ipfn`` takes some 17 s a raking, so it runs on the categorical columns only. ``balance``
pins numpy < 2 and cannot be installed next to this project. Run with
``.venv/bin/python -m bench.bench_raking``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from panel.demo import synthetic_population
from panel.demographics.attributes import MIDTJYLLAND_MUNICIPALITIES
from stats.weighting import rake

RESPONDENTS = 1_000_000
TOL = 1e-8
REPEAT = 3
MARGINS = ("age", "gender", "municipality", "education")

Targets = dict[str, dict[str, float]]
Raker = Callable[[Any, Targets], np.ndarray]


def margin_targets() -> Targets:
    targets: Targets = {name: {} for name in MARGINS}
    for cell, count in synthetic_population().items():
        for name, level in zip(MARGINS, cell, strict=True):
            targets[name][level] = targets[name].get(level, 0) + count
    return targets


def respondents(seed: int = 7) -> Any:
    """A DataFrame of categorical columns drawn with unequal response."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    cells = list(synthetic_population().items())
    counts = np.array([count for _, count in cells], dtype=np.float64)
    bands = sorted({band for (band, _, _, _), _ in cells})
    lean = np.array(
        [
            (1 + 0.15 * bands.index(band))
            * (1.2 if gender == "f" else 0.85)
            * (1.8 if municipality == "751" else 1)
            * (1.6 if education == "long" else 1)
            for (band, gender, municipality, education), _ in cells
        ]
    )
    lean = lean * rng.uniform(0.7, 1.3, lean.size)
    drawn = rng.choice(len(cells), RESPONDENTS, p=counts * lean / (counts * lean).sum())
    return pd.DataFrame(
        {
            name: pd.Categorical(np.array([cell[j] for cell, _ in cells])[drawn])
            for j, name in enumerate(MARGINS)
        }
    )


def ours(frame: Any, targets: Targets) -> np.ndarray:
    return rake(frame, targets, tol=TOL, max_iter=1000).weights


def weightipy(frame: Any, targets: Targets) -> np.ndarray:
    import weightipy as wp

    shares = {
        name: {level: 100 * count / sum(table.values()) for level, count in table.items()}
        for name, table in targets.items()
    }
    # convcrit is the relative improvement per pass below which it stops: ask for little.
    scheme = wp.scheme_from_dict(shares, rim_params={"convcrit": 1e-12, "max_iterations": 1000})
    return wp.weight(frame, scheme).to_numpy()


def ipfn(frame: Any, targets: Targets) -> np.ndarray:
    import pandas as pd
    from ipfn import ipfn as ipfn_module

    table = frame.copy()
    table["total"] = 1.0
    aggregates = [pd.Series(targets[name]).rename_axis(name) for name in MARGINS]
    fitted = ipfn_module.ipfn(
        table,
        aggregates,
        [[name] for name in MARGINS],
        convergence_rate=TOL,
        max_iteration=1000,
        rate_tolerance=0.0,
    ).iteration()
    return fitted["total"].to_numpy()


def as_text(frame: Any, targets: Targets) -> tuple[Any, Targets]:
    """The same respondents with the municipality by name, read back from a CSV file."""
    import pandas as pd

    names = dict(MIDTJYLLAND_MUNICIPALITIES)
    written = frame.assign(municipality=frame["municipality"].cat.rename_categories(names))
    text = pd.read_csv(io.StringIO(written.to_csv(index=False)), dtype=str)
    named = dict(targets, municipality={names[k]: v for k, v in targets["municipality"].items()})
    return text, named


def misfit(frame: Any, weights: np.ndarray, targets: Targets) -> float:
    worst = 0.0
    for name, table in targets.items():
        column = frame[name].astype("category")
        codes = column.cat.codes.to_numpy()
        levels = list(column.cat.categories)
        sums = np.bincount(codes, weights=weights, minlength=len(levels))
        share = sums / sums.sum()
        total = sum(table.values())
        wanted = np.array([table[level] / total for level in levels])
        worst = max(worst, float(np.abs(share / wanted - 1).max()))
    return worst


def best_of(raker: Raker, frame: Any, targets: Targets) -> tuple[float, np.ndarray]:
    best, weights = float("inf"), np.empty(0)
    for _ in range(REPEAT):
        start = time.perf_counter()
        weights = np.asarray(raker(frame, targets), dtype=np.float64)
        best = min(best, time.perf_counter() - start)
    return best, weights


def compare(title: str, frame: Any, targets: Targets, contenders: list[tuple[str, Raker]]) -> None:
    """Time each contender on ``frame``; the first is ours, which the peers are divided by."""
    print(f"\n{title}")
    header = f"{'library':<18} {'time':>10} {'peer/ours':>10} {'misfit':>10}  converged"
    print(header)
    print("-" * len(header))
    our_time = 0.0
    for name, raker in contenders:
        try:
            seconds, weights = best_of(raker, frame, targets)
        except ImportError as error:
            print(f"{name:<18} not installed ({error.name})")
            continue
        except Exception as error:  # a peer that breaks is reported, not fatal
            print(f"{name:<18} failed: {type(error).__name__}: {error}")
            continue
        our_time = our_time or seconds
        ratio = "" if name.startswith("ours") else f"{seconds / our_time:.1f}x"
        gap = misfit(frame, weights, targets)
        print(
            f"{name:<18} {seconds * 1000:>8.1f}ms {ratio:>10} {gap:>10.1e}  "
            f"{'yes' if gap <= TOL else 'no'}"
        )


def main() -> None:
    try:
        frame = respondents()
    except ImportError:
        print("pandas is needed for this benchmark: .venv/bin/pip install pandas")
        return
    targets = margin_targets()
    print(f"Raking {RESPONDENTS:,} respondents on {', '.join(MARGINS)} ", end="")
    print(f"({' x '.join(str(len(targets[m])) for m in MARGINS)} levels) to {TOL:g}")
    print(f"best of {REPEAT}; misfit = largest |weighted share / target share - 1|")

    codes = {name: frame[name].to_numpy(dtype=str) for name in MARGINS}
    compare(
        "Categorical columns (a DataFrame of pandas categoricals)",
        frame,
        targets,
        [
            ("ours", ours),
            ("ours, numpy str", lambda _frame, targets: ours(codes, targets)),
            ("weightipy", weightipy),
            ("ipfn", ipfn),
        ],
    )
    text, named = as_text(frame, targets)
    arrays = {name: text[name].to_numpy(dtype=str) for name in MARGINS}
    width = max(len(name) for name in named["municipality"])
    compare(
        f"Text columns (municipality names up to {width} characters; "
        "a DataFrame from pandas.read_csv)",
        text,
        named,
        [
            ("ours", ours),
            ("ours, numpy str", lambda _frame, targets: ours(arrays, targets)),
            ("weightipy", weightipy),
        ],
    )


if __name__ == "__main__":
    main()
