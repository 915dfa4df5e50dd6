"""The one notion of "now" in Borgerpanel.

Times are stored as naive UTC in the database, the same on SQLite and PostgreSQL; every
"now" comes from here so that a scheduler tick or a test can state the time explicitly
instead of patching the system clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """The current time as naive UTC, the form stored in every DateTime column."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    return utcnow().date()


def iso(moment: datetime | date | None) -> str | None:
    """A moment as ISO 8601 text for JSON, None kept as None."""
    return moment.isoformat() if moment is not None else None
