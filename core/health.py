"""``/healthz``: whether this worker can serve, for the load balancer in front of gunicorn.

A load balancer takes a worker out of rotation when this answers 503, so the check is the
one thing every page needs: a database connection that answers ``SELECT 1``. It needs no
login (a load balancer has none), says nothing about anyone, and is not rate-limited.
"""

from __future__ import annotations

import logging

from flask import Blueprint
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from extensions import db, limiter

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__, url_prefix="/healthz")


@bp.route("", endpoint="healthz")
@limiter.exempt
def healthz() -> ResponseReturnValue:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log.warning("health check: database unreachable: %s", error.__class__.__name__)
        return {"status": "unavailable", "database": False}, 503
    return {"status": "ok", "database": True}
