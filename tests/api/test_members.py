"""Members over the API: created and imported through the staff import's checks (bulk
all or nothing, an error per bad row by line), read, changed field by field, erased;
attributes and population figures to read."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from api.models import Scope
from core.clock import today
from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.demographics.models import PopulationFigure, PopulationTable
from panel.members.models import Member, MemberContact, MemberStatus
from surveys.answering.models import Answer, Response
from tests.api_client import bearer, problem
from tests.factories import MemberFactory
from tests.factories.results import questionnaire
from tests.helpers import sent_mail

YEAR = today().year
ATTRIBUTES = {"gender": "f", "municipality": "751", "education": "long"}


@pytest.fixture
def headers(app):
    install_default_attributes()
    db.session.commit()
    return {**bearer(Scope.MEMBERS_WRITE), "Accept-Language": "en"}


def new_member(email: str, **extra) -> dict:
    return {"email": email, "birth_year": YEAR - 40, "attributes": ATTRIBUTES, **extra}


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Member)) or 0


def test_a_member_created_without_consent_is_pending_and_mailed_a_confirmation(client, headers):
    response = client.post(
        "/api/v1/members", headers=headers, json=new_member("Anna@Example.dk", name="Anna")
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["email"] == "anna@example.dk" and body["name"] == "Anna"
    assert body["status"] == "pending" and body["attributes"] == ATTRIBUTES
    assert [m.kind for m in sent_mail(to="anna@example.dk")] == ["confirm"]


def test_a_member_with_consent_given_on_paper_is_active_at_once(client, headers):
    response = client.post(
        "/api/v1/members", headers=headers, json=new_member("bo@example.dk", consent_given=True)
    )
    assert response.get_json()["status"] == "active"
    expires = datetime.fromisoformat(response.get_json()["consent_expires_at"])
    assert expires.utcoffset() == timedelta(0)  # times are UTC and say so
    assert sent_mail(to="bo@example.dk") == []


def test_a_bad_member_is_refused_with_the_import_reason(client, headers):
    MemberFactory(contact=MemberContact(email="taken@example.dk"))
    db.session.commit()
    body = problem(
        client.post(
            "/api/v1/members",
            headers=headers,
            json=new_member("taken@example.dk", attributes={**ATTRIBUTES, "gender": "x"}),
        ),
        422,
    )
    assert "not a known value" in body["errors"][0]["detail"]
    assert count() == 1


def test_a_bulk_import_with_bad_rows_imports_nothing_and_names_each_row(client, headers):
    members = [
        new_member("one@example.dk"),
        new_member("two@example.dk", birth_year=YEAR - 5),
        new_member("three@example.dk"),
        new_member("one@example.dk"),
    ]
    body = problem(
        client.post("/api/v1/members/import", headers=headers, json={"members": members}),
        422,
    )
    rows = [(e["field"], e["line"]) for e in body["errors"]]
    assert rows == [("members[1]", 3), ("members[3]", 5)]
    assert "outside" in body["errors"][0]["detail"]
    assert "also on line 2" in body["errors"][1]["detail"]
    assert count() == 0


def test_a_good_bulk_import_creates_every_member(client, headers):
    members = [new_member(f"m{i}@example.dk") for i in range(3)]
    response = client.post(
        "/api/v1/members/import",
        headers=headers,
        json={"members": members, "consent_given": True},
    )
    assert response.status_code == 201 and response.get_json() == {"created": 3}
    assert count() == 3


def test_a_csv_import_reports_the_file_s_line_numbers(client, headers):
    text = (
        "email;birth_year;gender;municipality;education\n"
        f"a@example.dk;{YEAR - 30};f;751;long\n"
        "\n"
        f"b@example.dk;{YEAR - 30};q;751;long\n"
    )
    body = problem(client.post("/api/v1/members/import", headers=headers, json={"csv": text}), 422)
    assert [(e["line"], e["field"]) for e in body["errors"]] == [(4, None)]


def test_read_update_and_delete_a_member(client, headers):
    member = MemberFactory(contact=MemberContact(email="c@example.dk"), attributes=ATTRIBUTES)
    db.session.commit()
    member_id = member.id
    url = f"/api/v1/members/{member_id}"
    assert client.get(url, headers=headers).get_json()["email"] == "c@example.dk"

    changed = client.patch(
        url, headers=headers, json={"attributes": {"education": "short"}, "name": "C. Jensen"}
    )
    assert changed.status_code == 200
    assert changed.get_json()["attributes"] == {**ATTRIBUTES, "education": "short"}
    assert changed.get_json()["name"] == "C. Jensen"

    body = problem(
        client.patch(url, headers=headers, json={"attributes": {"gender": "x", "shoe": "42"}}),
        422,
    )
    assert [e["field"] for e in body["errors"]] == ["attributes.gender", "attributes.shoe"]

    MemberFactory(contact=MemberContact(email="other@example.dk"))
    db.session.commit()
    problem(client.patch(url, headers=headers, json={"email": "other@example.dk"}), 409)

    assert client.delete(url, headers=headers).status_code == 204
    assert db.session.get(Member, member_id) is None
    problem(client.get(url, headers=headers), 404)


def test_members_are_listed_a_page_at_a_time_with_a_stable_cursor(client, headers):
    ids = [MemberFactory().id for _ in range(5)]
    db.session.commit()
    first = client.get("/api/v1/members?limit=2", headers=headers).get_json()
    assert [m["id"] for m in first["items"]] == ids[:2]
    # a member deleted before the next page does not shift it
    db.session.delete(db.session.get(Member, ids[2]))
    db.session.commit()
    second = client.get(
        f"/api/v1/members?limit=2&cursor={first['next_cursor']}", headers=headers
    ).get_json()
    assert [m["id"] for m in second["items"]] == ids[3:5]
    last = client.get(
        f"/api/v1/members?limit=2&cursor={second['next_cursor']}", headers=headers
    ).get_json()
    assert last == {"items": [], "next_cursor": None}


def test_members_without_the_scope_are_out_of_reach(client, headers):
    member = MemberFactory()
    db.session.commit()
    results_only = bearer(Scope.RESULTS_READ, Scope.ANSWERS_EXPORT, Scope.SURVEYS_WRITE)
    problem(client.get(f"/api/v1/members/{member.id}", headers=results_only), 403)
    problem(client.delete(f"/api/v1/members/{member.id}", headers=results_only), 403)
    assert db.session.get(Member, member.id).status is MemberStatus.ACTIVE


def test_attributes_and_population_figures_can_be_read_with_any_token(client, headers):
    reader = bearer(Scope.RESULTS_READ)
    attributes = client.get("/api/v1/attributes", headers=reader).get_json()
    gender = next(a for a in attributes if a["key"] == "gender")
    assert {c["code"] for c in gender["categories"]} >= {"f", "m"}
    problem(client.get("/api/v1/population", headers=reader), 404)
    table = PopulationTable(name="FOLK1A 2026K3", attribute_keys=["gender"])
    table.figures = [
        PopulationFigure(cell={"gender": "f"}, count=600),
        PopulationFigure(cell={"gender": "m"}, count=580),
    ]
    db.session.add(table)
    db.session.commit()
    population = client.get("/api/v1/population", headers=reader).get_json()
    assert population["name"] == "FOLK1A 2026K3"
    assert population["figures"] == [
        {"cell": {"gender": "f"}, "count": 600},
        {"cell": {"gender": "m"}, "count": 580},
    ]


def test_deleting_a_member_leaves_their_answers_anonymous(client, headers):
    member = MemberFactory()
    q = questionnaire()
    db.session.flush()
    response = Response(questionnaire_id=q.id, member_id=member.id)
    response.answers.append(Answer(question_key="bus", value="yes"))
    db.session.add(response)
    db.session.commit()
    assert client.delete(f"/api/v1/members/{member.id}", headers=headers).status_code == 204
    kept = db.session.get(Response, response.id)
    assert kept is not None and kept.member_id is None
