"""Citizens answering back to back, as cheap on the CPU as a Python client gets: the clients
of ``bench/bench_load.py``'s back-to-back scenario.

They share the two cores with the server and PostgreSQL, so every millisecond a client
spends is taken from the server. Each citizen is a thread with a plain socket: it writes
its request as bytes and reads only the status line, the headers it needs (``Location``,
``Content-Length``, ``Connection``) and the body's length. Measured against the server of
the back-to-back scenario (400 citizens, 4,400 requests, CPU time of the client process):
0.20 ms a request, of which 0.11 ms in the kernel (a TCP connection per request: gunicorn's
sync workers close it after each response); ``http.client`` in a thread per citizen
(``bench/load_clients.py``) took 0.43 ms, asyncio streams 0.40 ms, an asyncio protocol
0.37 ms. What a citizen sends is what a browser without JavaScript sends for the sample
questionnaire (``bench.answer_clients.PAGES``): the introduction, start, each page's GET
and POST (a page whose answers reveal a question comes back once and is sent again), the
end page.

Each request is recorded as ``bench.load_clients.Record``; the process's own CPU time
(user + system, ``resource.getrusage``) comes back with them, so the benchmark can say what
the clients cost.
"""

from __future__ import annotations

import resource
import socket
import threading
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.answer_clients import PAGES
from bench.load_clients import Record, request_kind


class Refused(RuntimeError):
    """The server answered with another status than a browser's next step needs."""


def _message(method: str, url: str, form: dict[str, Any] | None) -> bytes:
    body = urlencode(form, doseq=True).encode() if form is not None else b""
    head = f"{method} {url} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: en\r\n"
    if form is not None:
        head += "Content-Type: application/x-www-form-urlencoded\r\n"
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def _head(head: bytes) -> tuple[int, int, str | None, bool]:
    """(status, content length, location as path?query, whether the server closes)."""
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, location, close = 0, None, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"location":
            parts = urlsplit(value.strip().decode("latin-1"))
            location = f"{parts.path}?{parts.query}" if parts.query else parts.path
        elif name == b"connection":
            close = value.strip().lower() == b"close"
    return status, length, location, close


class QuickCitizen:
    """One browser: a connection kept while the server keeps it (gunicorn's sync workers
    close it after each response, so then one connection per request, as through a proxy
    that closes upstream connections), and what it saw."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.records: list[Record] = []
        self.errors: list[str] = []

    def request(
        self, method: str, url: str, form: dict[str, Any] | None = None
    ) -> tuple[int, str | None]:
        message = _message(method, url, form)
        start = time.perf_counter()
        try:
            status, location = self._exchange(message, fresh=self.sock is None)
        except ConnectionError:
            # an idle keep-alive connection closed by the server: once more on a new one
            status, location = self._exchange(message, fresh=True)
        self.records.append(
            (request_kind(method, url), time.perf_counter() - start, time.time(), status)
        )
        return status, location

    def _exchange(self, message: bytes, fresh: bool) -> tuple[int, str | None]:
        if fresh or self.sock is None:
            self.close()
            self.sock = socket.create_connection(("127.0.0.1", self.port))
        sock = self.sock
        sock.sendall(message)
        received = b""
        while (end := received.find(b"\r\n\r\n")) < 0:
            received += self._receive(sock)
        status, length, location, close = _head(received[:end])
        body = len(received) - end - 4
        while body < length:
            body += len(self._receive(sock))
        if close:
            self.close()
        return status, location

    @staticmethod
    def _receive(sock: socket.socket) -> bytes:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def expect(
        self, method: str, url: str, status: int, form: dict[str, Any] | None = None
    ) -> str | None:
        got, location = self.request(method, url, form)
        if got != status:
            raise Refused(f"{method} {url}: {got}, wanted {status}")
        return location

    def answer(self, token: str) -> None:
        """The whole questionnaire through ``/a/<token>``, without a pause."""
        link = f"/a/{token}"
        self.expect("GET", link, 200)
        url = self.expect("POST", link, 302, {"lang": "en"})
        for form, revealed in PAGES:
            assert url is not None
            self.expect("GET", url, 200)
            form = {"action": "next", "lang": "en", **form}
            if revealed:  # the page comes back with the new questions, then is sent again
                self.expect("POST", url, 200, form)
                form = {**form, **revealed}
            url = self.expect("POST", url, 302, form)
        if url is None or not url.split("?")[0].endswith("/done"):
            raise Refused(f"{link}: ended at {url}, not the end page")
        self.expect("GET", url, 200)

    def answer_all(self, tokens: list[str]) -> None:
        for token in tokens:
            try:
                self.answer(token)
            except Exception as error:  # counted and reported, not fatal
                self.errors.append(f"{token[:8]}: {error!r}")
                self.close()
        self.close()


def run_back_to_back(port: int, shares: list[list[str]]) -> tuple[list[Record], list[str], float]:
    """One citizen (a thread) per share, all starting at once, each answering its
    questionnaires one after another without a pause; (records, errors, this process's
    CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    citizens = [QuickCitizen(port) for _ in shares]
    threads = [
        threading.Thread(target=citizen.answer_all, args=(share,))
        for citizen, share in zip(citizens, shares, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    records = [r for citizen in citizens for r in citizen.records]
    return records, [e for citizen in citizens for e in citizen.errors], cpu
