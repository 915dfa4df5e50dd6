"""People: members, attributes, consent, recruitment, staff accounts, mail and sampling."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from panel import audit  # noqa: F401  (registers the audit table)
    from panel.auth_views import bp as auth_bp
    from panel.health import bp as health_bp
    from panel.input_checks import reject_nul_characters
    from panel.staff_views import bp as staff_bp
    from panel.views import bp as panel_bp

    app.before_request(reject_nul_characters)
    app.register_blueprint(panel_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(health_bp)
