"""Staff login (password, then a two-factor code when set up) and the two-factor set-up
page. Logging out and the language switch are everyone's (``panel.members.views``).

Password and code attempts are limited per client address and per account
(``STAFF_LOGIN_RATE_LIMIT``); only failed attempts count.
"""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from extensions import db, limiter
from panel.auth import authenticate_staff, role_required, safe_next
from panel.members.forms import StaffLoginForm
from panel.staff import two_factor
from panel.staff.forms import TwoFactorCodeForm
from panel.staff.models import Role, StaffUser
from security import staff_logged_in

bp = Blueprint("auth", __name__, url_prefix="/staff/login")

#: Session keys of a login waiting for its second factor.
PENDING_USER, PENDING_SINCE = "pending_staff", "pending_since"
#: How long the code page waits after the password was right.
PENDING_SECONDS = 300
#: What an admin without two-factor login may still reach.
SET_UP_ENDPOINTS = {"auth.two_factor", "panel.logout", "panel.set_language", "static"}


def _limit() -> str:
    return str(current_app.config["STAFF_LOGIN_RATE_LIMIT"])


def _failed(response: Response) -> bool:
    """Successful logins redirect; only the pages shown again after a failure count."""
    return response.status_code != 302


def _account_key() -> str:
    """The account tried: the e-mail typed, or the one waiting for its code."""
    if request.endpoint == "auth.staff_login_code":
        return f"staff-login:{session.get(PENDING_USER)}"
    return "staff-login:" + request.form.get("email", "").strip().lower()


throttled = limiter.limit(_limit, methods=["POST"], deduct_when=_failed)
throttled_per_account = limiter.limit(
    _limit, methods=["POST"], deduct_when=_failed, key_func=_account_key
)


@bp.errorhandler(429)
def too_many_attempts(error: Exception) -> ResponseReturnValue:
    return render_template("auth/too_many_attempts.html"), 429


@bp.before_app_request
def admins_set_up_two_factor_first() -> ResponseReturnValue | None:
    if request.endpoint in SET_UP_ENDPOINTS or not two_factor.needs_set_up(current_user):
        return None
    return redirect(url_for("auth.two_factor"))


def _log_in(user: StaffUser) -> ResponseReturnValue:
    next_page = request.args.get("next")
    session.clear()
    login_user(user)
    staff_logged_in()
    db.session.commit()
    current_app.logger.info("staff %s logged in", user.id)
    if two_factor.needs_set_up(user):
        return redirect(url_for("auth.two_factor"))
    return redirect(safe_next(next_page, home_for(user)))


def home_for(user: object) -> str:
    if isinstance(user, StaffUser):
        if user.role is Role.POLITICIAN:
            return url_for("panel.index")
        return url_for("staff.overview")
    return url_for("panel.profile")


@bp.route("", methods=["GET", "POST"], endpoint="staff_login")
@throttled
@throttled_per_account
def staff_login() -> ResponseReturnValue:
    if current_user.is_authenticated and isinstance(current_user, StaffUser):
        return redirect(home_for(current_user))
    form = StaffLoginForm()
    if form.validate_on_submit():
        user = authenticate_staff(form.email.data or "", form.password.data or "")
        if user is not None and user.has_two_factor:
            db.session.commit()
            session.clear()
            session[PENDING_USER] = user.id
            session[PENDING_SINCE] = int(time.time())
            return redirect(url_for("auth.staff_login_code", next=request.args.get("next")))
        if user is not None:
            return _log_in(user)
        form.password.errors.append(_("The e-mail or password is not right."))
    return render_template("auth/staff_login.html", form=form)


def _pending_user() -> StaffUser | None:
    since = session.get(PENDING_SINCE)
    if not isinstance(since, int) or time.time() - since > PENDING_SECONDS:
        return None
    user_id = session.get(PENDING_USER)
    return db.session.get(StaffUser, user_id) if isinstance(user_id, int) else None


@bp.route("/code", methods=["GET", "POST"], endpoint="staff_login_code")
@throttled
@throttled_per_account
def staff_login_code() -> ResponseReturnValue:
    """The second step: the code from the user's authenticator app."""
    user = _pending_user()
    if user is None or not user.active:
        flash(_("Please log in again."))
        return redirect(url_for("auth.staff_login", next=request.args.get("next")))
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        if two_factor.check_code(user, form.code.data or ""):
            return _log_in(user)
        form.code.errors.append(_("The code is not right. Enter the newest code from your app."))
    return render_template("auth/staff_login_code.html", form=form)


@bp.route("/two-factor", methods=["GET", "POST"], endpoint="two_factor")
@role_required(Role.ADMIN, Role.STAFF, Role.POLITICIAN)
def two_factor_page() -> ResponseReturnValue:
    """Set up (or, for non-admins, turn off) two-factor login.

    The new secret waits in the session until a code from the app confirms it, so a
    half-finished set-up never locks anyone out.
    """
    user = current_user._get_current_object()
    form = TwoFactorCodeForm()
    if user.has_two_factor:
        if form.validate_on_submit():
            if two_factor.disable(user, form.code.data or ""):
                db.session.commit()
                flash(_("Two-factor login is turned off."))
                return redirect(url_for("auth.two_factor"))
            form.code.errors.append(
                _("The code is not right. Enter the newest code from your app.")
            )
        return render_template("auth/two_factor.html", form=form, user=user)
    secret = session.get("totp_secret_pending")
    if not isinstance(secret, str):
        secret = session["totp_secret_pending"] = two_factor.new_secret()
    if form.validate_on_submit():
        if two_factor.enable(user, secret, form.code.data or ""):
            db.session.commit()
            session.pop("totp_secret_pending", None)
            flash(_("Two-factor login is on. From now on you log in with a code from your app."))
            return redirect(home_for(user))
        form.code.errors.append(_("The code is not right. Enter the newest code from your app."))
    return render_template(
        "auth/two_factor.html",
        form=form,
        user=user,
        secret=secret,
        uri=two_factor.provisioning_uri(user, secret),
    )
