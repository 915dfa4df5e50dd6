"""What the browser is told to protect users: security headers, cookie flags, session expiry."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import create_app
from panel.staff.models import Role
from security import STAFF_SINCE
from tests.helpers import login_staff

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_pages_carry_a_content_security_policy_without_inline_code(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    # the builder's preview frames our own pages; no other site may frame them
    assert "frame-ancestors 'self'" in policy


def test_pages_carry_the_other_protective_headers(client):
    headers = client.get("/join").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    # answer and login links carry tokens in the path: they must not leak to other sites
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["Cache-Control"] == "no-store"


def test_answer_links_are_not_leaked_in_a_referrer(client):
    assert client.get("/a/some-token").headers["Referrer-Policy"] == "same-origin"


def test_no_template_has_inline_script_or_style():
    """The policy would block them in the browser: styles belong in static/."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", text):
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []


def test_the_session_cookie_is_httponly_and_samesite(client):
    login_staff(client, Role.STAFF)
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"


@pytest.mark.parametrize(
    ("config", "secure"),
    [
        ({"BASE_URL": "https://panel.region.dk"}, True),
        ({"BASE_URL": "http://127.0.0.1:5000"}, False),
        ({"BASE_URL": "https://panel.region.dk", "TESTING": True}, False),
        ({"BASE_URL": "https://panel.region.dk", "SESSION_COOKIE_SECURE": False}, False),
        ({"BASE_URL": "http://127.0.0.1:5000", "SESSION_COOKIE_SECURE": True}, True),
    ],
)
def test_cookies_are_secure_in_production_unless_configured_otherwise(database_url, config, secure):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "k", **config})
    assert app.config["SESSION_COOKIE_SECURE"] is secure
    assert app.config["REMEMBER_COOKIE_SECURE"] is secure


def test_a_secure_session_cookie_is_sent_with_the_secure_flag(database_url):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "BASE_URL": "https://panel.region.dk",
            "SECRET_KEY": "k",
        }
    )
    response = app.test_client().get("/language/en", base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]


def test_a_staff_session_ends_eight_hours_after_login_however_active(client):
    login_staff(client, Role.STAFF)
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        logged_in = datetime.now(UTC) - timedelta(hours=8, minutes=1)
        session[STAFF_SINCE] = int(logged_in.timestamp())
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login")
    assert client.get("/staff/").headers["Location"].startswith("/staff/login")


def test_a_staff_session_within_eight_hours_goes_on(client):
    login_staff(client, Role.STAFF)
    with client.session_transaction() as session:
        logged_in = datetime.now(UTC) - timedelta(hours=7, minutes=59)
        session[STAFF_SINCE] = int(logged_in.timestamp())
    assert client.get("/staff/").status_code == 200
