"""Public and citizen pages of the panel: join, confirm, log in by link, own profile."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from panel.auth import member_required

bp = Blueprint("panel", __name__)


@bp.route("/", endpoint="index")
def index() -> ResponseReturnValue:
    return render_template("panel/index.html")


@bp.route("/about", endpoint="about")
def about() -> ResponseReturnValue:
    return render_template("panel/about.html")


@bp.route("/login", methods=["GET", "POST"], endpoint="login")
def login() -> ResponseReturnValue:
    return render_template("panel/index.html")


@bp.route("/profile", endpoint="profile")
@member_required
def profile() -> ResponseReturnValue:
    return render_template("panel/index.html")
