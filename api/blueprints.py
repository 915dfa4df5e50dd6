"""One way to make an API blueprint, so every area gets the same treatment."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from werkzeug.routing import BaseConverter

from api.problems import register_problem_handlers
from api.tokens import limit_per_token
from core.input_checks import MAX_ID
from extensions import csrf


def api_blueprint(name: str, description: str) -> Blueprint:
    """A flask-smorest blueprint with problem+json errors, the per-token rate limit, and
    no CSRF check (bearer tokens, not cookies: there is nothing to forge).

    Called at import time: Flask allows no changes to a blueprint once an app has it.
    """
    blueprint = Blueprint(name, "api", description=description)
    csrf.exempt(blueprint)
    limit_per_token(blueprint)
    register_problem_handlers(blueprint)
    return blueprint


class IdConverter(BaseConverter):
    """A row id in a URL. Any path segment matches, so that "abc", -1 or a number too
    large for the database reaches the view and gets the API's 404 problem rather than
    the HTML error page; each becomes 0, which no row has."""

    def to_python(self, value: str) -> int:
        number = int(value) if value.isascii() and value.isdigit() else 0
        return number if number <= MAX_ID else 0

    def to_url(self, value: Any) -> str:
        return str(int(value))


def id_schema(converter: IdConverter) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
