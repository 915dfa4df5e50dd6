"""Fixtures: ``app``, ``client``, ``runner``, a clean database per test, login helpers.

The suite runs on SQLite by default and on PostgreSQL when ``TEST_DATABASE_URL`` is set
(``.ci/run`` does both). The schema is built once per run by the Alembic migrations,
exactly as ``flask --app app db upgrade`` builds it, and every table is emptied after
each test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from app import create_app, normalise_database_url
from extensions import db

_DB_URL_ENV = "TEST_DATABASE_URL"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser and fault tests start browsers, servers and processes: slow, like those marked."""
    for item in items:
        if item.get_closest_marker("browser") or item.get_closest_marker("faults"):
            item.add_marker(pytest.mark.slow)


def _database_url(tmp_root: str) -> str:
    url = os.environ.get(_DB_URL_ENV)
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{os.path.join(tmp_root, 'test.sqlite')}"


def _reset_database(url: str) -> None:
    """Start every run from an empty database, whatever an earlier run left behind."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if os.path.exists(path):
            os.remove(path)
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = _database_url(str(tmp_path_factory.mktemp("db")))
    _reset_database(url)
    migrating = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with migrating.app_context():
        upgrade()
        db.engine.dispose()
    return url


def make_config(database_url: str, tmp_path: Any, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_BACKEND": "file",
        "MAIL_FILE_DIR": str(tmp_path / "outbox"),
        "BASE_URL": "http://localhost",
        "SERVER_NAME": None,
        # logins are tested, not the hash's strength: argon2's cheapest parameters
        "ARGON2_PROFILE": "CHEAPEST",
    }
    config.update(overrides)
    return config


@pytest.fixture
def app_config(database_url: str, tmp_path: Any) -> dict[str, Any]:
    """Override entries in a test with ``@pytest.mark.parametrize`` or by a local fixture."""
    return make_config(database_url, tmp_path)


class RequestScopedClient(FlaskClient):
    """Each request gets an app context of its own, as in production.

    Without this, every request of a test would share the test's app context, and so
    ``g`` (Flask-Babel's chosen language, per-request flags) and the database session;
    the request's own session commits, and the test's session then reads afresh.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()  # the test reads what the request committed, not its cache
        return response


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(app_config)
    app.test_client_class = RequestScopedClient
    with app.app_context():
        yield app
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def english(app: Flask) -> Iterator[None]:
    """Messages built in Python (gettext outside a request) in English, as tests assert them."""
    with force_locale("en"):
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served over real HTTP on a free loopback port, for the browser tests."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright; skips where it is not installed."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
