"""Questionnaires: design, versions, question types, conditions, JSON and XLSForm."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from surveys.questionnaires.exchange_views import bp as exchange
    from surveys.questionnaires.views import bp as questionnaires

    for blueprint in (questionnaires, exchange):
        app.register_blueprint(blueprint)
