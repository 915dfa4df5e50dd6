"""Opaque, stable cursors: the last id of a page, base64-encoded.

Pages are ordered by id, so a cursor stays valid while rows are added or deleted: the next
page starts after that id whatever happened in between.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select

from api.problems import abort
from extensions import db


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"after:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The id to continue after (0 for the first page); 400 for a cursor we did not make."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    kind, _sep, number = text.partition(":")
    if kind != "after" or not number.isdigit() or len(number) > 18:
        abort(400, message=_("The cursor is not one this API gave out."))
    return int(number)


def next_cursor(ids: list[int], limit: int) -> str | None:
    """A cursor after the last of ``ids`` when the page was full (there may be more)."""
    return encode_cursor(ids[-1]) if len(ids) == limit and ids else None


def page_of(statement: Select[Any], key: Any, args: Mapping[str, Any]) -> Sequence[Any]:
    """One page of ``statement``'s rows (objects with an ``id``), in ``key`` order, after
    the request's cursor: every list endpoint pages this one way."""
    return db.session.scalars(
        statement.where(key > decode_cursor(args["cursor"])).order_by(key).limit(args["limit"])
    ).all()


def page_body(
    rows: Sequence[Any], args: Mapping[str, Any], data: Callable[[Any], Any]
) -> dict[str, Any]:
    """The page's items as ``data`` makes them, and the cursor for the next page."""
    return {
        "items": [data(row) for row in rows],
        "next_cursor": next_cursor([row.id for row in rows], args["limit"]),
    }
