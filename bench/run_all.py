"""Run every benchmark in turn: ``make bench`` (figures go to stdout; copy them to RESULTS.md)."""

from __future__ import annotations

import importlib

BENCHMARKS = (
    "bench.bench_panel",
    "bench.bench_sampling",
    "bench.bench_waves",
    "bench.bench_raking",
    "bench.bench_answering",
    "bench.bench_load",
    "bench.bench_results",
    "bench.bench_lottery",
    "bench.bench_demo",
)


def main() -> None:
    for name in BENCHMARKS:
        print(f"\n===== {name} =====", flush=True)
        importlib.import_module(name).main()


if __name__ == "__main__":
    main()
