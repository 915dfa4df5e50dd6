"""Shared set-up for the benchmarks: fresh databases and synthetic members at scale."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import numpy as np
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, insert, text

from app import create_app, normalise_database_url
from core.clock import utcnow
from extensions import db
from panel.demo import synthetic_population
from panel.demographics.attributes import AGE_BANDS, install_default_attributes
from panel.members.consent import add_years
from panel.members.models import Member, MemberStatus

#: PostgreSQL server for the benchmarks; a database "bench" is created on it if missing.
PG_SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
#: The database on that server, created if missing and emptied before each benchmark.
PG_DATABASE = os.environ.get("BENCH_POSTGRES_DATABASE", "bench")


def databases() -> list[tuple[str, str]]:
    """(name, URL) of each database to measure: a temporary SQLite file and PostgreSQL."""
    sqlite_path = os.path.join(tempfile.mkdtemp(prefix="borgerpanel-bench-"), "bench.sqlite")
    found = [("SQLite", f"sqlite:///{sqlite_path}")]
    if os.environ.get("BENCH_SKIP_POSTGRES") != "1":
        found.append(("PostgreSQL", _ensure_pg_database(PG_DATABASE)))
    return found


def _ensure_pg_database(name: str) -> str:
    server = normalise_database_url(PG_SERVER)
    engine = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = f"{server}/{name}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@contextmanager
def bench_app(url: str) -> Iterator[Flask]:
    """An app on a freshly migrated database with the default attributes."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_BACKEND": "file",
            "MAIL_FILE_DIR": tempfile.mkdtemp(prefix="borgerpanel-bench-mail-"),
            "MAIL_DELIVER_ON_QUEUE": False,
            "RATELIMIT_ENABLED": False,
            "SECRET_KEY": "bench-secret",
        }
    )
    with app.app_context():
        upgrade()
        install_default_attributes()
        db.session.commit()
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def synthetic_rows(n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """``n`` members distributed like the demo population (age, gender, municipality, edu)."""
    rng = np.random.default_rng(seed)
    figures = synthetic_population()
    cells = list(figures)
    weights = np.array([figures[c] for c in cells], dtype=float)
    picks = rng.choice(len(cells), size=n, p=weights / weights.sum())
    ages = {band: (lo, hi or 95) for band, lo, hi in AGE_BANDS}
    year = utcnow().year
    for i, pick in enumerate(picks):
        band, gender, municipality, education = cells[pick]
        lo, hi = ages[band]
        yield {
            "index": i,
            "birth_year": year - int(rng.integers(lo, hi + 1)),
            "gender": gender,
            "municipality": municipality,
            "education": education,
        }


def bulk_members(n: int, batch: int = 20_000) -> None:
    """Insert ``n`` active members directly (set-up for measuring reads, not itself timed)."""
    now = utcnow()
    joined = now - timedelta(days=1)  # members before a wave opened an hour ago
    rows: list[dict[str, Any]] = []
    for row in synthetic_rows(n, seed=11):
        rows.append(
            {
                "status": MemberStatus.ACTIVE,
                "language": "da",
                "birth_year": row["birth_year"],
                "attributes": {
                    "gender": row["gender"],
                    "municipality": row["municipality"],
                    "education": row["education"],
                },
                "source": "import",
                "synthetic": True,
                "joined_at": joined,
                "confirmed_at": joined,
                "consent_expires_at": add_years(now, 5),
            }
        )
        if len(rows) == batch:
            db.session.execute(insert(Member), rows)
            rows = []
    if rows:
        db.session.execute(insert(Member), rows)
    db.session.commit()
    settle()


def settle() -> None:
    """Update the planner's statistics (and PostgreSQL's visibility map) after a bulk load,
    as autovacuum would soon do on a live server, so reads are measured in steady state."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE member"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs (seconds) and the last result."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result
