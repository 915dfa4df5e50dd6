"""A double click on "Next": two requests save the same page at the same moment.

On PostgreSQL the second request's DELETE cannot see the answers the first has inserted
but not yet committed, so without a lock its INSERT hit the unique (response, question)
and the citizen got a 500. Here the first request is played by a second connection that
does what a save does and holds its transaction open while the real request runs.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import create_engine, text

from extensions import db
from surveys.answering.models import Answer
from surveys.waves.operations import personal_token
from tests.answering import open_invitation, responses, start, stored, submit


def _blocked_on_a_lock(engine) -> bool:
    with engine.connect() as connection:
        waiting = connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        ).scalar()
    return bool(waiting)


def test_two_saves_of_the_same_page_at_once_both_succeed_and_keep_one_answer(
    app, client, database_url, is_postgres
):
    invitation = open_invitation()
    first_page = start(client, f"/a/{personal_token(invitation)}")
    (response,) = responses()
    other = create_engine(database_url)
    connection = other.connect()
    transaction = connection.begin()
    connection.execute(
        text("DELETE FROM answer WHERE response_id = :id AND question_key = 'q1'"),
        {"id": response.id},
    )
    db.session.close()
    connection.execute(
        Answer.__table__.insert().values(response_id=response.id, question_key="q1", value=44)
    )
    results = []

    def double_click() -> None:
        with app.app_context():
            results.append(submit(client, first_page, q1="45"))

    second = threading.Thread(target=double_click)
    second.start()
    if is_postgres:  # wait (bounded) until the request is waiting for the first's lock
        deadline = time.monotonic() + 20
        while not _blocked_on_a_lock(other) and time.monotonic() < deadline:
            time.sleep(0.05)
    transaction.commit()
    connection.close()
    second.join(timeout=60)
    other.dispose()
    (result,) = results
    assert result.status_code == 302, result.status_code
    assert stored(response) == {"q1": 45}
