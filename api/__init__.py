"""The integration API under ``/api/v1``: JSON resources described by an OpenAPI document.

flask-smorest builds the OpenAPI document from the marshmallow schemas the views use, so
the description cannot drift from the code. Each area has a blueprint of its own
(``members``, ``surveys``, ``results``); every view authenticates a bearer token and
records its use in the audit trail (``api.tokens.requires``). Errors are RFC 9457
problem documents on these blueprints only; the HTML pages keep their error pages.
"""

from __future__ import annotations

import http
from typing import Any

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from api.problems import PROBLEM_JSON, ProblemSchema

PREFIX = "/api/v1"
#: The Swagger UI of ``/api/v1/docs``, an exact version: ``templates/swagger_ui.html`` pins
#: its files' hashes (Subresource Integrity), which change with the version.
SWAGGER_UI_VERSION = "5.32.0"
DEFAULTS: dict[str, Any] = {
    "API_TITLE": "Borgerpanel",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": PREFIX,
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": f"https://cdn.jsdelivr.net/npm/swagger-ui-dist@{SWAGGER_UI_VERSION}/",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "Authenticate with `Authorization: Bearer <token>`; admins create tokens "
                "with scopes at /staff/api/tokens. Errors are application/problem+json."
            )
        },
        "security": [{"bearerAuth": []}],
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    },
    #: Requests per token (Flask-Limiter syntax); a 429 says when to retry.
    "API_RATE_LIMIT": "120 per minute;5000 per hour",
}


class ProblemApi(Api):
    """flask-smorest's Api with errors documented and sent as application/problem+json.

    flask-smorest would register its JSON error handler for the whole app; ours goes on
    the API blueprints only (``register_problem_handlers``).
    """

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        pass

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)


def init_app(app: Flask) -> None:
    from api import groups, initiatives, members, models, results, surveys, webhooks  # noqa: F401
    from api.blueprints import IdConverter, id_schema
    from api.staff_views import bp as staff_bp

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.url_map.converters["id"] = IdConverter
    api = ProblemApi(app)
    api.register_converter(IdConverter, id_schema)
    for blueprint in (members.bp, surveys.bp, results.bp, groups.bp, initiatives.bp):
        api.register_blueprint(blueprint, url_prefix=PREFIX)
    app.register_blueprint(staff_bp)
    webhooks.register_jobs()
