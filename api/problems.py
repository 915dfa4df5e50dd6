"""Errors as RFC 9457 problem documents (``application/problem+json``).

Validation errors carry one entry per field, so an integration can point at what to fix:
``{"location": "json", "field": "attributes.gender", "detail": "..."}``.
"""

from __future__ import annotations

import time
from typing import Any, NoReturn

import marshmallow as ma
from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from flask_smorest import abort as smorest_abort
from werkzeug.exceptions import HTTPException, default_exceptions

from extensions import limiter

PROBLEM_JSON = "application/problem+json"


class FieldErrorSchema(ma.Schema):
    location = ma.fields.String(metadata={"description": "json, query, path or row"})
    field = ma.fields.String(allow_none=True, metadata={"description": "dotted field name"})
    #: For bulk imports: the line of the CSV (or the item number + 1 of a JSON list).
    line = ma.fields.Integer(allow_none=True)
    detail = ma.fields.String()


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem; ``errors`` lists field-by-field validation errors."""

    type = ma.fields.String(metadata={"description": "about:blank"})
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(FieldErrorSchema))


def field_errors(messages: Any, location: str = "json", prefix: str = "") -> list[dict[str, Any]]:
    """marshmallow's nested ``{field: [message]}`` as a flat list of field errors."""
    if isinstance(messages, dict):
        found = []
        for name, inner in messages.items():
            field = f"{prefix}.{name}" if prefix else str(name)
            found.extend(field_errors(inner, location, field))
        return found
    if isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        return [{"location": location, "field": prefix or None, "detail": m} for m in messages]
    if isinstance(messages, list | tuple):
        return [e for inner in messages for e in field_errors(inner, location, prefix)]
    return [{"location": location, "field": prefix or None, "detail": str(messages)}]


def problem(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": error.name,
        "status": status,
        "detail": data.get("message") or error.description or error.name,
    }
    if "errors" in data:
        body["errors"] = data["errors"]
    elif "messages" in data:  # webargs: {location: {field: [messages]}}
        body["errors"] = [
            e for location, inner in data["messages"].items() for e in field_errors(inner, location)
        ]
    response = jsonify(body)
    response.status_code = status
    response.content_type = PROBLEM_JSON
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="borgerpanel"'
    if status == 429:
        current = limiter.current_limit
        wait = current.reset_at - time.time() if current is not None else 60
        response.headers["Retry-After"] = str(max(1, int(wait)))
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


def register_problem_handlers(blueprint: Blueprint) -> None:
    """Per status code, so these win over the app's HTML pages for the same codes."""
    for code in default_exceptions:
        blueprint.register_error_handler(code, problem)


def abort(
    status: int, message: str | None = None, errors: list[dict[str, Any]] | None = None
) -> NoReturn:
    """Stop with a problem document; ``errors`` the field-by-field list."""
    data: dict[str, Any] = {}
    if message is not None:
        data["message"] = message
    if errors is not None:
        data["errors"] = errors
    smorest_abort(status, **data)
    raise AssertionError("unreachable")  # pragma: no cover
