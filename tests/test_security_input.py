"""Numbers in addresses and query strings too large for the database are refused politely."""

from __future__ import annotations

import pytest

from panel.staff.models import Role
from tests.helpers import login_staff

HUGE = "9" * 30


@pytest.mark.parametrize(
    "query", [{"q": HUGE}, {"page": HUGE}, {"page": "-3"}, {"q": HUGE, "page": HUGE}]
)
def test_huge_numbers_in_the_member_search_find_nothing_instead_of_failing(client, query):
    login_staff(client, Role.STAFF)
    assert client.get("/staff/members", query_string=query).status_code == 200


def test_a_huge_id_in_an_address_is_not_found(client):
    login_staff(client, Role.STAFF)
    assert client.get(f"/staff/members/{HUGE}").status_code == 404
    assert client.get(f"/staff/waves/{HUGE}").status_code == 404


def test_a_huge_page_of_the_audit_trail_is_an_empty_page(client):
    login_staff(client, Role.ADMIN)
    assert client.get("/staff/audit", query_string={"page": HUGE}).status_code == 200
