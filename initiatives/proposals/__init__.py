"""Citizen proposals: written by a main proposer with co-proposers, screened by staff,
supported by citizens (each verified person once), treated by the council and answered."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from initiatives.proposals import jobs
    from initiatives.proposals import models as proposal_models  # noqa: F401  (tables)
    from initiatives.proposals.scheme import configure
    from initiatives.proposals.staff_views import bp as staff
    from initiatives.proposals.views import bp as public

    configure(app)
    app.register_blueprint(public)
    app.register_blueprint(staff)
    jobs.register_jobs()
