"""Citizens answering back to back, as cheap on the CPU as a Python client gets: the clients
of ``bench/bench_load.py``'s back-to-back scenario.

They share the two cores with the server and PostgreSQL, so every millisecond a client
spends is taken from the server. Instead of a thread and ``http.client`` per citizen
(``bench/load_clients.py``), every citizen of a process is a coroutine on one asyncio
loop, writing its requests as bytes and reading only the status line, the headers it needs
(``Location``, ``Content-Length``, ``Connection``) and the body's length. What a citizen
sends is what a browser without JavaScript sends for the sample questionnaire
(``bench.answer_clients.PAGES``): the introduction, start, each page's GET and POST (a page
whose answers reveal a question comes back once and is sent again), the end page.

Each request is recorded as ``bench.load_clients.Record``; the process's own CPU time
(user + system, ``resource.getrusage``) comes back with them, so the benchmark can say what
the clients cost.
"""

from __future__ import annotations

import asyncio
import resource
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.answer_clients import PAGES
from bench.load_clients import Record, request_kind


class Refused(RuntimeError):
    """The server answered with another status than a browser's next step needs."""


class QuickCitizen:
    """One browser: a connection kept while the server keeps it (gunicorn's sync workers
    close it after each response, so then one connection per request, as through a proxy
    that closes upstream connections), and what it saw."""

    def __init__(self, port: int, records: list[Record]) -> None:
        self.port = port
        self.records = records
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self, method: str, url: str, form: dict[str, Any] | None = None
    ) -> tuple[int, str | None]:
        body = urlencode(form, doseq=True).encode() if form is not None else b""
        head = f"{method} {url} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: en\r\n"
        if form is not None:
            head += "Content-Type: application/x-www-form-urlencoded\r\n"
            head += f"Content-Length: {len(body)}\r\n"
        message = head.encode() + b"\r\n" + body
        start = time.perf_counter()
        try:
            status, location = await self._exchange(message, fresh=self.streams is None)
        except (ConnectionError, asyncio.IncompleteReadError):
            # an idle keep-alive connection closed by the server: once more on a new one
            status, location = await self._exchange(message, fresh=True)
        self.records.append(
            (request_kind(method, url), time.perf_counter() - start, time.time(), status)
        )
        return status, location

    async def _exchange(self, message: bytes, fresh: bool) -> tuple[int, str | None]:
        if fresh or self.streams is None:
            self.close()
            self.streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.streams
        writer.write(message)
        status = int((await reader.readuntil(b"\r\n")).split(b" ", 2)[1])
        length, location, close = 0, None, False
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            name = name.lower()
            if name == "content-length":
                length = int(value)
            elif name == "location":
                parts = urlsplit(value.strip())
                location = f"{parts.path}?{parts.query}" if parts.query else parts.path
            elif name == "connection":
                close = value.strip().lower() == "close"
        await reader.readexactly(length)
        if close:
            self.close()
        return status, location

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None

    async def expect(
        self, method: str, url: str, status: int, form: dict[str, Any] | None = None
    ) -> str | None:
        got, location = await self.request(method, url, form)
        if got != status:
            raise Refused(f"{method} {url}: {got}, wanted {status}")
        return location

    async def answer(self, token: str) -> None:
        """The whole questionnaire through ``/a/<token>``, without a pause."""
        link = f"/a/{token}"
        await self.expect("GET", link, 200)
        url = await self.expect("POST", link, 302, {"lang": "en"})
        for form, revealed in PAGES:
            assert url is not None
            await self.expect("GET", url, 200)
            form = {"action": "next", "lang": "en", **form}
            if revealed:  # the page comes back with the new questions, then is sent again
                await self.expect("POST", url, 200, form)
                form = {**form, **revealed}
            url = await self.expect("POST", url, 302, form)
        if url is None or not url.split("?")[0].endswith("/done"):
            raise Refused(f"{link}: ended at {url}, not the end page")
        await self.expect("GET", url, 200)


async def _run(port: int, shares: list[list[str]]) -> tuple[list[Record], list[str]]:
    records: list[Record] = []
    errors: list[str] = []

    async def citizen(tokens: list[str]) -> None:
        client = QuickCitizen(port, records)
        for token in tokens:
            try:
                await client.answer(token)
            except Exception as error:  # counted and reported, not fatal
                errors.append(f"{token[:8]}: {error!r}")
                client.close()
        client.close()

    await asyncio.gather(*(citizen(tokens) for tokens in shares))
    return records, errors


def run_back_to_back(port: int, shares: list[list[str]]) -> tuple[list[Record], list[str], float]:
    """One citizen per share, all starting at once, each answering its questionnaires
    one after another without a pause; (records, errors, this process's CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    records, errors = asyncio.run(_run(port, shares))
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return records, errors, cpu
