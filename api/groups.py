"""Focus groups and task committees over the API: read a group, its pool and its draw.

The draw itself stays on the staff page: it is a public event with a published seed, done
by a person. A group's candidates are members, so this needs the ``members:write`` scope.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from marshmallow import RAISE, fields
from sqlalchemy import select

from api.blueprints import api_blueprint
from api.models import Scope
from api.pagination import page_body, page_of
from api.problems import abort
from api.schemas import PageArgs, UtcDateTime
from api.tokens import audit_target, requires
from extensions import db
from panel.groups.models import FocusGroup

bp = api_blueprint("api_groups", "Focus groups and task committees drawn by lot")


class QuotaSchema(ma.Schema):
    attribute = fields.String()
    category = fields.String()
    min = fields.Integer()
    max = fields.Integer()


class GroupSchema(ma.Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    purpose = fields.String()
    influence = fields.String()
    size = fields.Integer()
    state = fields.String()
    quotas = fields.List(fields.Nested(QuotaSchema))
    created_at = UtcDateTime()


class GroupPage(ma.Schema):
    items = fields.List(fields.Nested(GroupSchema))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "pass as ?cursor= for the next page; null: none"}
    )


class CandidateSchema(ma.Schema):
    member_id = fields.Integer()
    status = fields.String()
    probability = fields.Float(allow_none=True)


class DrawSchema(ma.Schema):
    seed = fields.String()
    m = fields.Integer()
    slot = fields.Integer()
    min_probability = fields.Float()
    upper_bound = fields.Float()
    leximin_complete = fields.Boolean()
    drawn_at = UtcDateTime()
    panels = fields.List(
        fields.Dict(),
        metadata={"description": "the m panels: counts per type and their number of slots"},
    )
    types = fields.List(fields.Raw())


class GroupDetailSchema(GroupSchema):
    candidates = fields.List(fields.Nested(CandidateSchema))
    draw = fields.Nested(DrawSchema, allow_none=True)


def group_data(group: FocusGroup) -> dict[str, Any]:
    return {
        **{name: getattr(group, name) for name in GroupSchema().fields},
        "kind": group.kind.value,
        "state": group.state.value,
    }


@bp.route("/groups", methods=["GET"])
@requires(Scope.MEMBERS_WRITE, "api.groups.list")
@bp.arguments(PageArgs, location="query", unknown=RAISE)
@bp.response(200, GroupPage)
def list_groups(args: dict[str, Any]) -> dict[str, Any]:
    """Groups by id, a page at a time (scope members:write)."""
    return page_body(page_of(select(FocusGroup), FocusGroup.id, args), args, group_data)


@bp.route("/groups/<id:group_id>", methods=["GET"])
@requires(Scope.MEMBERS_WRITE, "api.group.read")
@bp.response(200, GroupDetailSchema)
def read_group(group_id: int) -> dict[str, Any]:
    """A group with its candidates (member, status, selection probability) and the record
    of its draw: the seed, the m panels and the drawn slot (scope members:write)."""
    group = db.session.get(FocusGroup, group_id)
    if group is None:
        abort(404, message=_("There is no such group."))
    audit_target(f"group:{group.id}")
    return {
        **group_data(group),
        "candidates": [
            {"member_id": c.member_id, "status": c.status.value, "probability": c.probability}
            for c in group.candidates
        ],
        "draw": group.draw,
    }
