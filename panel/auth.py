"""Who is logged in, and what they may do: the one access check of Borgerpanel.

Citizens log in with one-time links (no password to forget or to leak); staff and
politicians with an e-mail and an argon2-hashed password. Both kinds of user live in
Flask-Login's session under an id prefixed by their kind ("member:7", "staff:3"), beside
the account's ``session_version`` at login: logging out raises the account's number, so a
copy of the cookie (stolen, or left in another browser) stops working at once, not only
the browser that pressed the button.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, current_app, has_app_context, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user, user_logged_in
from sqlalchemy import select, update

from core.clock import utcnow
from extensions import db, login_manager
from panel.members.models import LoginToken, Member, MemberStatus, TokenPurpose
from panel.staff.models import Role, StaffUser

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

login_manager.login_view = "auth.staff_login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.session_protection = "strong"


#: Session key of the account's ``session_version`` when the session logged in.
SESSION_VERSION = "session_version"


@login_manager.user_loader
def load_user(user_id: str) -> Member | StaffUser | None:
    kind, _, raw = user_id.partition(":")
    if not raw.isdigit():
        return None
    user: Member | StaffUser | None = None
    if kind == "staff":
        user = db.session.get(StaffUser, int(raw))
    elif kind == "member":
        member = db.session.get(Member, int(raw))
        user = member if member is not None and member.status is not MemberStatus.LEFT else None
    if user is None or session.get(SESSION_VERSION) != user.session_version:
        return None  # a session ended by logout or a password change elsewhere
    return user


@user_logged_in.connect
def _remember_session_version(app: Flask, user: Member | StaffUser, **extra: Any) -> None:
    session[SESSION_VERSION] = user.session_version


def end_sessions(user: Member | StaffUser) -> None:
    """End every session of ``user``, in every browser (caller commits)."""
    db.session.execute(
        update(type(user))
        .where(type(user).id == user.id)
        .values(session_version=type(user).session_version + 1)
    )
    db.session.refresh(user)


def set_password(user: StaffUser, password: str) -> None:
    """A new password ends every session opened with the old one (caller commits)."""
    user.password_hash = hash_password(password)
    end_sessions(user)


def _hasher() -> PasswordHasher:
    """argon2-cffi's profile named by ``ARGON2_PROFILE``: RFC 9106's low-memory one in
    production; the test suite, which checks logins and not the hash's strength, uses
    ``CHEAPEST`` so that a login costs microseconds instead of a fifth of a second."""
    name = current_app.config["ARGON2_PROFILE"] if has_app_context() else None
    return _HASHERS[name or "RFC_9106_LOW_MEMORY"]


_HASHERS = {
    name: PasswordHasher.from_parameters(getattr(profiles, name))
    for name in ("RFC_9106_LOW_MEMORY", "CHEAPEST")
}


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def authenticate_staff(email: str, password: str) -> StaffUser | None:
    """The active staff user with these credentials, or None (same answer for every failure)."""
    user = db.session.scalar(select(StaffUser).filter_by(email=email.strip().lower()))
    hasher = _hasher()
    if user is None:
        hasher.hash(password)  # spend the same time as a real check: no user enumeration
        return None
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = utcnow()
    return user


def role_required(*roles: Role) -> Callable[[F], F]:
    """Only staff users with one of ``roles``; anyone else logged in gets 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not isinstance(current_user, StaffUser) or current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


#: Who may manage the panel: admins and staff, never politicians.
staff_required = role_required(Role.ADMIN, Role.STAFF)


def member_required(view: F) -> F:
    """Only a logged-in panel member; others are sent to the login-link page."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from flask import redirect, url_for

        if not current_user.is_authenticated:
            return redirect(url_for("panel.login"))
        if not isinstance(current_user, Member):
            abort(403)
        return view(*args, **kwargs)

    return cast(F, wrapped)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(member: Member, purpose: TokenPurpose, max_age: timedelta) -> str:
    """Create a one-time token for ``member``; returns the raw token for the link."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        LoginToken(
            member_id=member.id,
            purpose=purpose,
            token_hash=_digest(raw),
            created_at=now,
            expires_at=now + max_age,
        )
    )
    return raw


def consume_token(raw: str, purpose: TokenPurpose, now: datetime | None = None) -> Member | None:
    """The member a valid, unused, unexpired token belongs to, marking it used; else None.

    The token is spent with a single conditional UPDATE, so two clicks racing each other
    cannot both succeed.
    """
    now = now or utcnow()
    token = db.session.scalar(
        select(LoginToken).filter_by(token_hash=_digest(raw), purpose=purpose)
    )
    if token is None or token.used_at is not None or token.expires_at <= now:
        return None
    spent = db.session.execute(
        update(LoginToken)
        .where(LoginToken.id == token.id, LoginToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(spent, "rowcount", 0) != 1:
        return None
    db.session.refresh(token)
    return db.session.get(Member, token.member_id)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths, so a crafted link cannot send users elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return default
