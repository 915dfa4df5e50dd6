"""Configuration read from the environment, with safe defaults for development.

Every setting can be overridden by an environment variable of the same name; tests pass a
mapping to ``create_app`` instead.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import ClassVar


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


#: The key used when ``SECRET_KEY`` is not set; anyone can read it here, so it signs nothing
#: outside debugging and tests (``app.check_secret_key`` refuses to start with it).
DEVELOPMENT_SIGNING_KEY = "dev-only-not-secret"


class Config:
    """Defaults for development: SQLite in the instance folder, mail written to files."""

    #: Signs sessions, CSRF tokens, answer and unsubscribe links; must be set outside
    #: debugging and tests, or the app refuses to start.
    SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SIGNING_KEY)
    #: ``None`` means SQLite in the instance folder (resolved by the factory).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, object]] = {"pool_pre_ping": True}

    #: Public base URL used in e-mailed links (no trailing slash).
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    #: ``file`` writes each message as .eml into ``instance/outbox``; ``smtp`` sends it.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "file")
    #: Folder of the file backend; ``None`` means ``instance/outbox``.
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Borgerpanel <borgerpanel@example.org>")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))
    #: Try to deliver right after a message is queued; the outbox retries what fails.
    MAIL_DELIVER_ON_QUEUE = _bool("MAIL_DELIVER_ON_QUEUE", True)

    BABEL_DEFAULT_LOCALE = "da"
    BABEL_DEFAULT_TIMEZONE = "Europe/Copenhagen"
    LANGUAGES = ("da", "en")

    #: The reverse proxies whose ``X-Forwarded-For``/``-Proto`` are believed (comma-separated
    #: addresses or networks, ``*`` for any), as gunicorn's setting of the same name; a
    #: request from anyone else keeps its own address, whatever headers it sends.
    FORWARDED_ALLOW_IPS = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
    #: Flask-Limiter storage; use ``redis://...`` when several workers serve the app.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    #: Limits per client address on the public forms that send mail.
    JOIN_RATE_LIMIT = os.environ.get("JOIN_RATE_LIMIT", "5 per minute;30 per hour")
    LOGIN_LINK_RATE_LIMIT = os.environ.get("LOGIN_LINK_RATE_LIMIT", "5 per minute;30 per hour")
    #: Responses one client address may start through a questionnaire's public link.
    PUBLIC_START_RATE_LIMIT = os.environ.get("PUBLIC_START_RATE_LIMIT", "10 per minute;60 per hour")
    #: argon2-cffi profile for staff passwords (``argon2.profiles``); the tests use ``CHEAPEST``.
    ARGON2_PROFILE = "RFC_9106_LOW_MEMORY"

    #: Failed staff logins (password or two-factor code), per client address and per account.
    STAFF_LOGIN_RATE_LIMIT = os.environ.get("STAFF_LOGIN_RATE_LIMIT", "10 per 15 minutes")

    #: How long a one-time login or confirmation link works.
    LOGIN_LINK_MAX_AGE = timedelta(minutes=int(os.environ.get("LOGIN_LINK_MINUTES", "30")))
    CONFIRM_LINK_MAX_AGE = timedelta(days=int(os.environ.get("CONFIRM_LINK_DAYS", "7")))
    #: Consent lapses after this many years unless renewed (Danish municipal panels use 5).
    CONSENT_YEARS = int(os.environ.get("CONSENT_YEARS", "5"))
    #: Members are asked to check their profile this often.
    PROFILE_CHECK_DAYS = int(os.environ.get("PROFILE_CHECK_DAYS", "365"))

    #: Sent mail is deleted this many days after it was sent (the retention job).
    MAIL_RETENTION_DAYS = int(os.environ.get("MAIL_RETENTION_DAYS", "90"))
    #: Members who left the panel are deleted this many days after leaving (the retention
    #: job); their answers stay, anonymous.
    LEFT_MEMBER_RETENTION_DAYS = int(os.environ.get("LEFT_MEMBER_RETENTION_DAYS", "30"))
    #: Sign-ups never confirmed by mail are deleted this many days after joining.
    UNCONFIRMED_RETENTION_DAYS = int(os.environ.get("UNCONFIRMED_RETENTION_DAYS", "30"))
    #: A consent lapsed (not renewed) this many days ago counts as leaving the panel.
    CONSENT_GRACE_DAYS = int(os.environ.get("CONSENT_GRACE_DAYS", "90"))

    #: Run the scheduler inside web workers too (one runs jobs at a time, by a database
    #: lock); off by default: run ``flask --app app scheduler`` in a process of its own.
    SCHEDULER_ENABLED = _bool("SCHEDULER_ENABLED", False)
    #: The zone of daily job times ("08:00" is Copenhagen time, summer and winter).
    SCHEDULER_TIMEZONE = os.environ.get("SCHEDULER_TIMEZONE", "Europe/Copenhagen")
    #: How often the scheduler looks for due jobs.
    SCHEDULER_TICK_SECONDS = float(os.environ.get("SCHEDULER_TICK_SECONDS", "60"))
    #: A crashed runner's lock (SQLite) is free after this; renewed every third of it.
    SCHEDULER_LOCK_LEASE_SECONDS = float(os.environ.get("SCHEDULER_LOCK_LEASE_SECONDS", "60"))
    #: How often a standby scheduler tries to take over the runner lock.
    SCHEDULER_STANDBY_SECONDS = float(os.environ.get("SCHEDULER_STANDBY_SECONDS", "30"))

    #: Results never show a group (a breakdown cell, a chart bar, an export row) with fewer
    #: answers than this; see ``stats.suppression.suppressed``.
    RESULTS_MIN_GROUP = int(os.environ.get("RESULTS_MIN_GROUP", "10"))
    #: A share's 95 % interval: "logit" (R's svyciprop default) or "beta" (Korn-Graubard);
    #: see ``stats.intervals``.
    RESULTS_SHARE_INTERVAL = os.environ.get("RESULTS_SHARE_INTERVAL", "logit")

    #: A member selected for this many focus groups or task committees within
    #: GROUP_CAP_YEARS years is not invited to, or drawn for, another.
    GROUP_DRAW_CAP = int(os.environ.get("GROUP_DRAW_CAP", "1"))
    GROUP_CAP_YEARS = int(os.environ.get("GROUP_CAP_YEARS", "4"))
    #: LEXIMIN's time budget for a group's draw, in seconds (MAXIMIN always finishes).
    GROUP_LOTTERY_SECONDS = float(os.environ.get("GROUP_LOTTERY_SECONDS", "20"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: ``None``: on, unless debugging, testing or ``BASE_URL`` is http:// (see security.py).
    SESSION_COOKIE_SECURE = (
        _bool("SESSION_COOKIE_SECURE", False) if "SESSION_COOKIE_SECURE" in os.environ else None
    )
    #: Staff are logged out this long after logging in, however active (security.py).
    PERMANENT_SESSION_LIFETIME = timedelta(hours=int(os.environ.get("STAFF_SESSION_HOURS", "8")))
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead, so a slow reader is not punished
    #: Larger requests get a 413 page; member imports of 100k rows fit comfortably.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "64")) * 1024 * 1024
