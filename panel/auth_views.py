"""Staff login and logout, and the language switch every page links to."""

from __future__ import annotations

from urllib.parse import urlsplit

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
from flask_login import current_user, login_user, logout_user

from extensions import db
from panel.auth import authenticate_staff
from panel.forms import StaffLoginForm
from panel.models import Role, StaffUser

bp = Blueprint("auth", __name__)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths, so a crafted link cannot send users elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return default


def home_for(user: object) -> str:
    if isinstance(user, StaffUser):
        if user.role is Role.POLITICIAN:
            return url_for("panel.index")
        return url_for("staff.overview")
    return url_for("panel.profile")


@bp.route("/staff/login", methods=["GET", "POST"], endpoint="staff_login")
def staff_login() -> ResponseReturnValue:
    if current_user.is_authenticated and isinstance(current_user, StaffUser):
        return redirect(home_for(current_user))
    form = StaffLoginForm()
    if form.validate_on_submit():
        user = authenticate_staff(form.email.data or "", form.password.data or "")
        if user is not None:
            session.clear()
            login_user(user)
            db.session.commit()
            current_app.logger.info("staff %s logged in", user.id)
            return redirect(safe_next(request.args.get("next"), home_for(user)))
        form.password.errors.append(_("The e-mail or password is not right."))
    return render_template("auth/staff_login.html", form=form)


@bp.route("/logout", methods=["POST"], endpoint="logout")
def logout() -> ResponseReturnValue:
    logout_user()
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    flash(_("You are logged out."))
    return redirect(url_for("panel.index"))


@bp.route("/language/<code>", endpoint="set_language")
def set_language(code: str) -> ResponseReturnValue:
    """Plain link (works without JavaScript); the choice is kept in the session."""
    if code in current_app.config["LANGUAGES"]:
        session["language"] = code
        user = current_user
        if user.is_authenticated and getattr(user, "language", None) != code:
            user.language = code
            db.session.commit()
    return redirect(safe_next(request.args.get("next"), url_for("panel.index")))
