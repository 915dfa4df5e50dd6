"""What every response carries for the browser's protection, and how long staff stay logged in.

The headers are set once here rather than per view, so a new page is protected without
anyone remembering to. The Content-Security-Policy allows nothing inline (no ``<script>``,
no ``<style>``, no ``style=`` attribute): styles live in ``static/``. ``/api/`` answers are
left to the API, which knows what its documentation page needs.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, Response, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, logout_user

#: Our own pages may frame each other (the builder previews the questionnaire in an
#: iframe), nobody else may frame them (clickjacking).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # answer and login links carry their token in the path: never tell another site
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
    "Permissions-Policy": (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
}
#: Session key holding when a staff user logged in (seconds since the epoch, UTC).
STAFF_SINCE = "staff_since"


def init_app(app: Flask) -> None:
    configure_cookies(app)
    app.after_request(add_security_headers)
    app.before_request(expire_staff_session)


def configure_cookies(app: Flask) -> None:
    """Cookies only over HTTPS unless told otherwise, or when HTTPS cannot be there.

    ``SESSION_COOKIE_SECURE`` from the environment (or the app's config mapping) wins;
    otherwise it is on, except when debugging or testing or when ``BASE_URL`` is plain
    ``http://`` (the development default), where a Secure cookie would never come back.
    """
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        insecure = app.debug or app.testing or app.config["BASE_URL"].startswith("http://")
        app.config["SESSION_COOKIE_SECURE"] = not insecure
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")


def add_security_headers(response: Response) -> Response:
    if request.path.startswith("/api/"):
        return response
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint != "static":
        # pages show personal data and answers: no copy in a shared or back-button cache
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def staff_logged_in() -> None:
    """Start the clock of a staff session; call right after ``login_user``."""
    session.permanent = True
    session[STAFF_SINCE] = int(datetime.now(UTC).timestamp())


def expire_staff_session() -> ResponseReturnValue | None:
    """Log staff out ``PERMANENT_SESSION_LIFETIME`` after they logged in, active or not.

    Flask's own expiry renews the cookie on every request, so a session in daily use
    would never end; a stolen or forgotten staff session must.
    """
    from flask import current_app

    from panel.staff.models import StaffUser

    if request.endpoint == "static" or not isinstance(current_user, StaffUser):
        return None
    since = session.get(STAFF_SINCE)
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    now = datetime.now(UTC).timestamp()
    if isinstance(since, int) and now - since < lifetime:
        return None
    logout_user()
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    flash(_("Your session has expired. Please log in again."))
    return redirect(url_for("auth.staff_login", next=request.full_path.rstrip("?")))
