"""What every area shares: time, the job registry and runner, errors, the audit trail.

Nothing here knows about members or surveys; ``panel``, ``surveys`` and ``api`` build on it.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from core import audit, jobs, scheduler  # noqa: F401  (their tables)
    from core.cli import register_commands
    from core.health import bp as health
    from core.input_checks import RowIdConverter, reject_nul_characters

    app.url_map.converters["int"] = RowIdConverter  # before any blueprint adds a rule
    app.before_request(reject_nul_characters)
    app.register_blueprint(health)
    register_commands(app)
    if app.config.get("SCHEDULER_ENABLED"):
        # started by the first request, so only processes that serve requests (web
        # workers, after any fork) run it, never `flask db upgrade` and the like
        @app.before_request
        def start_scheduler() -> None:
            scheduler.start_in_background(app)
