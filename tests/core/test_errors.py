"""A refused change leaves nothing behind and says why where the user looks."""

from __future__ import annotations

from flask import get_flashed_messages
from sqlalchemy import func, select

from core.errors import Refusal, commit_or_flash
from extensions import db
from panel.staff.forms import TwoFactorCodeForm
from panel.staff.models import StaffUser
from tests.factories import StaffUserFactory


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(StaffUser)) or 0


def test_a_refusal_rolls_back_what_the_operation_had_already_done_and_flashes_why(app):
    def half_done() -> None:
        db.session.add(StaffUserFactory.build(email="half@example.dk"))
        db.session.flush()
        raise Refusal("Not like that.")

    with app.test_request_context():
        outcome = commit_or_flash(half_done)
        assert not outcome.ok and str(outcome.refusal) == "Not like that."
        assert get_flashed_messages() == ["Not like that."]
    assert count() == 0


def test_success_commits_and_returns_the_result(app):
    with app.test_request_context():
        outcome = commit_or_flash(lambda: db.session.add(StaffUserFactory.build()) or 7)
        assert outcome.ok and outcome.value == 7
    db.session.rollback()  # what was committed stays
    assert count() == 1


def refuse(message: str, field: str | None = None) -> None:
    raise Refusal(message, field=field)


def test_the_message_goes_next_to_the_field_the_refusal_names_else_the_one_given(app):
    with app.test_request_context(method="POST", data={"code": "1"}):
        form = TwoFactorCodeForm(meta={"csrf": False})
        form.validate()
        commit_or_flash(lambda: refuse("Wrong code.", field="code"), form)
        commit_or_flash(lambda: refuse("Somewhere."), form, "nothing")
        assert "Wrong code." in form.code.errors
        assert form.form_errors == ["Somewhere."]
        assert get_flashed_messages() == []
