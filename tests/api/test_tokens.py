"""API tokens: admins make them on a page and see them once; a token works until it
expires or is revoked, only for its scopes, within its rate limit, and every use lands in
the audit trail. Errors are problem documents."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from api.models import ApiToken, Scope
from api.tokens import create_token
from core.audit import AuditEvent
from core.clock import today, utcnow
from extensions import db
from panel.staff.models import Role
from tests.api_client import bearer, problem
from tests.conftest import make_config
from tests.helpers import login_as, login_staff


@pytest.fixture
def app_config(request, database_url, tmp_path):
    return make_config(database_url, tmp_path, **getattr(request, "param", {}))


def test_an_admin_creates_a_token_that_is_shown_once_and_stored_hashed(client):
    login_staff(client, Role.ADMIN)
    page = client.post(
        "/staff/api/tokens",
        data={
            "name": "Dashboard",
            "scopes": ["results:read"],
            "expires_on": (today() + timedelta(days=90)).isoformat(),
        },
    )
    assert page.status_code == 200
    raw = re.search(r'<code id="new-token">([^<]+)</code>', page.get_data(as_text=True)).group(1)
    token = db.session.scalar(select(ApiToken))
    assert token.name == "Dashboard" and token.scopes == ["results:read"]
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in token.token_hash
    # the list shows the token, but never its value again
    listing = client.get("/staff/api/tokens").get_data(as_text=True)
    assert "Dashboard" in listing and raw not in listing
    response = client.get("/api/v1/waves", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200


def test_an_expiry_in_the_past_is_refused(client):
    login_staff(client, Role.ADMIN)
    page = client.post(
        "/staff/api/tokens",
        data={"name": "Old", "scopes": ["results:read"], "expires_on": today().isoformat()},
    )
    assert page.status_code == 200
    assert db.session.scalar(select(ApiToken)) is None


@pytest.mark.parametrize("who", ["staff", "politician", "citizen"])
def test_only_admins_reach_the_token_and_webhook_pages(client, who):
    if who == "staff":
        login_staff(client, Role.STAFF)
    else:
        login_as(client, who)
    assert client.get("/staff/api/tokens").status_code == 403
    assert client.get("/staff/api/webhooks").status_code == 403


def test_a_revoked_token_gets_401_from_then_on(client):
    headers = bearer(Scope.RESULTS_READ)
    assert client.get("/api/v1/waves", headers=headers).status_code == 200
    login_staff(client, Role.ADMIN)
    token = db.session.scalar(select(ApiToken))
    response = client.post(f"/staff/api/tokens/{token.id}/revoke")
    assert response.status_code == 302
    body = problem(client.get("/api/v1/waves", headers=headers), 401)
    assert "Bearer" in body["detail"]


def test_an_expired_token_gets_401(client):
    created = utcnow() - timedelta(days=10)
    _token, raw = create_token(
        "Old", [Scope.RESULTS_READ], created + timedelta(days=1), now=created
    )
    db.session.commit()
    response = client.get("/api/v1/waves", headers={"Authorization": f"Bearer {raw}"})
    problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", [None, "Bearer bp_not-a-token", "Basic dXNlcjpwYXNz"])
def test_a_missing_or_unknown_token_gets_401(client, header):
    headers = {"Authorization": header} if header else {}
    problem(client.get("/api/v1/attributes", headers=headers), 401)


@pytest.mark.parametrize(
    ("method", "url", "needs"),
    [
        ("get", "/api/v1/members", "members:write"),
        ("post", "/api/v1/members/import", "members:write"),
        ("post", "/api/v1/questionnaires", "surveys:write"),
        ("post", "/api/v1/waves", "surveys:write"),
        ("get", "/api/v1/waves/1/answers", "answers:export"),
        ("get", "/api/v1/waves/1/results", "results:read"),
    ],
)
def test_a_token_without_the_scope_gets_403(client, method, url, needs):
    others = [s for s in Scope if s.value != needs]
    response = getattr(client, method)(url, headers=bearer(*others), json={})
    assert needs in problem(response, 403)["detail"]


def test_every_use_is_audited_as_the_token(client):
    headers = bearer(Scope.RESULTS_READ)
    token = db.session.scalar(select(ApiToken))
    client.get("/api/v1/attributes", headers=headers)
    client.get("/api/v1/waves", headers=headers)
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.actor, e.action) for e in events] == [
        (f"token:{token.id}", "api.attributes.read"),
        (f"token:{token.id}", "api.waves.list"),
    ]
    assert token.last_used_at is not None


def test_errors_are_problem_documents_with_field_by_field_validation(client):
    headers = bearer(Scope.MEMBERS_WRITE)
    body = problem(
        client.post("/api/v1/members", headers=headers, json={"email": "nope", "extra": 1}),
        422,
    )
    fields = {(e["location"], e["field"]) for e in body["errors"]}
    assert fields == {("json", "email"), ("json", "birth_year"), ("json", "extra")}
    assert body["title"] == "Unprocessable Entity"
    problem(client.get("/api/v1/members/999999", headers=headers), 404)
    problem(client.get("/api/v1/members?cursor=garbage", headers=headers), 400)


def test_the_html_pages_keep_their_error_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.content_type.startswith("text/html")


@pytest.mark.parametrize(
    "app_config",
    [{"RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "2 per minute"}],
    indirect=True,
)
def test_each_token_has_its_own_rate_limit_and_is_told_when_to_retry(client):
    first, second = bearer(Scope.RESULTS_READ), bearer(Scope.RESULTS_READ)
    for _ in range(2):
        assert client.get("/api/v1/attributes", headers=first).status_code == 200
    response = client.get("/api/v1/attributes", headers=first)
    problem(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert client.get("/api/v1/attributes", headers=second).status_code == 200


def test_the_docs_page_loads_swagger_ui_pinned_with_integrity_hashes(client):
    import re

    page = client.get("/api/v1/docs").get_data(as_text=True)
    tags = re.findall(r"<(?:script|link)[^>]*(?:src|href)=\"https?://[^>]*>", page)
    assert len(tags) == 3
    for tag in tags:
        assert re.search(r"swagger-ui-dist@\d+\.\d+\.\d+/", tag), tag  # an exact version
        assert re.search(r'integrity="sha384-[A-Za-z0-9+/=]{64}"', tag), tag
        assert 'crossorigin="anonymous"' in tag


def test_the_openapi_document_and_docs_are_served(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/waves/{wave_id}/results" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    error = spec["components"]["responses"]["UNPROCESSABLE_ENTITY"]
    assert "application/problem+json" in error["content"]
    assert client.get("/api/v1/docs").status_code == 200
