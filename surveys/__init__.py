"""Questionnaires, waves, answering, scheduling, weighting and results."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # the model modules register their tables with the metadata, views_builder_exchange
    # and views_wave_plans their routes with the builder and waves blueprints, views_results_*
    # theirs with the results blueprint
    from surveys import (  # noqa: F401
        jobs,
        models,
        results_models,
        results_publish_models,
        scheduler,
        views_builder_exchange,
        views_results_exports,
        views_results_publish,
        views_staff_answers,
        views_wave_plans,
        wave_jobs,
        wave_models,
    )
    from surveys.cli import register as register_commands
    from surveys.views_answer import bp as answer
    from surveys.views_builder import bp as builder
    from surveys.views_results import bp as results
    from surveys.views_waves import bp as waves

    register_commands(app)
    app.register_blueprint(builder)
    app.register_blueprint(waves)
    app.register_blueprint(answer)
    app.register_blueprint(results)
    if app.config.get("SCHEDULER_ENABLED"):
        # started by the first request, so only processes that serve requests (web
        # workers, after any fork) run it, never `flask db upgrade` and the like
        @app.before_request
        def start_scheduler() -> None:
            scheduler.start_in_background(app)
