"""The app as gunicorn serves it in production (``wsgi.py``), wrapped to record the server
time of each request in each worker: ``gunicorn -c gunicorn.conf.py bench.timed_wsgi:app``.

For the benchmarks only; the app itself has no timing code. Each worker process appends a
line ``<kind>\\t<seconds>`` per request to ``$BENCH_TIMING_DIR/<pid>.tsv``, after the
response body is produced (so the body counts, as in ``bench_answering.Timed``) and outside
the timed span. The file is opened per line, so the benchmark can delete the files
between loads.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from app import create_app
from bench.servers import request_kind

TIMING_DIR = os.environ.get("BENCH_TIMING_DIR", "")


class TimedToFile:
    """WSGI wrapper: the server time of every request, appended to this worker's file."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], directory: str) -> None:
        self.wsgi_app = wsgi_app
        self.directory = directory
        self._lock = threading.Lock()  # gthread workers serve several requests at once

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start = time.perf_counter()
        body = self.wsgi_app(environ, start_response)
        try:
            chunks = list(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        seconds = time.perf_counter() - start
        if self.directory:
            line = f"{request_kind(environ)}\t{seconds:.6f}\n"
            with self._lock, open(os.path.join(self.directory, f"{os.getpid()}.tsv"), "a") as out:
                out.write(line)
        return chunks


app = TimedToFile(create_app(), TIMING_DIR)
