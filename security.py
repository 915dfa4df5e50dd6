"""What every response carries for the browser's protection, and how long staff stay logged in.

The headers are set once here rather than per view, so a new page is protected without
anyone remembering to. The Content-Security-Policy allows nothing inline (no ``<script>``,
no ``<style>``, no ``style=`` attribute): styles live in ``static/``. ``/api/`` answers are
left to the API, which knows what its documentation page needs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

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
    app.extensions["proxy_trust"] = ProxyTrust(app.config["FORWARDED_ALLOW_IPS"])
    configure_cookies(app)
    app.after_request(add_security_headers)
    app.before_request(expire_staff_session)


class ProxyTrust:
    """Which immediate peers are the reverse proxies in ``FORWARDED_ALLOW_IPS``.

    Behind the proxy every request comes from the proxy's address, so without believing
    its ``X-Forwarded-For`` all citizens and staff share one rate-limit bucket and one
    failed-login counter (anyone could lock every staff member out). Believing the header
    from anyone would let each request pick its own address and escape the limits, so
    ``forwarded`` applies werkzeug's ``ProxyFix`` (one proxy deep) only to requests whose
    immediate peer is a trusted proxy.
    """

    def __init__(self, allowed: str) -> None:
        entries = [entry.strip() for entry in allowed.split(",") if entry.strip()]
        self.any = "*" in entries
        self.networks = list(_networks(entry for entry in entries if entry != "*"))

    def trusts(self, peer: str) -> bool:
        if self.any:
            return True
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def forwarded(self, wsgi_app: Any, environ: dict[str, Any], start_response: Any) -> Any:
        """Serve the request with ``wsgi_app``, from the client's address where we may."""
        if self.trusts(environ.get("REMOTE_ADDR", "")):
            return ProxyFix(wsgi_app, x_for=1, x_proto=1)(environ, start_response)
        return wsgi_app(environ, start_response)


def _networks(entries: Iterable[str]) -> Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    for entry in entries:
        try:
            yield ipaddress.ip_network(entry, strict=False)
        except ValueError as error:
            raise ValueError(f"FORWARDED_ALLOW_IPS: {entry!r} is not an address") from error


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
