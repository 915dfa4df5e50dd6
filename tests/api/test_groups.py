"""Focus groups over the API: a group, its candidates' chances and the record of its draw."""

from __future__ import annotations

from api.models import Scope
from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.groups import lottery, operations
from panel.groups.models import GroupKind
from tests.api_client import bearer, problem
from tests.factories import MemberFactory


def drawn_group():
    install_default_attributes()
    for gender in "ffffmmmm":
        MemberFactory(attributes={"gender": gender})
    group = operations.create_group(
        operations.GroupDetails(GroupKind.FOCUS_GROUP, "Trafik", "Busruter", "Køreplanen", 2)
    )
    group.quotas = [{"attribute": "gender", "category": "f", "min": 1, "max": 1}]
    operations.invite_pool(group, 8)
    for i, candidate in enumerate(group.candidates):
        operations.answer_invitation(candidate, True, f"Gade {i}", "8000")
    lottery.draw_group(group, "offentligt frø")
    db.session.commit()
    return group


def test_a_drawn_group_with_each_candidates_chance_and_the_seed(client, app):
    group = drawn_group()
    headers = bearer(Scope.MEMBERS_WRITE)
    listed = client.get("/api/v1/groups", headers=headers).get_json()
    assert [g["title"] for g in listed["items"]] == ["Trafik"]
    read = client.get(f"/api/v1/groups/{group.id}", headers=headers).get_json()
    assert read["state"] == "drawn"
    assert read["draw"]["seed"] == "offentligt frø"
    assert sum(c["probability"] for c in read["candidates"]) == 2
    assert sorted(c["status"] for c in read["candidates"]).count("selected") == 2
    # one of 4 women: 1/4 each; one of 4 men: 1/4 each
    assert {round(c["probability"], 6) for c in read["candidates"]} == {0.25}


def test_reading_groups_needs_the_members_scope(client, app):
    group = drawn_group()
    problem(client.get(f"/api/v1/groups/{group.id}", headers=bearer(Scope.RESULTS_READ)), 403)
    problem(client.get("/api/v1/groups/999", headers=bearer(Scope.MEMBERS_WRITE)), 404)
