"""The servers the answering and load benchmarks run the app in, each timing every request
on the server side (the response body included), apart from what the clients see.

- ``served``: Werkzeug's threaded server in a thread of the benchmark's own process (one
  process: every request shares its GIL and its database pool);
- ``served_by_gunicorn``: gunicorn as in production (``gunicorn.conf.py``): several worker
  processes, each importing the app after the fork with its own database pool, timed per
  request by ``bench/timed_wsgi.py``. It starts on a free loopback port against a database
  the benchmark has already set up, waits for ``/healthz``, and hands back a ``Gunicorn``
  whose ``records()`` and ``samples()`` read (and ``clear()`` forgets) what the workers
  wrote, and whose ``processes()`` are its master and workers (for their CPU time).
  ``BENCH_GUNICORN_PORT`` chooses the port (default: a free one).
"""

from __future__ import annotations

import cProfile
import glob
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

# --- in this process -----------------------------------------------------------------------


class Timed:
    """WSGI wrapper recording each request's server time (body included) and, when asked,
    a cProfile (CPU time) of every server thread."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app
        self.samples: list[tuple[str, float]] = []
        self.profiling = False
        self.profiles: list[cProfile.Profile] = []
        self._local = threading.local()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        profile = self._profile() if self.profiling else None
        start = time.perf_counter()
        if profile is not None:
            profile.enable()
        body = self.wsgi_app(environ, start_response)
        try:
            chunks = list(body)
        finally:
            if hasattr(body, "close"):
                body.close()
            if profile is not None:
                profile.disable()
        self.samples.append((request_kind(environ), time.perf_counter() - start))
        return chunks

    def _profile(self) -> cProfile.Profile:
        profile = getattr(self._local, "profile", None)
        if profile is None:
            # CPU time of this thread: waits for the pool, locks and the GIL are left out
            profile = self._local.profile = cProfile.Profile(time.thread_time)
            self.profiles.append(profile)
        return profile


def request_kind(environ: dict[str, Any]) -> str:
    """``GET page``, ``POST page``, ``GET intro``, ... for the per-kind figures; ``GET staff``
    for staff pages (the wave page's ``/staff/waves/<id>`` is not a question page)."""
    path = environ["PATH_INFO"]
    last = path.rstrip("/").split("/")[-1]
    part = "page" if last.isdigit() else "done" if last == "done" else "intro"
    if path.startswith("/static/"):
        part = "static"
    elif path.startswith("/staff/"):
        part = "staff"
    return f"{environ['REQUEST_METHOD']} {part}"


@contextmanager
def served(app: Flask) -> Iterator[tuple[int, Timed]]:
    """The app in Werkzeug's threaded server on a free port, in a thread of this process.

    Werkzeug answers every request with ``Connection: close``, so the clients reconnect per
    request (over loopback), as they would through a proxy that closes upstream connections.
    """
    plain = app.wsgi_app
    timed = Timed(plain)
    app.wsgi_app = timed  # type: ignore[method-assign]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = True  # type: ignore[attr-defined]
    server.request_queue_size = 128  # 50 clients connect at once
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, timed
    finally:
        server.shutdown()
        thread.join()
        app.wsgi_app = plain  # type: ignore[method-assign]


# --- gunicorn ------------------------------------------------------------------------------

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass(frozen=True)
class ServerSample:
    """One request as a worker of ``bench/timed_wsgi.py`` recorded it."""

    kind: str
    #: Server time (wall clock), the response body included.
    seconds: float
    #: CPU time of the thread that served it, inside the app.
    cpu: float
    status: str
    #: SQL statements sent.
    statements: int
    path: str
    #: When it ended (``time.time()``).
    end: float


@dataclass
class Gunicorn:
    port: int
    timing_dir: str
    log_path: str
    pid: int

    def records(self) -> list[ServerSample]:
        """Every request served since the last ``clear()``; the health checks of the
        start-up are left out."""
        found = []
        for path in glob.glob(os.path.join(self.timing_dir, "*.tsv")):
            with open(path) as lines:
                for line in lines:
                    kind, seconds, cpu, status, count, url, end = line.rstrip("\n").split("\t")
                    times = float(seconds), float(cpu)
                    found.append(ServerSample(kind, *times, status, int(count), url, float(end)))
        return found

    def samples(self) -> list[tuple[str, float]]:
        """(kind, seconds) of every request served since the last ``clear()``."""
        return [(sample.kind, sample.seconds) for sample in self.records()]

    def processes(self) -> list[int]:
        """The master's and the workers' process ids."""
        return [self.pid, *children(self.pid)]

    def clear(self) -> None:
        for path in glob.glob(os.path.join(self.timing_dir, "*.tsv")):
            os.remove(path)


def children(pid: int) -> list[int]:
    """The ids of a process's children (Linux)."""
    found = []
    for task in glob.glob(f"/proc/{pid}/task/*/children"):
        with open(task) as ids:
            found += [int(child) for child in ids.read().split()]
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not become healthy")


@contextmanager
def served_by_gunicorn(
    url: str, workers: int, worker_class: str = "sync", threads: int = 1, profile_dir: str = ""
) -> Iterator[Gunicorn]:
    """gunicorn with ``workers`` processes serving the app on the database at ``url``;
    ``profile_dir``: profile the requests there (``bench/timed_wsgi.py``)."""
    port = int(os.environ.get("BENCH_GUNICORN_PORT") or free_port())
    work = tempfile.mkdtemp(prefix="borgerpanel-gunicorn-")
    timing_dir = os.path.join(work, "timing")
    os.makedirs(timing_dir)
    log_path = os.path.join(work, "gunicorn.log")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret",
        "MAIL_BACKEND": "file",
        "MAIL_FILE_DIR": os.path.join(work, "outbox"),
        "MAIL_DELIVER_ON_QUEUE": "false",
        "RATELIMIT_ENABLED": "false",
        "BENCH_TIMING_DIR": timing_dir,
        "BENCH_PROFILE_DIR": profile_dir,
        "GUNICORN_ACCESSLOG": os.path.join(work, "access.log"),
        "GUNICORN_LOGLEVEL": "warning",
    }
    command = [
        *(sys.executable, "-m", "gunicorn", "-c", os.path.join(ROOT, "gunicorn.conf.py")),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
        *("--worker-class", worker_class, "--threads", str(threads)),
        *("--backlog", "2048", "bench.timed_wsgi:app"),
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)  # noqa: S603
        try:
            wait_healthy(port, process)
            server = Gunicorn(port, timing_dir, log_path, process.pid)
            server.clear()
            yield server
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
