"""Answering: citizens' personal and public links, and staff typing in paper answers."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from surveys.answering.entry_views import bp as entry
    from surveys.answering.frozen import FrozenQuestionnaires
    from surveys.answering.operations import count_responses
    from surveys.answering.views import bp as answering
    from surveys.answering.views import public_bp as public_answering
    from surveys.questionnaires.signals import responses_counted

    app.extensions["frozen_questionnaires"] = FrozenQuestionnaires()
    responses_counted.connect(count_responses, weak=False)  # connecting again changes nothing
    for blueprint in (answering, public_answering, entry):
        app.register_blueprint(blueprint)
