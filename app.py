"""Borgerpanel: the application factory and entry point (``flask --app app ...``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from flask import Flask, has_request_context, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import TypeDecorator, event
from sqlalchemy.engine import Engine

from config import DEVELOPMENT_SIGNING_KEY, Config
from extensions import babel, csrf, db, limiter, login_manager, migrate

HERE = os.path.dirname(os.path.abspath(__file__))


class Borgerpanel(Flask):
    """Flask, taking the client's address from the trusted reverse proxy only
    (``security.ProxyTrust``, set up by ``register_security``)."""

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """A year for a static file asked for by its content's digest (``core.assets``)."""
        from core.assets import LONG_MAX_AGE

        if has_request_context() and request.args.get("v"):
            return LONG_MAX_AGE
        return super().get_send_file_max_age(filename)

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Any:
        trust = self.extensions.get("proxy_trust")
        plain = super().wsgi_app
        return (
            trust.forwarded(plain, environ, start_response)
            if trust
            else plain(environ, start_response)
        )


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides the environment-derived ``Config``."""
    app = Borgerpanel(
        __name__,
        template_folder=os.path.join(HERE, "templates"),
        static_folder=os.path.join(HERE, "static"),
    )
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        path = os.path.join(app.instance_path, "borgerpanel.sqlite")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    check_secret_key(app)
    register_extensions(app)
    register_security(app)
    register_template_context(app)
    register_blueprints(app)
    register_errorhandlers(app)
    return app


class InsecureConfig(RuntimeError):
    """The configuration would let anyone forge sessions or links; the app will not start."""


def check_secret_key(app: Flask) -> None:
    """Refuse the published development key (or none) outside debugging and tests.

    With it anyone can sign a session cookie as an admin, or an answer link for any
    invitation, so a server started without ``SECRET_KEY`` must not serve a single request.
    """
    key = app.config.get("SECRET_KEY")
    if app.debug or app.testing:
        return
    if not key or key == DEVELOPMENT_SIGNING_KEY:
        raise InsecureConfig(
            "SECRET_KEY is not set (or is the development default): set it to a long random "
            "value, e.g. python3 -c 'import secrets; print(secrets.token_hex(32))'"
        )


def normalise_database_url(url: str) -> str:
    """Accept the ``postgresql://`` URLs hosting platforms hand out; we use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite enforces foreign keys (and so ON DELETE) only when asked, per connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def select_locale() -> str:
    """The user's own setting first, then the browser's preference, then Danish."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    chosen = session.get("language")
    if chosen in languages:
        return str(chosen)
    if current_user and current_user.is_authenticated:
        own = getattr(current_user, "language", None)
        if own in languages:
            return str(own)
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def render_migration_type(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Write our column types as their plain SQL type, so migrations never import the app."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{type(obj.impl).__name__}()"
    return False


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(HERE, "migrations"),
        render_as_batch=True,  # SQLite can only change a table by copying it
        render_item=render_migration_type,
    )
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=os.path.join(HERE, "translations"),
    )
    login_manager.init_app(app)
    limiter.init_app(app)


def register_security(app: Flask) -> None:
    """Security headers on every response, cookie flags, staff session expiry."""
    import security

    security.init_app(app)


def register_template_context(app: Flask) -> None:
    from core.assets import asset_url
    from core.i18n import current_language, text_in

    app.add_template_global(text_in)
    app.add_template_global(asset_url)

    @app.context_processor
    def locale_context() -> dict[str, Any]:
        return {"current_locale": current_language}


def register_blueprints(app: Flask) -> None:
    """Each area registers its tables, blueprints, jobs and commands; core comes first."""
    import api
    import core
    import initiatives
    import panel
    import surveys

    core.init_app(app)
    panel.init_app(app)
    surveys.init_app(app)
    initiatives.init_app(app)
    api.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    def render_error(error: Any) -> tuple[str, int]:
        """One page for every error, worded by its code. A 400 tells an expired form (the
        CSRF check) from a request that could not be read (a NUL, ``core.input_checks``);
        a 413 names the limit only when the request as a whole passed ``MAX_CONTENT_LENGTH``
        (a multipart form's field over ``MAX_FORM_MEMORY_SIZE`` is refused well below it)."""
        code = getattr(error, "code", 500) or 500
        limit = app.config.get("MAX_CONTENT_LENGTH")
        over_limit = code == 413 and limit and (request.content_length or 0) > limit
        page = render_template(
            "errors/error.html",
            code=code,
            expired=isinstance(error, CSRFError),
            limit_mb=limit / 2**20 if over_limit else None,
        )
        return page, code

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)


if __name__ == "__main__":
    create_app().run()
