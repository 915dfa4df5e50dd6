"""Questionnaires, waves, answering, scheduling, weighting and results."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from surveys import models  # noqa: F401  (registers the tables with the metadata)
