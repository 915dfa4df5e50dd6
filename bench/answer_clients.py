"""The simulated citizens of the answering benchmark (``bench/bench_answering.py``): each
client thread answers whole questionnaires through personal links over HTTP, as a browser
without JavaScript does, and records the latency it saw."""

from __future__ import annotations

import http.client
import multiprocessing
import random
import threading
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

CLIENTS = 50

#: Valid answers to the sample questionnaire, per page as a citizen without JavaScript gives
#: them (tests/surveys/answering/test_pages.py): the page's form, then the answers to the questions
#: that form revealed (q5 by the bus in q4, q10 by the postcode), sent with the form again.
PAGES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"q1": "70", "q2": "yes", "q3": "24-12-2019"}, {}),
    (
        {"q4": ["bus", "train"], "q6": "8", "q7.on_time": "3", "q7.clean": "1"},
        {"q5": "dont_know"},
    ),
    ({"q8.price": "2", "q8.speed": "1", "q8.comfort": "3", "q9": "8000"}, {"q10": "Flere busser"}),
]


class Client:
    """One browser: a connection, the latency of each request and what went wrong."""

    def __init__(self, port: int, think: float = 0.0, seed: int = 0) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.latencies: list[float] = []
        self.errors: list[str] = []
        #: Mean pause before each request (seconds), drawn from 0.5-1.5 times it so that
        #: the clients do not move in step.
        self.think = think
        self.random = random.Random(seed)

    def request(self, method: str, url: str, form: dict[str, Any] | None = None) -> Any:
        headers = {"Accept-Language": "en"}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.think:
            time.sleep(self.think * self.random.uniform(0.5, 1.5))
        start = time.perf_counter()
        try:
            self.conn.request(method, url, body=body, headers=headers)
            response = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # the server closed an idle keep-alive connection (gthread workers do after a
            # few seconds): reconnect and send again, as a browser does
            self.conn.close()
            self.conn.request(method, url, body=body, headers=headers)
            response = self.conn.getresponse()
        data = response.read()
        self.latencies.append(time.perf_counter() - start)
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        location = response.getheader("Location")
        if location:
            parts = urlsplit(location)
            location = f"{parts.path}?{parts.query}" if parts.query else parts.path
        return response.status, location, data

    def expect(self, method: str, url: str, status: int, form: dict[str, Any] | None = None):
        got, location, data = self.request(method, url, form)
        if got != status:
            self.errors.append(f"{method} {url}: {got}, wanted {status}")
            raise RuntimeError(self.errors[-1])
        return location, data

    def answer(self, token: str) -> list[bytes]:
        """Answer the whole questionnaire through ``/a/<token>``; the HTML of each question
        page as last shown (with the questions its answers revealed)."""
        link = f"/a/{token}"
        self.expect("GET", link, 200)
        url, _ = self.expect("POST", link, 302, {"lang": "en"})
        pages = []
        for form, revealed in PAGES:
            _, html = self.expect("GET", url, 200)
            form = {"action": "next", "lang": "en", **form}
            if revealed:  # the page comes back with the new questions, then is sent again
                _, html = self.expect("POST", url, 200, form)
                form = {**form, **revealed}
            pages.append(html)
            url, _ = self.expect("POST", url, 302, form)
        if not url.split("?")[0].endswith("/done"):
            self.errors.append(f"{link}: ended at {url}, not the end page")
            return pages
        self.expect("GET", url, 200)
        return pages


def run_clients(
    port: int, tokens: list[str], count: int = CLIENTS, think: float = 0.0
) -> tuple[list[float], list[str], float]:
    """``count`` threads, each answering its share of ``tokens`` one after another, all
    starting together, pausing ``think`` seconds on average before each request; (latencies,
    errors, wall seconds)."""
    shares = [tokens[i::count] for i in range(count)]
    clients = [Client(port, think, seed) for seed in range(count)]
    barrier = threading.Barrier(count + 1)

    def work(client: Client, share: list[str]) -> None:
        barrier.wait()
        for token in share:
            try:
                client.answer(token)
            except Exception as error:  # counted and reported, not fatal
                client.errors.append(f"{token[:8]}: {error!r}")
                client.conn.close()

    threads = [threading.Thread(target=work, args=c) for c in zip(clients, shares, strict=True)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    return (
        [t for c in clients for t in c.latencies],
        [e for c in clients for e in c.errors],
        wall,
    )


def load(
    port: int, tokens: list[str], count: int = CLIENTS, think: float = 0.0
) -> tuple[list[float], list[str], float]:
    """``run_clients`` in a fresh process, so the client threads do not share the server's GIL."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(run_clients, (port, tokens, count, think))
