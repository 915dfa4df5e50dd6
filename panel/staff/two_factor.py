"""Two-factor login for staff: a time-based one-time code (TOTP, RFC 6238) from an app.

Any authenticator app (the phone's own, FreeOTP, Microsoft/Google Authenticator) reads
the secret from the ``otpauth://`` URI or the secret typed in. A code is accepted one
30-second step either side of now (clocks drift) and only once: the step of the last
accepted code is stored, so a code seen over a shoulder cannot be used again.
Admins must use it (``needs_set_up``); staff and politicians may.
"""

from __future__ import annotations

import time

import pyotp
from sqlalchemy import or_, update

from core.audit import record
from extensions import db
from panel.staff.models import Role, StaffUser

ISSUER = "Borgerpanel"
#: How many 30-second steps either side of now a code may come from.
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: StaffUser, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def accepted_step(
    secret: str, code: str, last_step: int | None, now: float | None = None
) -> int | None:
    """The time step ``code`` belongs to, if it is valid and newer than ``last_step``."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // totp.interval)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.at(step * totp.interval), code):
            return step
    return None


def check_code(user: StaffUser, code: str) -> bool:
    """Whether ``code`` is a fresh code of ``user``'s; spends it (caller commits).

    The step is spent by a conditional UPDATE (only if no request has spent this step or a
    later one meanwhile), so two requests racing with the same code cannot both log in:
    on PostgreSQL the second waits for the first's row lock and then matches no row.
    """
    if user.totp_secret is None:
        return False
    step = accepted_step(user.totp_secret, code, user.totp_last_step)
    if step is None:
        return False
    spent = db.session.execute(
        update(StaffUser)
        .where(
            StaffUser.id == user.id,
            or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user)
    return getattr(spent, "rowcount", 0) == 1


def enable(user: StaffUser, secret: str, code: str) -> bool:
    """Turn two-factor login on once the user proves their app has ``secret``."""
    step = accepted_step(secret, code, None)
    if step is None:
        return False
    user.totp_secret = secret
    user.totp_last_step = step
    record("staff.two_factor_on", user.get_id())
    return True


def disable(user: StaffUser, code: str) -> bool:
    """Turn it off, with a current code; never for admins, who must keep it."""
    if user.role is Role.ADMIN or not check_code(user, code):
        return False
    user.totp_secret = None
    user.totp_last_step = None
    record("staff.two_factor_off", user.get_id())
    return True


def needs_set_up(user: object) -> bool:
    """An admin without two-factor login may do nothing before setting it up."""
    return isinstance(user, StaffUser) and user.role is Role.ADMIN and not user.has_two_factor
