"""API tokens: created by admins, shown once, stored hashed, scoped, revocable, audited.

``requires`` wraps every API view: it authenticates the bearer token (401 when it is
missing, unknown, expired or revoked; 403 when it lacks the scope), runs the view, and
records the call in the audit trail as ``token:<id>`` in the same transaction as any
change the view made, so a change and its record are stored together or not at all.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, current_app, g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from sqlalchemy import select

from api.models import ApiToken, Scope
from api.problems import abort
from core.audit import record
from core.clock import utcnow
from extensions import db, limiter

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
#: Tokens start with this, so a leaked one is recognisable (e.g. by secret scanners).
PREFIX = "bp_"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(
    name: str,
    scopes: Iterable[Scope | str],
    expires_at: datetime,
    created_by_id: int | None = None,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its raw value, which is shown once and never stored; caller commits."""
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_hash=_digest(raw),
        scopes=sorted({Scope(s).value for s in scopes}),
        created_at=now or utcnow(),
        created_by_id=created_by_id,
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    log.info("API token %s created", token.id)
    return token, raw


def revoke_token(token: ApiToken, now: datetime | None = None) -> None:
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        log.info("API token %s revoked", token.id)


def _bearer() -> str | None:
    kind, _sep, raw = request.headers.get("Authorization", "").partition(" ")
    return raw.strip() if kind.lower() == "bearer" and raw.strip() else None


def authenticate(now: datetime | None = None) -> ApiToken:
    """The request's valid token, or a 401 problem (the same for every reason)."""
    raw = _bearer()
    token = db.session.scalar(select(ApiToken).filter_by(token_hash=_digest(raw))) if raw else None
    if token is None or not token.is_valid(now or utcnow()):
        abort(401, message=_("A valid API token is needed: Authorization: Bearer <token>."))
    return token


def _target(kwargs: dict[str, Any]) -> str:
    """``member_id=5`` → "member:5": what the call was about, from the URL."""
    for name, value in kwargs.items():
        if name.endswith("_id"):
            return f"{name.removesuffix('_id')}:{value}"
    return ""


def audit_details(**details: Any) -> None:
    """Facts the view wants in its audit entry (counts, filters; never personal data)."""
    g.setdefault("api_audit", {}).update(details)


def requires(scope: Scope | None, action: str) -> Callable[[F], F]:
    """Authenticate, check ``scope`` (None: any valid token), run, audit ``action``, commit."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            token = authenticate()
            if scope is not None and scope.value not in token.scopes:
                abort(403, message=_("This token lacks the scope %(scope)s.", scope=scope.value))
            g.api_token = token
            result = view(*args, **kwargs)
            token.last_used_at = utcnow()
            target = g.pop("api_target", None) or _target(kwargs)
            record(action, target, actor=f"token:{token.id}", **g.pop("api_audit", {}))
            db.session.commit()
            return result

        return cast(F, wrapped)

    return decorator


def audit_target(target: str) -> None:
    """Name the audit entry's target when the URL does not (e.g. a member just created)."""
    g.api_target = target


def _rate_key() -> str:
    raw = _bearer()
    return "token:" + _digest(raw)[:32] if raw else get_remote_address()


def limit_per_token(blueprint: Blueprint) -> None:
    """One budget per token across the API (``API_RATE_LIMIT``); 429 with Retry-After."""
    limiter.shared_limit(
        lambda: str(current_app.config["API_RATE_LIMIT"]), scope="api", key_func=_rate_key
    )(blueprint)
