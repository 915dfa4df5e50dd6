"""The simulated people of the load scenario (``bench/bench_load.py``): citizens answering
page by page with a reader's pauses, and staff reloading a wave's page for its live counts.

Each request is recorded as ``(kind, seconds, wall-clock end, status)`` so the parent process can
put the figures of several client processes on one time line.
"""

from __future__ import annotations

import http.client
import random
import re
import threading
import time
from typing import Any
from urllib.parse import urlencode

from bench.answer_clients import Client

Record = tuple[str, float, float, int]


def request_kind(method: str, url: str) -> str:
    last = url.split("?")[0].rstrip("/").split("/")[-1]
    part = "page" if last.isdigit() else "done" if last == "done" else "intro"
    return f"{method} {part}"


class Citizen(Client):
    """A citizen without JavaScript: pauses to read and answer before each form it sends
    (``think`` seconds on average, 0.5-1.5 times it), follows each redirect at once."""

    def __init__(self, port: int, think: float, seed: int) -> None:
        super().__init__(port, 0.0, seed)
        self.reading = think
        self.records: list[Record] = []

    def request(self, method: str, url: str, form: dict[str, Any] | None = None) -> Any:
        if method == "POST":
            time.sleep(self.reading * self.random.uniform(0.5, 1.5))
        result = super().request(method, url, form)
        kind = request_kind(method, url)
        self.records.append((kind, self.latencies[-1], time.time(), result[0]))
        return result


def run_citizens(
    port: int, tokens: list[str], think: float, ramp: float, seed: int
) -> tuple[list[Record], list[str]]:
    """One thread per token: each citizen opens their link at a moment spread over ``ramp``
    seconds (the invitation mail read at different times) and answers the questionnaire."""
    citizens = [Citizen(port, think, seed * 100_000 + i) for i in range(len(tokens))]
    start = time.time()

    def work(citizen: Citizen, token: str) -> None:
        time.sleep(max(0.0, start + citizen.random.uniform(0, ramp) - time.time()))
        try:
            citizen.answer(token)
        except Exception as error:  # counted and reported, not fatal
            citizen.errors.append(f"{token[:8]}: {error!r}")
            citizen.conn.close()

    threads = [
        threading.Thread(target=work, args=pair, daemon=True)
        for pair in zip(citizens, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for c in citizens for r in c.records], [e for c in citizens for e in c.errors]


class Staff:
    """A staff member logged in through the real login form (CSRF token and session cookie
    included), reloading the wave's page every ``interval`` seconds."""

    def __init__(self, port: int, email: str, password: str) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.records: list[Record] = []
        self.errors: list[str] = []
        html = self.request("GET", "/staff/login")[1]
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert match, "no CSRF token on the login page"
        form = {"csrf_token": match.group(1), "email": email, "password": password}
        status, _ = self.request("POST", "/staff/login", form)
        assert status == 302, f"staff login: {status}"

    def request(self, method: str, url: str, form: dict[str, str] | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, url, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read().decode()
        conn.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";")[0]
        return response.status, data

    def watch(self, wave_id: int, interval: float, stop: threading.Event) -> None:
        while not stop.wait(interval):
            start = time.perf_counter()
            status, _ = self.request("GET", f"/staff/waves/{wave_id}")
            seconds = time.perf_counter() - start
            self.records.append(("GET wave page", seconds, time.time(), status))
            if status != 200:  # a lost session would redirect to the login page
                self.errors.append(f"wave page: {status}")


def watch_wave(
    port: int, accounts: list[tuple[str, str]], wave_id: int, interval: float, seed: int = 0
) -> tuple[threading.Event, list[Staff], list[threading.Thread]]:
    """Staff threads watching the wave until the returned event is set."""
    stop = threading.Event()
    staff = [Staff(port, email, password) for email, password in accounts]
    rng = random.Random(seed)
    threads = []
    for member in staff:
        delay = interval * (0.5 + rng.random())  # not in step with each other
        thread = threading.Thread(target=member.watch, args=(wave_id, delay, stop), daemon=True)
        thread.start()
        threads.append(thread)
    return stop, staff, threads
