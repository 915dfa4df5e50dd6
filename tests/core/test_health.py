"""``/healthz``: what the load balancer asks each gunicorn worker."""

from __future__ import annotations

from app import create_app
from tests.conftest import make_config


def test_healthz_answers_ok_without_login_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": True}


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path):
    unreachable = f"sqlite:///{tmp_path / 'no-such-folder' / 'panel.sqlite'}"
    app = create_app(make_config(unreachable, tmp_path))

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": False}
