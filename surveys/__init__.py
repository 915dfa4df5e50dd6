"""Questionnaires, waves, answering and results, one sub-package each.

Each sub-package has the same files where it needs them: ``models`` (tables), ``forms``,
``views`` (routes, thin), ``operations`` (the work, in plain functions) and files named
for what they do (``waves/sampling.py``, ``results/weighting.py``). The arithmetic lives
in ``stats``, which knows nothing of Flask or the database.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from surveys import answering, member_data, publishing, questionnaires, results, waves
    from surveys.demo.cli import register_commands

    for area in (questionnaires, waves, answering, results, publishing):
        area.init_app(app)
    member_data.connect_signals()
    register_commands(app)
