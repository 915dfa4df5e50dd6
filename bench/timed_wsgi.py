"""The app as gunicorn serves it in production (``wsgi.py``'s app), wrapped to record what
each request costs in each worker: ``gunicorn -c gunicorn.conf.py bench.timed_wsgi:app``.

For the benchmarks only; the app itself has no timing code. Each worker process appends a
line per request to ``$BENCH_TIMING_DIR/<pid>.tsv`` (``bench.servers.ServerSample``): its
kind, the server time (wall), the CPU time of the thread that served it, the status, the
number of SQL statements it sent, its path and when it ended. All of it is taken after the
response body is produced (so the body counts, as in ``bench_answering.Timed``) and the
line is written outside the timed span. The file is opened per line, so the benchmark can
delete the files between loads.

The CPU time is the serving thread's (``time.thread_time``): with gthread workers the
process's CPU time would count the other threads' requests too. What gunicorn itself
spends on a request outside the app (reading and parsing it, writing the response, the
access log) is not in it; ``bench/bench_load.py`` measures the workers' whole CPU apart.

With ``BENCH_PROFILE_DIR`` set, each worker also runs every request under cProfile (CPU
time of the serving thread), one profile per request kind, and writes them to
``<dir>/<pid>.<kind>.prof`` every ``PROFILE_EVERY`` requests of that kind.
"""

from __future__ import annotations

import cProfile
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bench.servers import request_kind
from wsgi import app as production_app

TIMING_DIR = os.environ.get("BENCH_TIMING_DIR", "")
PROFILE_DIR = os.environ.get("BENCH_PROFILE_DIR", "")
PROFILE_EVERY = 100


class TimedToFile:
    """WSGI wrapper: the server time, CPU time, status and statement count of every
    request, appended to this worker's file."""

    def __init__(
        self, wsgi_app: Callable[..., Iterable[bytes]], directory: str, profile_dir: str = ""
    ) -> None:
        self.wsgi_app = wsgi_app
        self.directory = directory
        self.profile_dir = profile_dir
        self.profiles: dict[str, tuple[cProfile.Profile, list[int]]] = {}
        self._lock = threading.Lock()  # gthread workers serve several requests at once
        self._local = threading.local()
        event.listen(Engine, "before_cursor_execute", self._count_statement)

    def _count_statement(self, *_args: Any) -> None:
        self._local.statements = getattr(self._local, "statements", 0) + 1

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        status: list[str] = []

        def start(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status.append(code[:3])
            return start_response(code, headers, exc_info)

        kind = request_kind(environ)
        profile = self._profile(kind) if self.profile_dir else None
        self._local.statements = 0
        start_cpu = time.thread_time()
        start_wall = time.perf_counter()
        if profile is not None:
            profile.enable()
        body = self.wsgi_app(environ, start)
        try:
            chunks = list(body)
        finally:
            if hasattr(body, "close"):
                body.close()
            if profile is not None:
                profile.disable()
        wall = time.perf_counter() - start_wall
        cpu = time.thread_time() - start_cpu
        if self.directory:
            fields = (
                kind, f"{wall:.6f}", f"{cpu:.6f}", status[0] if status else "-",
                str(self._local.statements), environ["PATH_INFO"], f"{time.time():.6f}",
            )  # fmt: skip
            line = "\t".join(fields) + "\n"
            with self._lock, open(os.path.join(self.directory, f"{os.getpid()}.tsv"), "a") as out:
                out.write(line)
        if profile is not None:
            self._dump(kind)
        return chunks

    def _profile(self, kind: str) -> cProfile.Profile:
        """This kind's profile; one thread at a time can use it, so profile sync workers."""
        found = self.profiles.get(kind)
        if found is None:
            found = self.profiles[kind] = (cProfile.Profile(time.thread_time), [0])
        return found[0]

    def _dump(self, kind: str) -> None:
        profile, count = self.profiles[kind]
        count[0] += 1
        if count[0] % PROFILE_EVERY == 0:
            name = f"{os.getpid()}.{kind.replace(' ', '_')}.prof"
            profile.dump_stats(os.path.join(self.profile_dir, name))


app = TimedToFile(production_app, TIMING_DIR, PROFILE_DIR)
