"""Shared by the fault tests: real OS processes running the app, and PostgreSQL connections
of the test's own that hold locks, watch who waits for them and cut connections.

Every wait here has a deadline, so a fault test that goes wrong fails instead of hanging
the suite: processes are killed on the way out, the test's connections carry
``lock_timeout``/``statement_timeout``, and the app's processes get the same through
``PGOPTIONS`` (read by libpq, so no hook in the app is needed).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode, urlsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from tests.factories.processes import flask_env, wait_for

ROOT = Path(__file__).resolve().parent.parent
#: For the app's own connections in a subprocess: a save blocked by a test's lock gives up
#: by itself if the test fails to kill the process.
APP_PGOPTIONS = "-c lock_timeout=15s -c statement_timeout=20s"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_env(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of an app process: the test's database and secret, mail to files."""
    return flask_env(
        database_url,
        tmp_path / "outbox",
        SECRET_KEY="test-secret",  # the tests' SECRET_KEY, so personal links match
        RATELIMIT_ENABLED="false",
        PGOPTIONS=APP_PGOPTIONS,
        **extra,
    )


class AppProcess:
    """``flask --app app *args`` in a process of its own; output goes to a log file."""

    def __init__(self, env: dict[str, str], log_path: Path, *args: str) -> None:
        self.log_path = log_path
        self._log: TextIO = open(log_path, "w")  # noqa: SIM115  (closed in stop())
        self.process = subprocess.Popen(  # noqa: S603  (our own interpreter, fixed arguments)
            [sys.executable, "-m", "flask", "--app", "app", *args],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()

    def kill(self) -> None:
        """SIGKILL: no clean-up, no rollback, no goodbye to the database."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def finish(self, timeout: float = 60) -> int:
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.stop()

    def stop(self) -> None:
        self.kill()
        self._log.close()


class WebWorker(AppProcess):
    """The app served by ``flask run`` on a free port, ready once ``/healthz`` answers."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        super().__init__(
            env, log_path, "run", "--port", str(self.port), "--no-reload", "--no-debugger"
        )
        if not wait_for(self._healthy, seconds=20):
            self.stop()
            raise AssertionError(f"the worker did not start:\n{self.output()}")

    def _healthy(self) -> bool:
        try:
            return self.request("GET", "/healthz", timeout=2)[0] == 200
        except OSError:
            return False

    def request(
        self, method: str, path: str, data: dict[str, Any] | None = None, timeout: float = 20
    ) -> tuple[int, str]:
        """(status, path of the Location header), without following redirects."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            body = urlencode(data or {}, doseq=True)
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            connection.request(method, path, body if method == "POST" else None, headers)
            response = connection.getresponse()
            response.read()
            location = urlsplit(response.getheader("Location") or "")
            return response.status, location.path + (f"?{location.query}" if location.query else "")
        finally:
            connection.close()

    def post(self, path: str, data: dict[str, Any]) -> tuple[int, str]:
        return self.request("POST", path, data)


@contextmanager
def web_worker(env: dict[str, str], log_path: Path) -> Iterator[WebWorker]:
    worker = WebWorker(env, log_path)
    try:
        yield worker
    finally:
        worker.stop()


@contextmanager
def own_connection(database_url: str, autocommit: bool = False) -> Iterator[Connection]:
    """A connection outside the app's pool; its locks go when the block ends, however."""
    engine = create_engine(
        database_url,
        poolclass=NullPool,
        connect_args={"options": "-c lock_timeout=5s -c statement_timeout=10s"},
        **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}),
    )
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def backend_pid(connection: Connection) -> int:
    return int(connection.scalar(text("SELECT pg_backend_pid()")))


def blocked_by(watcher: Connection, holder_pid: int, seconds: float = 60) -> tuple[int, str]:
    """(pid, query) of the backend that waits for a lock ``holder_pid`` holds, once one does
    (a subprocess starting the app on a loaded 2-core machine can take many seconds)."""
    found: list[tuple[int, str]] = []

    def waiting() -> bool:
        row = watcher.execute(
            text(
                "SELECT pid, query FROM pg_stat_activity WHERE :holder = ANY(pg_blocking_pids(pid))"
            ),
            {"holder": holder_pid},
        ).first()
        if row is not None:
            found.append((int(row.pid), str(row.query)))
        return row is not None

    assert wait_for(waiting, seconds=seconds), "nobody came to wait for the lock"
    return found[0]


def other_backends(watcher: Connection) -> set[int]:
    """The pids of every other connection to the test database."""
    rows = watcher.execute(
        text(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    )
    return {int(pid) for (pid,) in rows}


def wait_until_gone(watcher: Connection, pids: set[int], seconds: float = 15) -> None:
    """A killed client's backends end once they notice; their transactions roll back."""
    assert wait_for(lambda: not other_backends(watcher) & pids, seconds=seconds), (
        f"backends {other_backends(watcher) & pids} outlived their process"
    )
