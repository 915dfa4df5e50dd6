"""Logging out ends the session everywhere, not only in the browser that pressed the button."""

from __future__ import annotations

from extensions import db
from panel.staff.models import Role
from tests.factories import STAFF_PASSWORD, MemberFactory
from tests.helpers import login_member, login_staff


def stolen_copy(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_after_logout_a_copy_of_the_staff_session_cookie_no_longer_works(app, client):
    login_staff(client, Role.STAFF)
    thief = stolen_copy(app, client)
    assert thief.get("/staff/").status_code == 200
    client.post("/logout")
    assert thief.get("/staff/").headers["Location"].startswith("/staff/login")


def test_after_logout_a_copy_of_a_members_session_cookie_no_longer_works(app, client):
    member = MemberFactory()
    db.session.commit()
    login_member(client, member)
    thief = stolen_copy(app, client)
    assert thief.get("/profile").status_code == 200
    client.post("/logout")
    assert thief.get("/profile").status_code == 302


def test_a_new_password_ends_every_session_of_the_account(app, client, runner):
    user = login_staff(client, Role.STAFF)
    assert client.get("/staff/").status_code == 200
    result = runner.invoke(
        args=["staff", "set-password", "--email", user.email], input="new-pass\nnew-pass\n"
    )
    assert result.exit_code == 0, result.output
    assert client.get("/staff/").headers["Location"].startswith("/staff/login")


def test_logging_in_again_after_logout_works(client):
    user = login_staff(client, Role.STAFF)
    client.post("/logout")
    response = client.post("/staff/login", data={"email": user.email, "password": STAFF_PASSWORD})
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200
