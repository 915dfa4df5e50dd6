"""The public forms resist forged posts and floods."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.members.models import Member
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
    assert "Formularen er måske udløbet" in response.get_data(as_text=True)
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


@pytest.mark.parametrize(
    ("language", "heading", "saved"),
    [("da", "Forespørgslen kunne ikke læses", "Intet blev gemt."),
     ("en", "The request could not be read", "Nothing was saved.")],
)  # fmt: skip
def test_a_nul_character_in_a_form_field_gets_a_page_saying_it_could_not_be_read(
    client, language, heading, saved
):
    client.get(f"/language/{language}")
    response = client.post("/join", data={**join_form("a@example.dk"), "name": "Karen\x00"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert heading in text and saved in text
    assert "udløbet" not in text and "expired" not in text  # not the CSRF page's words
    assert members() == 0


@pytest.mark.parametrize(
    "app_config", [{"MAX_CONTENT_LENGTH": 3 * 1024 * 1024 // 2}], indirect=True
)
def test_a_form_over_the_request_limit_gets_a_page_naming_the_form_and_the_limit(client):
    response = client.post("/join", data={**join_form("a@example.dk"), "name": "x" * 2 * 1024**2})
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "Det, du sendte, er for stort" in text and "Filen er for stor" not in text
    assert "Formularen eller filen, du sendte, er for stor. Intet blev gemt." in text
    assert "Der kan højst sendes 1,5 MB ad gangen." in text
    assert members() == 0


def test_a_form_field_over_the_form_limit_gets_the_page_without_a_wrong_limit(app, client):
    """A field of a multipart form (one that can carry a file) is refused over
    ``MAX_FORM_MEMORY_SIZE``, far below the request limit, which the page must not claim."""
    size = app.config["MAX_FORM_MEMORY_SIZE"] + 1
    assert size < app.config["MAX_CONTENT_LENGTH"]
    form = {**join_form("a@example.dk"), "name": "x" * size}
    response = client.post("/join", data=form, content_type="multipart/form-data")
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "Formularen eller filen, du sendte, er for stor. Intet blev gemt." in text
    assert "Der kan højst sendes" not in text
    assert members() == 0
