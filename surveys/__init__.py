"""Questionnaires, waves, answering, scheduling, weighting and results."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # the model modules register their tables with the metadata
    from surveys import jobs, models, scheduler  # noqa: F401
    from surveys.cli import register as register_commands

    register_commands(app)
    if app.config.get("SCHEDULER_ENABLED"):
        # started by the first request, so only processes that serve requests (web
        # workers, after any fork) run it, never `flask db upgrade` and the like
        @app.before_request
        def start_scheduler() -> None:
            scheduler.start_in_background(app)
