"""Giving results back: publishing a closed wave, mailing those who answered, quotes."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from surveys.publishing.views import bp

    app.register_blueprint(bp)
