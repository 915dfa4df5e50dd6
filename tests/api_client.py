"""Shared by the API tests: a token with given scopes, and the header that carries it."""

from __future__ import annotations

from datetime import timedelta

from api.models import Scope
from api.tokens import create_token
from core.clock import utcnow
from extensions import db

EVERY_SCOPE = tuple(Scope)


def bearer(*scopes: Scope, days: int = 30) -> dict[str, str]:
    """The Authorization header of a new token with ``scopes`` (committed)."""
    _token, raw = create_token("Test integration", scopes, utcnow() + timedelta(days=days))
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def problem(response, status: int) -> dict:
    """The problem document of ``response``, checking its status and media type."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    return body
