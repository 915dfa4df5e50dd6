"""The public forms resist forged posts and floods."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from extensions import db
from panel.demographics import install_default_attributes
from panel.models import Member
from tests.conftest import make_config
from tests.helpers import sent_mail

CSRF_ON = {"WTF_CSRF_ENABLED": True}
LIMITED = {
    "RATELIMIT_ENABLED": True,
    "JOIN_RATE_LIMIT": "2 per minute",
    "LOGIN_LINK_RATE_LIMIT": "2 per minute",
}


@pytest.fixture
def app_config(request, database_url, tmp_path):
    return make_config(database_url, tmp_path, **getattr(request, "param", {}))


@pytest.fixture(autouse=True)
def attributes(app):
    install_default_attributes()
    db.session.commit()


def join_form(email: str) -> dict[str, str]:
    return {
        "email": email,
        "birth_year": "1980",
        "attr_gender": "m",
        "attr_municipality": "751",
        "attr_education": "basic",
        "language": "da",
        "consent": "y",
    }


def members() -> int:
    return db.session.scalar(select(func.count()).select_from(Member)) or 0


@pytest.mark.parametrize("app_config", [CSRF_ON], indirect=True)
def test_a_join_post_without_the_csrf_token_is_rejected(client):
    response = client.post("/join", data=join_form("a@example.dk"))
    assert response.status_code == 400
    assert members() == 0 and sent_mail() == []


@pytest.mark.parametrize("app_config", [CSRF_ON], indirect=True)
def test_a_join_post_with_the_token_from_the_form_works(client):
    page = client.get("/join").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, "the join form carries a CSRF token"
    response = client.post("/join", data={**join_form("a@example.dk"), "csrf_token": token[1]})
    assert response.status_code == 302
    assert members() == 1


@pytest.mark.parametrize("app_config", [LIMITED], indirect=True)
def test_the_third_join_in_a_minute_gets_429(client):
    for n in range(2):
        assert client.post("/join", data=join_form(f"p{n}@example.dk")).status_code == 302
    response = client.post("/join", data=join_form("p3@example.dk"))
    assert response.status_code == 429
    assert "For mange forsøg" in response.get_data(as_text=True)
    assert members() == 2
    assert client.get("/join").status_code == 200  # reading the form is not limited


@pytest.mark.parametrize("app_config", [LIMITED], indirect=True)
def test_the_third_login_link_request_in_a_minute_gets_429(client):
    for _ in range(2):
        assert client.post("/login", data={"email": "x@example.dk"}).status_code == 302
    assert client.post("/login", data={"email": "x@example.dk"}).status_code == 429
