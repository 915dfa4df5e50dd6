"""The idea bank: citizens' ideas, moderated, public, each with an official answer."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from initiatives.ideas.views import bp, staff_bp

    app.register_blueprint(bp)
    app.register_blueprint(staff_bp)
