"""Staff pages for the panel: overview and composition, members, imports, population."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from panel.auth import staff_required

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/", endpoint="overview")
@staff_required
def overview() -> ResponseReturnValue:
    return render_template("staff/overview.html")


@bp.route("/members", endpoint="members")
@staff_required
def members() -> ResponseReturnValue:
    return render_template("staff/overview.html")
