"""Weighting respondents to the population, and estimates that account for the weighting.

``rake`` and ``poststratify`` return a ``WeightingResult``: the weights in input order,
whether raking converged, Kish's design effect and effective sample size, and ``mean`` /
``proportions`` with standard errors and 95% intervals as R's ``survey`` package gives
them (tests/fixtures/weighting/make_fixtures.R computes the reference values).
"""

from surveys.weighting.fitting import poststratify, rake
from surveys.weighting.results import Estimate, WeightingResult

__all__ = ["Estimate", "WeightingResult", "poststratify", "rake"]
