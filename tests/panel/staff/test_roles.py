"""Roles: staff pages are for admins and staff only."""

from __future__ import annotations

import pytest

from panel.staff.models import Role
from tests.helpers import login_staff


@pytest.mark.parametrize("role", [Role.ADMIN, Role.STAFF])
def test_staff_and_admin_see_the_panel_overview(client, role):
    login_staff(client, role)
    assert client.get("/staff/").status_code == 200


def test_politician_gets_403_on_staff_pages(client):
    login_staff(client, Role.POLITICIAN)
    assert client.get("/staff/").status_code == 403
    assert client.get("/staff/members").status_code == 403


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client):
    response = client.post(
        "/staff/login", data={"email": "nobody@region.example.dk", "password": "x"}
    )
    assert response.status_code == 200
    assert "/staff/" not in response.headers.get("Location", "")
