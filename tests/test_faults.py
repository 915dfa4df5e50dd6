"""Faults: nothing a citizen answered and no invitation is lost or doubled when a process
dies, the database drops its connections, or the mail server misbehaves.

The app runs in real OS processes (``flask run``, ``flask waves tick``) against the test
database, and the tests make them stop where it hurts by taking a lock the app needs from
a connection of their own (no hook in the app), then SIGKILL them. Those tests need
PostgreSQL (its locks, ``pg_terminate_backend``); the mail server test runs on both.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from contextlib import suppress
from datetime import timedelta
from email import message_from_bytes
from itertools import pairwise
from pathlib import Path
from time import monotonic

import pytest
from aiosmtpd.controller import Controller
from flask_babel import force_locale
from sqlalchemy import select, text

from core.clock import utcnow
from core.jobs import JobOutcome, JobRun
from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.mail.models import OutboxMessage
from panel.mail.outbox import backoff, deliver_outbox
from surveys.answering.models import Answer
from surveys.waves.models import Invitation
from surveys.waves.operations import personal_token
from tests.answering import ALL_PAGES, open_invitation, responses, stored
from tests.factories.waves import NOW, make_wave, members, ready_questionnaire
from tests.faults import (
    AppProcess,
    app_env,
    backend_pid,
    blocked_by,
    free_port,
    other_backends,
    own_connection,
    wait_until_gone,
    web_worker,
)
from tests.helpers import sent_mail

pytestmark = pytest.mark.faults

PAGE_1 = {"action": "next", "lang": "en", **ALL_PAGES[0]}  # aged 70, so page 2 asks q4
PAGE_2 = {"action": "next", "lang": "en", "q4": ["train", "bike"], "q6": "8",
          "q7.on_time": "3", "q7.clean": "1"}  # fmt: skip
PAGE_2_KEYS = {"q4", "q6", "q7"}


@pytest.fixture
def postgres(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip(
            "needs PostgreSQL (row and table locks, pg_terminate_backend): "
            "set TEST_DATABASE_URL, as .ci/run does"
        )


def answer_counts(response_id: int) -> Counter[str]:
    db.session.expire_all()
    keys = db.session.scalars(select(Answer.question_key).filter_by(response_id=response_id))
    return Counter(keys)


def test_a_worker_killed_mid_save_keeps_the_earlier_page_and_the_repeat_saves_once(
    postgres, app, database_url, tmp_path
):
    link = f"/a/{personal_token(open_invitation())}"
    env = app_env(database_url, tmp_path)
    with web_worker(env, tmp_path / "first.log") as first:
        status, page_1 = first.post(link, {"lang": "en"})
        assert status == 302 and page_1.endswith("/1?lang=en"), first.output()
        status, page_2 = first.post(page_1, PAGE_1)
        assert status == 302 and page_2.endswith("/2?lang=en"), first.output()
        (response,) = responses()
        page_1_answers = stored(response)
        assert set(page_1_answers) == {"q1", "q2", "q3"}
        db.session.commit()

        with own_connection(database_url) as locker, own_connection(database_url, True) as watch:
            # the save locks the response row, then deletes the page's old answers and
            # writes the new ones: a share lock on the answer table stops it at the delete,
            # in the middle of its transaction
            locker.execute(text("LOCK TABLE answer IN SHARE MODE"))
            saving = threading.Thread(target=_post_ignoring_errors, args=(first, page_2, PAGE_2))
            saving.start()
            stuck, query = blocked_by(watch, backend_pid(locker))
            assert query.startswith("DELETE FROM answer"), query
            assert _holds_the_response_row(watch, stuck)  # mid-transaction, not before it
            first.kill()
            saving.join(timeout=20)
            locker.rollback()  # the dead worker's transaction may now go on, and rolls back
            wait_until_gone(watch, {stuck})

    assert stored(response) == page_1_answers  # page 1 kept, nothing of page 2 half-saved
    assert responses()[0].current_page == 1
    with web_worker(env, tmp_path / "second.log") as second:
        status, location = second.post(page_2, PAGE_2)  # the citizen presses Next again
        assert status == 302 and location.endswith("/3?lang=en"), second.output()

    answers = stored(response)
    assert {k: answers[k] for k in page_1_answers} == page_1_answers
    assert answers["q4"] == ["train", "bike"] and answers["q6"] == 8
    assert answers["q7"] == {"on_time": "3", "clean": "1"}
    assert answer_counts(response.id) == {k: 1 for k in {"q1", "q2", "q3", *PAGE_2_KEYS}}
    assert len(responses()) == 1


def _post_ignoring_errors(worker, path, data):
    """The request the worker dies in: the citizen sees a broken connection."""
    with suppress(OSError):
        worker.post(path, data)


def _holds_the_response_row(watch, pid: int) -> bool:
    """Whether ``pid`` has locked a response row (SELECT ... FOR UPDATE takes RowShareLock)."""
    return bool(
        watch.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE pid = :pid AND granted"
                " AND relation = 'response'::regclass AND mode = 'RowShareLock'"
            ),
            {"pid": pid},
        )
    )


def test_connections_cut_during_a_wave_are_replaced_and_the_tick_still_runs(
    postgres, app, runner, database_url, tmp_path
):
    invitation = open_invitation()
    link = f"/a/{personal_token(invitation)}"
    with web_worker(app_env(database_url, tmp_path), tmp_path / "web.log") as web:
        _, page_1 = web.post(link, {"lang": "en"})
        status, page_2 = web.post(page_1, PAGE_1)
        assert status == 302, web.output()
        db.session.commit()  # this process's pool now holds idle connections too

        with own_connection(database_url, autocommit=True) as admin:
            doomed = other_backends(admin)
            # only the listed backends: in "FROM pg_stat_activity WHERE pid = ANY(...) AND
            # pg_terminate_backend(pid)" the planner may call the function on every row first
            cut = admin.scalar(
                text("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))"
                     " FROM unnest(CAST(:pids AS integer[])) AS doomed(pid)"),
                {"pids": list(doomed)},
            )  # fmt: skip
            assert cut >= 2  # the worker's pooled connection and ours
            wait_until_gone(admin, doomed)

        status, location = web.post(page_2, PAGE_2)  # the first request after the cut
        assert status == 302 and location.endswith("/3?lang=en"), web.output()
        assert web.request("GET", "/healthz")[0] == 200

    result = runner.invoke(args=["waves", "tick"])
    assert result.exit_code == 0, result.output
    assert "waves: ok" in result.output
    (waves_run,) = db.session.scalars(select(JobRun).filter_by(job_id="waves")).all()
    assert waves_run.outcome is JobOutcome.OK
    (response,) = responses()
    assert set(stored(response)) == {"q1", "q2", "q3", *PAGE_2_KEYS}
    (mail,) = sent_mail(kind="invitation")
    assert mail.member_id == invitation.member_id and mail.sent_at is not None


def test_a_tick_killed_while_opening_a_wave_is_abandoned_and_each_member_invited_once(
    postgres, app, database_url, tmp_path
):
    install_default_attributes()
    members(6)
    with force_locale("en"):
        wave = make_wave(ready_questionnaire(), completes_wanted=4)
    db.session.commit()
    # the clock runs months ahead of the real one: keep the mail the tick sends
    env = app_env(database_url, tmp_path, MAIL_RETENTION_DAYS="3650")
    tick_args = ("waves", "tick", "--now", NOW.isoformat())

    with own_connection(database_url) as locker, own_connection(database_url, True) as watch:
        before = other_backends(watch)
        locker.execute(text("LOCK TABLE outbox_message IN EXCLUSIVE MODE"))  # reads still pass
        killed = AppProcess(env, tmp_path / "killed.log", *tick_args)
        try:
            stuck, query = blocked_by(watch, backend_pid(locker))
            assert query.startswith("INSERT INTO outbox_message"), query
            drawn = watch.execute(
                text("SELECT count(*), count(invited_at) FROM invitation WHERE wave_id = :w"),
                {"w": wave.id},
            ).one()
            assert tuple(drawn) == (4, 0)  # drawn and committed; their mails are under way
            tick_backends = other_backends(watch) - before - {backend_pid(locker)}
            assert stuck in tick_backends
            killed.kill()
        finally:
            killed.stop()
        locker.rollback()
        wait_until_gone(watch, tick_backends)  # with them the runner lock goes

    again = AppProcess(env, tmp_path / "again.log", *tick_args)
    assert again.finish() == 0, again.output()
    assert "waves: ok (planned 0, opened 0, invited 4, reminded 0, closed 0)" in again.output()

    db.session.expire_all()
    abandoned, done = db.session.scalars(
        select(JobRun).filter_by(job_id="waves").order_by(JobRun.id)
    ).all()
    assert abandoned.outcome is JobOutcome.ABANDONED and done.outcome is JobOutcome.OK
    assert abandoned.error == "the runner stopped before the job finished"
    assert abandoned.slot == done.slot == NOW and abandoned.runner != done.runner
    invited = db.session.scalars(select(Invitation).filter_by(wave_id=wave.id)).all()
    assert len(invited) == 4 and all(i.invited_at == NOW for i in invited)
    mails = sent_mail(kind="invitation")
    assert Counter(m.member_id for m in mails) == {i.member_id: 1 for i in invited}
    assert all(m.sent_at is not None for m in mails)
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert sorted(_outbox_id(f) for f in files) == sorted(m.id for m in mails)


def _outbox_id(eml: Path) -> int:
    return int(message_from_bytes(eml.read_bytes())["X-Borgerpanel-Id"])


class FlakyInbox:
    """An SMTP server's handler that says "try again later" until it is told to accept."""

    def __init__(self) -> None:
        self.accepting = False
        #: Messages received, by outbox id.
        self.received: Counter[int] = Counter()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not self.accepting:
            return "451 4.3.2 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received[int(message_from_bytes(envelope.content)["X-Borgerpanel-Id"])] += 1
        return "250 OK"


class SilentServer:
    """Accepts connections and never says a word, like a mail server hung mid-greeting.

    It hangs up after ``hang_up`` seconds, so a client without a timeout of its own gets
    an error the test sees instead of hanging the suite.
    """

    def __init__(self, port: int, hang_up: float = 5) -> None:
        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.settimeout(0.1)
        self.hang_up = hang_up
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        held: list[tuple[socket.socket, float]] = []
        while not self.stopping.is_set():
            with suppress(TimeoutError):
                held.append((self.listener.accept()[0], monotonic() + self.hang_up))
            for connection, until in [h for h in held if h[1] < monotonic()]:
                connection.close()
                held.remove((connection, until))
        for connection, _until in held:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        self.listener.close()


def test_an_hour_of_a_refusing_or_hanging_mail_server_loses_and_repeats_nothing(app):
    port = free_port()
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                      MAIL_TIMEOUT=0.5)  # fmt: skip
    for n in range(3):
        db.session.add(OutboxMessage(kind="test", to_address=f"citizen{n}@example.dk",
                                     subject="Hej", body="Hej"))  # fmt: skip
    db.session.commit()
    ids = sorted(db.session.scalars(select(OutboxMessage.id)))
    start = utcnow()
    #: Each message's failed attempts: (minute, the error recorded).
    tried: dict[int, list[tuple[int, str]]] = {i: [] for i in ids}

    def every_minute(minutes: range) -> None:
        """The delivery job as the scheduler runs it, once a minute."""
        for minute in minutes:
            now = start + timedelta(minutes=minute)
            due = any(m.next_attempt_at <= now for m in _unsent())
            assert deliver_outbox(now) == ((0, 1) if due else (0, 0))  # one try, then it waits
            for message in _unsent():
                if len(tried[message.id]) < message.attempts:
                    tried[message.id].append((minute, str(message.last_error)))

    every_minute(range(0, 10))  # nothing listens: connection refused
    silent = SilentServer(port)
    try:
        every_minute(range(10, 20))  # connected, then not a word: MAIL_TIMEOUT ends the wait
    finally:
        silent.stop()
    inbox = FlakyInbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        every_minute(range(20, 60))  # "451 try again later"
        unsent = _unsent()
        assert [m.id for m in unsent] == ids and inbox.received == {}
        for minute, error in (attempt for i in ids for attempt in tried[i]):
            if minute < 10:
                assert error.startswith("ConnectionRefusedError"), error
            elif minute < 20:  # smtplib reports the greeting's timeout as a disconnection
                assert error.endswith("Connection unexpectedly closed: timed out"), error
            else:
                assert error.startswith("SMTPRecipientsRefused") and "451" in error, error
        for message in unsent:
            minutes = [minute for minute, _ in tried[message.id]]
            assert len(minutes) == message.attempts >= 4
            gaps = [later - earlier for earlier, later in pairwise(minutes)]
            assert all(gap >= backoff(n) / timedelta(minutes=1) for n, gap in enumerate(gaps, 1))
            last = start + timedelta(minutes=minutes[-1])
            assert message.next_attempt_at == last + backoff(message.attempts)

        inbox.accepting = True  # the server is back: all are due within the longest backoff
        assert deliver_outbox(start + timedelta(minutes=120)) == (3, 0)
        assert deliver_outbox(start + timedelta(minutes=240)) == (0, 0)
    finally:
        server.stop()
    assert inbox.received == {i: 1 for i in ids}  # each exactly once
    assert _unsent() == []


def _unsent() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)
        )
    )
