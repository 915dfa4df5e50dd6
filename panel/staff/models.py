"""Staff accounts and their roles: who may design, send and read what."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    DateTime,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from extensions import Base, value_enum


class Role(enum.StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    #: Reads aggregated, suppressed results only; never an individual's data.
    POLITICIAN = "politician"


class StaffUser(UserMixin, Base):
    """A region employee or politician who logs in with e-mail and password."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: argon2 hash (argon2-cffi's PasswordHasher).
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(value_enum(Role, "staff_role"))
    #: A deactivated account cannot log in; kept for the history of what it did.
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(String(5), default="da")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: The shared TOTP secret (base32), set once the user confirmed a first code. Stored
    #: as it is, because checking a code needs it; the database backup must be guarded
    #: like the passwords' (see SECURITY.md).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: The 30-second time step of the last accepted code: a code works only once.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    #: Sessions carry the number they were opened under; raising it (``panel.auth.end_sessions``
    #: at logout and password change) ends every session of this account.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def get_id(self) -> str:
        return f"staff:{self.id}"

    @property
    def has_two_factor(self) -> bool:
        return self.totp_secret is not None

    @property
    def is_active(self) -> bool:
        return self.active
