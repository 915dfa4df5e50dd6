"""Waves: plans, stratified samples, invitations, reminders, and the job that runs them."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from surveys.waves import jobs
    from surveys.waves.plan_views import bp as plans
    from surveys.waves.views import bp as waves

    for blueprint in (waves, plans):
        app.register_blueprint(blueprint)
    jobs.register_jobs()
