"""Behind the reverse proxy each client keeps its own address, and only the proxy is believed."""

from __future__ import annotations

import pytest

from tests.conftest import make_config

PROXY = "10.0.0.1"


@pytest.fixture
def app_config(database_url, tmp_path):
    return make_config(
        database_url,
        tmp_path,
        RATELIMIT_ENABLED=True,
        STAFF_LOGIN_RATE_LIMIT="3 per 15 minutes",
        FORWARDED_ALLOW_IPS=f"{PROXY}, 192.168.0.0/24",
    )


def failed_login(client, n: int, peer: str, forwarded_for: str | None = None) -> int:
    """A wrong password for a different account each time, so only the address counts."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = client.post(
        "/staff/login",
        data={"email": f"guess{n}@x.dk", "password": "wrong"},
        environ_base={"REMOTE_ADDR": peer},
        headers=headers,
    )
    return response.status_code


@pytest.mark.parametrize("proxy", [PROXY, "192.168.0.77"])
def test_behind_the_proxy_one_client_locked_out_does_not_lock_out_the_others(client, proxy):
    for n in range(3):
        assert failed_login(client, n, proxy, "203.0.113.5") == 200
    assert failed_login(client, 3, proxy, "203.0.113.5") == 429
    assert failed_login(client, 4, proxy, "203.0.113.6") == 200


def test_a_client_not_behind_the_proxy_cannot_choose_its_address(client):
    for n in range(3):
        assert failed_login(client, n, "198.51.100.7", f"203.0.113.{n}") == 200
    assert failed_login(client, 3, "198.51.100.7", "203.0.113.99") == 429
