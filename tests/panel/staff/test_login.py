"""Staff login: throttled after failed attempts, two-factor codes, admins must use them."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import create_engine, text

from extensions import db
from panel.staff import two_factor
from panel.staff.models import Role, StaffUser
from tests.conftest import make_config
from tests.factories import STAFF_PASSWORD, StaffUserFactory

LIMITED = {"RATELIMIT_ENABLED": True, "STAFF_LOGIN_RATE_LIMIT": "3 per 15 minutes"}


@pytest.fixture
def app_config(request, database_url, tmp_path):
    return make_config(database_url, tmp_path, **getattr(request, "param", {}))


def staff(role: Role = Role.STAFF, secret: str | None = None) -> StaffUser:
    user = StaffUserFactory(role=role, totp_secret=secret)
    db.session.commit()
    return user


def password(client, user: StaffUser, value: str = STAFF_PASSWORD):
    return client.post("/staff/login", data={"email": user.email, "password": value})


@pytest.mark.parametrize("app_config", [LIMITED], indirect=True)
def test_after_too_many_wrong_passwords_the_account_is_paused_even_from_elsewhere(app):
    user = staff()
    for _ in range(3):
        assert password(app.test_client(), user, "wrong").status_code == 200
    other_address = app.test_client()
    response = other_address.post(
        "/staff/login",
        data={"email": user.email, "password": STAFF_PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 429
    assert "Too many login attempts" in response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [LIMITED], indirect=True)
def test_one_address_trying_many_accounts_is_paused(client):
    for n in range(3):
        client.post("/staff/login", data={"email": f"guess{n}@x.dk", "password": "wrong"})
    user = staff()
    client.get("/language/da")
    response = password(client, user)
    assert response.status_code == 429
    assert "For mange loginforsøg" in response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [LIMITED], indirect=True)
def test_successful_logins_do_not_count_as_attempts(app):
    user = staff()
    for _ in range(4):
        client = app.test_client()
        assert password(client, user).status_code == 302


def test_with_two_factor_the_password_alone_does_not_log_in(client):
    secret = pyotp.random_base32()
    user = staff(secret=secret)
    response = password(client, user)
    assert response.headers["Location"].startswith("/staff/login/code")
    assert client.get("/staff/").headers["Location"].startswith("/staff/login")
    wrong = client.post("/staff/login/code", data={"code": "000000"})
    assert wrong.status_code == 200
    response = client.post("/staff/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert response.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_a_code_works_only_once(app):
    secret = pyotp.random_base32()
    user = staff(secret=secret)
    code = pyotp.TOTP(secret).now()
    first, second = app.test_client(), app.test_client()
    password(first, user)
    assert first.post("/staff/login/code", data={"code": code}).status_code == 302
    password(second, user)
    assert second.post("/staff/login/code", data={"code": code}).status_code == 200
    assert second.get("/staff/").status_code == 302


def test_a_code_raced_by_two_requests_is_accepted_once(app, database_url):
    """The second request read the account before the first spent the code (a double
    submit, or a shoulder-surfer racing the owner); it must not be let in too."""
    secret = pyotp.random_base32()
    user = staff(secret=secret)
    code = pyotp.TOTP(secret).now()
    step = two_factor.accepted_step(secret, code, None)
    assert user.totp_last_step is None  # as this request read it
    other = create_engine(database_url)
    with other.begin() as connection:  # the first request spends the code and commits
        connection.execute(
            text("UPDATE staff_user SET totp_last_step = :step WHERE id = :id"),
            {"step": step, "id": user.id},
        )
    other.dispose()
    assert two_factor.check_code(user, code) is False


def test_politicians_can_set_up_two_factor_login_too(client):
    password(client, staff(Role.POLITICIAN))
    page = client.get("/staff/login/two-factor")
    assert page.status_code == 200 and "otpauth://" in page.get_data(as_text=True)


def test_the_code_page_without_a_right_password_sends_to_the_login(client):
    response = client.post("/staff/login/code", data={"code": "123456"})
    assert response.headers["Location"].startswith("/staff/login")


def test_staff_set_up_two_factor_with_a_code_from_their_app(client):
    user = staff()
    password(client, user)
    page = client.get("/staff/login/two-factor").get_data(as_text=True)
    uri = next(part for part in page.split('"') if part.startswith("otpauth://"))
    secret = pyotp.parse_uri(uri.replace("&amp;", "&")).secret
    assert secret in page  # shown as text too, for typing in
    assert client.post("/staff/login/two-factor", data={"code": "000000"}).status_code == 200
    response = client.post("/staff/login/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(StaffUser, user.id).totp_secret == secret  # type: ignore[union-attr]


def test_an_admin_without_two_factor_can_do_nothing_before_setting_it_up(client):
    user = staff(Role.ADMIN)
    response = password(client, user)
    assert response.headers["Location"] == "/staff/login/two-factor"
    for path in ("/staff/", "/staff/members", "/staff/audit", "/results"):
        assert client.get(path).headers["Location"] == "/staff/login/two-factor"
    page = client.get("/staff/login/two-factor").get_data(as_text=True)
    secret = page.split('<code class="secret">')[1].split("<")[0]
    client.post("/staff/login/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert client.get("/staff/").status_code == 200


def test_an_admin_cannot_turn_two_factor_off(app):
    from tests.helpers import login_staff

    client = app.test_client()
    user = login_staff(client, Role.ADMIN)
    secret = user.totp_secret
    client.get("/language/en")
    assert "Turn off" not in client.get("/staff/login/two-factor").get_data(as_text=True)
    client.post("/staff/login/two-factor", data={"code": pyotp.TOTP(secret).now()})
    db.session.expire_all()
    assert db.session.get(StaffUser, user.id).totp_secret == secret  # type: ignore[union-attr]
