"""Staff pages: finding members, a member's history, editing attributes, who may see them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from core.audit import AuditEvent
from core.clock import utcnow
from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.demographics.models import Attribute, Category
from panel.mail.models import OutboxMessage
from panel.members.models import Consent, MemberContact, MemberStatus
from panel.staff.models import Role
from tests.factories import MemberFactory
from tests.helpers import login_member, login_staff


@pytest.fixture
def attributes(app):
    install_default_attributes()
    db.session.commit()


@pytest.fixture
def staff(client: FlaskClient, attributes) -> FlaskClient:
    login_staff(client, Role.STAFF, language="en")
    return client


def attribute(key: str) -> Attribute:
    found = db.session.scalar(select(Attribute).filter_by(key=key))
    assert found is not None
    return found


def codes(key: str) -> list[str]:
    db.session.expire_all()
    return [c.code for c in attribute(key).categories]


def test_search_by_exact_address_prefix_member_number_and_status(staff):
    anna = MemberFactory(contact=MemberContact(email="anna@example.dk"))
    MemberFactory(contact=MemberContact(email="annette@example.dk"))
    bo = MemberFactory(
        contact=MemberContact(email="bo@example.dk"),
        status=MemberStatus.PENDING,
        confirmed_at=None,
    )
    db.session.commit()

    def found(**query: str) -> set[str]:
        page = staff.get("/staff/members", query_string=query).get_data(as_text=True)
        emails = {"anna@example.dk", "annette@example.dk", "bo@example.dk"}
        return {e for e in emails if e in page}

    assert found(q="ANNA@example.dk") == {"anna@example.dk"}
    assert found(q="ann") == {"anna@example.dk", "annette@example.dk"}
    assert found(q=str(bo.id)) == {"bo@example.dk"}
    assert found(status="pending") == {"bo@example.dk"}
    assert found(q="an_") == set()  # a wildcard character is only itself
    assert found() == {"anna@example.dk", "annette@example.dk", "bo@example.dk"}
    assert f'href="/staff/members/{anna.id}"' in staff.get("/staff/members?q=anna").get_data(
        as_text=True
    )


def test_member_list_is_paginated_by_50(staff):
    for _ in range(51):
        MemberFactory(consent=False)
    db.session.commit()
    first = staff.get("/staff/members").get_data(as_text=True)
    assert "51 members found." in first
    assert "Page 1 of 2" in first
    second = staff.get("/staff/members?page=2").get_data(as_text=True)
    assert len(re.findall(r'href="/staff/members/\d+"', second)) == 2  # number and address


def test_member_page_shows_consent_and_mail_history(staff):
    member = MemberFactory(
        contact=MemberContact(email="anna@example.dk", name="Anna Hansen"),
        birth_year=1990,
        consent=False,
    )
    member.consents.append(
        Consent(
            text_version="2020-01",
            given_at=datetime(2020, 3, 1),
            expires_at=datetime(2025, 3, 1),
            withdrawn_at=datetime(2021, 6, 2),
            source="web",
        )
    )
    member.consents.append(
        Consent(
            text_version="2026-11",
            given_at=utcnow(),
            expires_at=utcnow() + timedelta(days=1825),
            source="import",
        )
    )
    db.session.add(
        OutboxMessage(
            member_id=member.id,
            kind="confirm",
            to_address="anna@example.dk",
            subject="Confirm your membership",
            body="secret link http://x/confirm/abc",
        )
    )
    db.session.commit()
    page = staff.get(f"/staff/members/{member.id}").get_data(as_text=True)
    for text in ("Anna Hansen", "anna@example.dk", "2020-01", "2026-11", "import", "Woman"):
        assert text in page
    assert "Jun 2, 2021" in page  # withdrawn
    assert "Confirm your membership" in page
    assert "secret link" not in page  # subjects only, never bodies
    assert "Invitations: none yet." in page
    assert staff.get("/staff/members/999999").status_code == 404


def test_edit_an_attribute(staff):
    gender = attribute("gender")
    response = staff.post(
        f"/staff/attributes/{gender.id}",
        data={"label_da": "Køn", "label_en": "Sex", "aliases": "KØN, sex ,", "weighting": "y"},
        follow_redirects=True,
    )
    assert "The attribute was saved." in response.get_data(as_text=True)
    db.session.expire_all()
    gender = attribute("gender")
    assert gender.labels == {"da": "Køn", "en": "Sex"}
    assert gender.aliases == ["KØN", "sex"]
    assert (gender.required, gender.weighting) == (False, True)


def test_attribute_form_shows_errors_next_to_fields(staff):
    gender = attribute("gender")
    page = staff.post(f"/staff/attributes/{gender.id}", data={"label_da": "", "label_en": "Sex"})
    text = page.get_data(as_text=True)
    assert 'id="label_da-error"' in text and "Enter a Danish label." in text
    db.session.expire_all()
    assert attribute("gender").labels["da"] == "Køn"


def test_add_a_category_and_refuse_a_duplicate_code(staff):
    gender = attribute("gender")
    url = f"/staff/attributes/{gender.id}/categories"
    data = {"new-code": "x", "new-label_da": "Andet", "new-label_en": "Other"}
    assert staff.post(url, data=data).status_code == 302
    assert codes("gender") == ["f", "m", "x"]
    again = staff.post(url, data=data).get_data(as_text=True)
    assert "already has a category with that code" in again
    assert codes("gender") == ["f", "m", "x"]


def test_an_age_band_needs_its_lowest_age(staff):
    age = attribute("age")
    url = f"/staff/attributes/{age.id}/categories"
    data = {"new-code": "80+", "new-label_da": "80+ år", "new-label_en": "80+"}
    assert "An age band needs a lowest age." in staff.post(url, data=data).get_data(as_text=True)
    assert staff.post(url, data={**data, "new-min_age": "80"}).status_code == 302
    added = db.session.scalar(select(Category).filter_by(code="80+"))
    assert added is not None and (added.min_age, added.max_age) == (80, None)


def test_move_categories_up_and_down(staff):
    education = attribute("education")
    long = next(c for c in education.categories if c.code == "long")
    basic = next(c for c in education.categories if c.code == "basic")
    staff.post(f"/staff/categories/{long.id}/move", data={"direction": "up"})
    assert codes("education") == ["basic", "upper", "long", "short"]
    staff.post(f"/staff/categories/{basic.id}/move", data={"direction": "down"})
    assert codes("education") == ["upper", "basic", "long", "short"]
    page = staff.get(f"/staff/attributes/{education.id}").get_data(as_text=True)
    assert page.index("Upper secondary") < page.index("Primary and lower")


def test_edit_category_labels(staff):
    category = next(c for c in attribute("gender").categories if c.code == "f")
    staff.post(
        f"/staff/categories/{category.id}",
        data={"label_da": "Kvinde", "label_en": "Female", "aliases": "kvinder, K"},
    )
    db.session.expire_all()
    category = db.session.get(Category, category.id)
    assert category is not None
    assert category.labels["en"] == "Female" and category.aliases == ["kvinder", "K"]


def test_a_category_in_use_cannot_be_deleted_an_unused_one_can(staff):
    MemberFactory(attributes={"gender": "f", "municipality": "751", "education": "short"})
    db.session.commit()
    gender = attribute("gender")
    used = next(c for c in gender.categories if c.code == "f")
    unused = next(c for c in gender.categories if c.code == "m")
    page = staff.post(f"/staff/categories/{used.id}/delete", follow_redirects=True)
    assert "“Woman” cannot be deleted: 1 members have it." in page.get_data(as_text=True)
    page = staff.post(f"/staff/categories/{unused.id}/delete", follow_redirects=True)
    assert "“Man” was deleted." in page.get_data(as_text=True)
    assert codes("gender") == ["f"]


STAFF_PAGES = [
    ("get", "/staff/"),
    ("get", "/staff/members"),
    ("get", "/staff/members/{member}"),
    ("get", "/staff/members/export.csv"),
    ("get", "/staff/import"),
    ("post", "/staff/import"),
    ("get", "/staff/population"),
    ("post", "/staff/population"),
    ("get", "/staff/attributes"),
    ("get", "/staff/attributes/{attribute}"),
    ("post", "/staff/attributes/{attribute}"),
    ("post", "/staff/attributes/{attribute}/categories"),
    ("get", "/staff/categories/{category}"),
    ("post", "/staff/categories/{category}"),
    ("post", "/staff/categories/{category}/move"),
    ("post", "/staff/categories/{category}/delete"),
]


def _visit_every_page(client: FlaskClient, member_id: int) -> dict[str, int]:
    gender = attribute("gender")
    ids = {"member": member_id, "attribute": gender.id, "category": gender.categories[0].id}
    codes_seen = {}
    for method, path in STAFF_PAGES:
        url = path.format(**ids)
        codes_seen[f"{method} {url}"] = getattr(client, method)(url).status_code
    return codes_seen


def test_politicians_get_403_on_every_staff_page(client, attributes):
    member = MemberFactory()
    login_staff(client, Role.POLITICIAN)
    assert set(_visit_every_page(client, member.id).values()) == {403}
    assert len(codes("gender")) == 2  # and nothing changed


def test_citizens_get_403_on_every_staff_page(client, attributes):
    member = MemberFactory()
    db.session.commit()
    login_member(client, member)
    assert set(_visit_every_page(client, member.id).values()) == {403}


def test_admins_and_staff_reach_every_page(client, attributes):
    member = MemberFactory()
    login_staff(client, Role.ADMIN)
    seen = _visit_every_page(client, member.id)
    assert all(code in (200, 302) for code in seen.values()), seen


def test_browsing_the_member_list_is_in_the_audit_trail_without_the_searched_address(staff):
    MemberFactory(contact=MemberContact(email="anna@example.dk"))
    db.session.commit()
    staff.get("/staff/members", query_string={"q": "anna@example.dk"})
    (event,) = db.session.scalars(select(AuditEvent).filter_by(action="members.list"))
    assert event.actor.startswith("staff:")
    assert event.details["searched"] is True and event.details["shown"] == 1
    assert "anna" not in str(event.details)
