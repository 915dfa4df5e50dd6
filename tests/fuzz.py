"""Shared by the property-based tests (``test_fuzz_*.py``): hostile input and what it may do.

Values are bytes, sent as the client sends them, so a test can post what a browser never
would: latin-1 or UTF-16 bytes, byte-order marks, NULs, an encoded lone surrogate, a
megabyte in one field. Whatever comes in, the app must answer below 500, re-show the form
with an error (or accept what is valid), and never echo markup unescaped.

Hypothesis runs each property with the test's function-scoped fixtures shared by all its
examples (one database, one logged-in client), so each example compares the table counts
before and after itself instead of relying on a clean database.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from extensions import db

#: Bounded so each fuzz file runs in well under a minute per database (``FUZZ_EXAMPLES=500``
#: digs deeper, e.g. nightly); no example database, so a run leaves no ``.hypothesis`` behind.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Markup that must come back escaped wherever it is shown.
HTML_PAYLOADS = [
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
    "</textarea><svg onload=alert(1)>",
]
INJECTIONS = [
    *HTML_PAYLOADS,
    "' OR 1=1 --",
    "'; DROP TABLE member; --",
    "1; SELECT pg_sleep(0)",
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "@SUM(A1)",
    "-2+3",
    "../../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "%(x)s {0} {x} %s %n",
    "{{ 7*7 }} ${7*7}",
    "a@example.dk\r\nBcc: evil@example.com",
]
TEXTS = ["Århus Ærø øl", "Zoë ĳ ß", "مرحبا", "日本語", "🙂"]


def _encodings(text: str) -> list[bytes]:
    return [
        text.encode("utf-8"),
        text.encode("latin-1", "replace"),
        text.encode("utf-16"),
        b"\xef\xbb\xbf" + text.encode("utf-8"),
        text.encode("utf-8") + b"\x00x",
        "\ud800".encode("utf-8", "surrogatepass") + text.encode("utf-8"),
    ]


ODD_BYTES = [b"\x00", b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\x1b[31m", b""]
#: One megabyte in one field; the largest a citizen's form could plausibly carry.
HUGE = [b"a" * 1_000_000, HTML_PAYLOADS[0].encode() * 40_000]


def nasty_bytes() -> st.SearchStrategy[bytes]:
    """One hostile value: an injection, an odd encoding, odd bytes, or a huge field."""
    samples = [v.encode() for v in INJECTIONS] + ODD_BYTES + HUGE
    samples += [b for text in TEXTS + INJECTIONS[:3] for b in _encodings(text)]
    return st.one_of(
        st.sampled_from(samples),
        st.binary(max_size=40),
        st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
    )


def form_with(good: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``good`` with each field kept or replaced by a hostile value (at least one is)."""
    fields = {key: st.one_of(st.just(value), nasty_bytes()) for key, value in good.items()}
    return st.fixed_dictionaries(fields).filter(lambda form: form != good)


def encode_form(form: dict[str, Any]) -> bytes:
    """An ``application/x-www-form-urlencoded`` body holding exactly these bytes."""
    return urlencode(form, doseq=True).encode("ascii")


def post_form(client: Any, url: str, form: dict[str, Any]) -> Any:
    return client.post(
        url, data=encode_form(form), content_type="application/x-www-form-urlencoded"
    )


def counts() -> dict[str, int]:
    """Rows per table, to show that a refused form saved nothing."""
    db.session.expire_all()
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
        for table in db.metadata.sorted_tables
        if table.name not in {"audit_event", "job_run", "scheduler_lock"}
    }


def assert_clean(
    response: Any,
    *,
    refused_saves_nothing: dict[str, int] | None = None,
    shown: tuple[str, ...] = ('class="error',),
) -> str:
    """Below 500; a 200 re-shows the form with an error; markup never comes back raw.

    ``shown`` lists what a 200 page must contain one of (an error by default; nothing when
    empty).
    """
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    html = response.get_data(as_text=True)
    for payload in HTML_PAYLOADS:
        assert payload not in html
    if response.status_code == 200 and shown:
        assert any(mark in html for mark in shown), html[:3000]
    if response.status_code != 302 and refused_saves_nothing is not None:
        assert counts() == refused_saves_nothing
    return html
