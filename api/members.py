"""Members, attributes and population figures over the API.

Creating and importing members go through the staff CSV import (``panel.members.imports``), so a
member made by the API passes exactly the checks of one uploaded by staff, and a bulk
import is all or nothing with an error per bad row. Everything here that shows or changes
a member's personal data needs the ``members:write`` scope.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from marshmallow import RAISE
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.blueprints import api_blueprint
from api.models import Scope
from api.pagination import page_body, page_of
from api.problems import abort
from api.schemas import (
    AttributeSchema,
    ImportResultSchema,
    MemberCreateSchema,
    MemberImportSchema,
    MemberPage,
    MemberSchema,
    MemberUpdateSchema,
    PageArgs,
    PopulationSchema,
)
from api.tokens import audit_details, audit_target, requires
from extensions import db
from panel.demographics.attributes import category_indexes, load_attributes, validate_attributes
from panel.demographics.composition import latest_population_table
from panel.demographics.models import AttributeKind, PopulationFigure
from panel.members.imports import import_members
from panel.members.models import Member
from panel.members.operations import (
    EmailUnavailable,
    MemberDetails,
    delete_member,
    find_by_email,
    update_profile,
)

bp = api_blueprint("api_members", "Members, attributes, population figures")


def member_data(member: Member) -> dict[str, Any]:
    contact = member.contact
    return {
        **{c: getattr(member, c) for c in MemberSchema().fields if hasattr(Member, c)},
        "status": member.status.value,
        "email": contact.email if contact else None,
        "name": contact.name if contact else None,
    }


def members_csv(items: Sequence[dict[str, Any]]) -> str:
    """Members given as JSON, as the CSV the staff import reads (header on line 1)."""
    keys = [a.key for a in load_attributes() if a.kind is AttributeKind.CATEGORY]
    keys += sorted({k for item in items for k in item["attributes"]} - set(keys))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "birth_year", "name", "language", *keys])
    for item in items:
        writer.writerow(
            [item["email"], item["birth_year"], item["name"] or "", item["language"]]
            + [item["attributes"].get(key, "") for key in keys]
        )
    return out.getvalue()


def _item(line: int) -> str:
    """A JSON list's item i is line i + 2 of the CSV made from it (the header is line 1)."""
    return f"members[{line - 2}]" if line > 1 else "members"


def _import(source: str, consent_given: bool, json_items: bool) -> int:
    """Run the staff import; 422 with one error per bad row (line numbers of the CSV)."""
    result = import_members(source, consent_given=consent_given)
    if result.errors:
        errors = [
            {
                "location": "row",
                "line": line,
                # a JSON list's item i is line i + 2 of the CSV made from it
                "field": (f"members[{line - 2}]" if line > 1 else "members")
                if json_items
                else None,
                "detail": message,
            }
            for line, message in result.errors
        ]
        abort(422, message=_("Nothing was imported: fix these rows."), errors=errors)
    return result.created


@bp.route("/members", methods=["GET"])
@requires(Scope.MEMBERS_WRITE, "api.members.list")
@bp.arguments(PageArgs, location="query", unknown=RAISE)
@bp.response(200, MemberPage)
def list_members(args: dict[str, Any]) -> dict[str, Any]:
    """Members by id, a page at a time (scope members:write)."""
    members = page_of(select(Member).options(selectinload(Member.contact)), Member.id, args)
    audit_details(count=len(members))
    return page_body(members, args, member_data)


@bp.route("/members", methods=["POST"])
@requires(Scope.MEMBERS_WRITE, "api.members.create")
@bp.arguments(MemberCreateSchema)
@bp.response(201, MemberSchema)
def create_member(data: dict[str, Any]) -> dict[str, Any]:
    """One member, checked as the staff import checks a row (scope members:write).

    With ``consent_given`` (on paper or by phone) the member is active at once; otherwise
    pending and mailed a confirmation link, as if they had joined on the web."""
    _import(members_csv([data]), data["consent_given"], json_items=False)
    member = find_by_email(data["email"])
    if member is None:  # the import created it a moment ago
        abort(500)
    audit_target(f"member:{member.id}")
    return member_data(member)


@bp.route("/members/import", methods=["POST"])
@requires(Scope.MEMBERS_WRITE, "api.members.import")
@bp.arguments(MemberImportSchema)
@bp.response(201, ImportResultSchema)
def import_many(data: dict[str, Any]) -> dict[str, Any]:
    """Many members at once, all or nothing (scope members:write).

    Send ``members`` (a list) or ``csv`` (the staff import's file). A bad row fails the
    whole import with a 422 listing every bad row by line: the CSV's line, and for a list
    ``members[i]`` (line i + 2)."""
    json_items = "members" in data
    source = members_csv(data["members"]) if json_items else data["csv"]
    created = _import(source, data["consent_given"], json_items)
    audit_details(created=created)
    return {"created": created}


def _member(member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None:
        abort(404, message=_("There is no such member."))
    return member


@bp.route("/members/<id:member_id>", methods=["GET"])
@requires(Scope.MEMBERS_WRITE, "api.member.read")
@bp.response(200, MemberSchema)
def read_member(member_id: int) -> dict[str, Any]:
    """One member with their contact details (scope members:write)."""
    return member_data(_member(member_id))


@bp.route("/members/<id:member_id>", methods=["PATCH"])
@requires(Scope.MEMBERS_WRITE, "api.member.update")
@bp.arguments(MemberUpdateSchema)
@bp.response(200, MemberSchema)
def update_member(data: dict[str, Any], member_id: int) -> dict[str, Any]:
    """Change what is given; the rest stays (scope members:write)."""
    member = _member(member_id)
    if member.contact is None:
        abort(409, message=_("This member has no contact details to change."))
    attributes = {**member.attributes, **data.get("attributes", {})}
    _check_attributes(attributes)
    details = MemberDetails(
        email=data.get("email", member.contact.email),
        birth_year=data.get("birth_year", member.birth_year),
        attributes=attributes,
        name=data.get("name", member.contact.name),
        language=data.get("language", member.language),
    )
    try:
        update_profile(member, details, change_email_now=True)
    except EmailUnavailable:
        abort(409, message=_("This e-mail address cannot be used."))
    audit_details(fields=sorted(data))
    return member_data(member)


def _check_attributes(values: dict[str, str]) -> None:
    """422 with an error per attribute that is unknown or has an unknown value."""
    attributes = load_attributes()
    _clean, bad = validate_attributes(values, category_indexes(attributes))
    known = {a.key for a in attributes if a.kind is AttributeKind.CATEGORY}
    bad.update({key: "unknown attribute" for key in values if key not in known})
    if bad:
        errors = [
            {"location": "json", "field": f"attributes.{key}", "detail": reason}
            for key, reason in sorted(bad.items())
        ]
        abort(422, message=_("Some attributes are not valid."), errors=errors)


@bp.route("/members/<id:member_id>", methods=["DELETE"])
@requires(Scope.MEMBERS_WRITE, "api.member.delete")
@bp.response(204)
def remove_member(member_id: int) -> None:
    """Erase the member (GDPR art. 17); their answers stay, anonymous (scope members:write)."""
    delete_member(_member(member_id))


@bp.route("/attributes", methods=["GET"])
@requires(None, "api.attributes.read")
@bp.response(200, AttributeSchema(many=True))
def attributes() -> list[dict[str, Any]]:
    """The demographic attributes and their categories (any valid token)."""
    return [
        {
            "key": a.key,
            "kind": a.kind.value,
            "labels": a.labels,
            "required": a.required,
            "weighting": a.weighting,
            "categories": a.categories,
        }
        for a in load_attributes()
    ]


@bp.route("/population", methods=["GET"])
@requires(None, "api.population.read")
@bp.response(200, PopulationSchema)
def population() -> dict[str, Any]:
    """The latest population figures, the table weighting uses (any valid token)."""
    table = latest_population_table()
    if table is None:
        abort(404, message=_("No population figures have been uploaded."))
    figures = db.session.scalars(
        select(PopulationFigure).filter_by(table_id=table.id).order_by(PopulationFigure.id)
    ).all()
    audit_target(f"population_table:{table.id}")
    return {
        "id": table.id,
        "name": table.name,
        "source": table.source,
        "attribute_keys": table.attribute_keys,
        "uploaded_at": table.uploaded_at,
        "figures": [{"cell": f.cell, "count": f.count} for f in figures],
    }
