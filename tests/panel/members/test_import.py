"""Importing members from CSV (all or nothing) and exporting the panel as CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from core.clock import today, utcnow
from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.members.consent import CONSENT_VERSION
from panel.members.imports import MAX_ROWS, ImportResult, import_members
from panel.members.models import Member, MemberContact, MemberStatus
from panel.staff.models import Role
from tests.factories import MemberFactory
from tests.helpers import link_in, login_staff, sent_mail

YEAR = today().year

GOOD = f"""email;birth_year;gender;Kommune;uddannelse;name;language
Anna@Example.dk;{YEAR - 30};Kvinde;Aarhus;long;Anna Hansen;da
bo@example.dk;{YEAR - 70};m;730;Grundskole;;en
"""


@pytest.fixture
def attributes(app):
    install_default_attributes()
    db.session.commit()


def run_import(text: str | bytes, consent_given: bool = True) -> ImportResult:
    with force_locale("en"):
        result = import_members(text, consent_given=consent_given)
        result.errors = [(line, str(reason)) for line, reason in result.errors]
    db.session.commit()
    return result


def member_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Member)) or 0


def by_email(email: str) -> Member:
    member = db.session.scalar(select(Member).join(MemberContact).filter_by(email=email))
    assert member is not None
    return member


def test_good_file_with_consent_creates_active_members_with_an_import_consent(attributes):
    result = run_import(GOOD.encode("cp1252"))
    assert result.errors == []
    assert result.created == 2
    anna = by_email("anna@example.dk")
    assert anna.status is MemberStatus.ACTIVE and anna.is_confirmed
    assert anna.attributes == {"gender": "f", "municipality": "751", "education": "long"}
    assert anna.birth_year == YEAR - 30
    assert anna.contact is not None and anna.contact.name == "Anna Hansen"
    assert anna.source == "import"
    [consent] = anna.consents
    assert (consent.source, consent.text_version) == ("import", CONSENT_VERSION)
    assert consent.is_valid(utcnow())
    assert consent.expires_at - consent.given_at > timedelta(days=5 * 365)
    bo = by_email("bo@example.dk")
    assert (bo.language, bo.attributes["education"]) == ("en", "basic")
    assert bo.contact is not None and bo.contact.name is None
    assert sent_mail() == []


def test_without_consent_members_are_pending_and_get_a_confirmation_link(attributes, client):
    result = run_import(GOOD, consent_given=False)
    assert result.created == 2
    bo = by_email("bo@example.dk")
    assert bo.status is MemberStatus.PENDING and bo.consents == []
    [mail] = sent_mail(to="bo@example.dk", kind="confirm")
    assert client.get(link_in(mail, "/confirm/")).status_code == 200
    assert len(sent_mail(kind="confirm")) == 2


def test_several_bad_rows_are_each_reported_and_nothing_is_imported(attributes):
    text = (
        "email,birth_year,gender,municipality,education,language\n"
        f"ok@example.dk,{YEAR - 40},f,751,basic,da\n"  # 2: fine
        f"not-an-address,{YEAR - 40},f,751,basic,da\n"  # 3
        f"OK@example.dk,{YEAR - 40},f,751,basic,da\n"  # 4: same as line 2
        "c@example.dk,19x0,f,751,basic,da\n"  # 5
        f"d@example.dk,{YEAR - 15},f,751,basic,da\n"  # 6: too young
        f"e@example.dk,{YEAR - 40},f,Aarhuus,basic,da\n"  # 7
        f"f@example.dk,{YEAR - 40},,751,basic,da\n"  # 8: gender missing
        f"g@example.dk,{YEAR - 40},f,751,basic,fr\n"  # 9
        f",{YEAR - 40},f,751,basic,da\n"  # 10
    )
    result = run_import(text)
    assert result.created == 0
    assert [line for line, _ in result.errors] == [3, 4, 5, 6, 7, 8, 9, 10]
    reasons = dict(result.errors)
    assert "not a valid e-mail address" in reasons[3]
    assert "also on line 2" in reasons[4]
    assert "19x0" in reasons[5]
    assert "Age 15 is outside 18–110" in reasons[6]
    assert "“Aarhuus” is not a known value for Municipality" in reasons[7]
    assert "Gender is missing" in reasons[8]
    assert "fr" in reasons[9]
    assert "e-mail is missing" in reasons[10]
    assert member_count() == 0


def test_an_address_already_in_the_panel_is_refused(attributes):
    MemberFactory(contact=MemberContact(email="taken@example.dk"))
    db.session.commit()
    text = (
        "email,birth_year,gender,municipality,education\n"
        f"Taken@example.dk,{YEAR - 50},m,751,upper\n"
    )
    result = run_import(text)
    assert result.errors == [(2, "taken@example.dk is already in the panel.")]
    assert member_count() == 1


def test_unknown_and_missing_columns_are_reported_on_line_1(attributes):
    result = run_import("email;birth_year;gender;favourite colour\nx@example.dk;1980;f;blue\n")
    reasons = [reason for line, reason in result.errors if line == 1]
    assert "Unknown column “favourite colour”." in reasons
    assert "The column “municipality” is missing." in reasons
    assert member_count() == 0


def test_import_form_lists_the_bad_lines(client, attributes):
    login_staff(client, Role.STAFF, language="en")
    bad = f"email,birth_year,gender,municipality,education\nx@example.dk,{YEAR - 40},q,751,basic\n"
    response = client.post(
        "/staff/import",
        data={"file": (io.BytesIO(bad.encode()), "members.csv"), "consent_given": "y"},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert "1 line has a problem. Nothing was saved." in page
    assert "“q” is not a known value for Gender" in page
    response = client.post(
        "/staff/import",
        data={"file": (io.BytesIO(GOOD.encode()), "members.csv"), "consent_given": "y"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "2 members were imported." in response.get_data(as_text=True)
    assert member_count() == 2


def test_export_streams_one_row_per_member(client, attributes):
    run_import(GOOD)
    MemberFactory(
        status=MemberStatus.LEFT,
        left_at=utcnow(),
        contact=MemberContact(email="gone@example.dk", name="=HYPERLINK(1)"),
    )
    db.session.commit()
    login_staff(client, Role.ADMIN)
    response = client.get("/staff/members/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["email"] for r in rows] == ["anna@example.dk", "bo@example.dk", "gone@example.dk"]
    anna, _bo, gone = rows
    assert anna["status"] == "active" and anna["birth_year"] == str(YEAR - 30)
    assert anna["attributes"] == '{"education":"long","gender":"f","municipality":"751"}'
    assert anna["joined"] == today().isoformat() == anna["confirmed"]
    assert gone["status"] == "left" and gone["left"] == today().isoformat()
    assert gone["name"] == "'=HYPERLINK(1)"  # never a live formula in a spreadsheet


def test_imported_member_without_paper_consent_consents_by_confirming(attributes, client):
    run_import(GOOD, consent_given=False)
    member = db.session.scalar(select(Member).join(MemberContact).filter_by(email="bo@example.dk"))
    assert member.status is MemberStatus.PENDING
    assert member.consents == []

    (mail,) = sent_mail(to="bo@example.dk", kind="confirm")
    page = client.get(link_in(mail, "/confirm/")).get_data(as_text=True)
    assert "/about" in page  # the consent text is one link away before confirming
    client.post(link_in(mail, "/confirm/"))

    db.session.refresh(member)
    assert member.status is MemberStatus.ACTIVE
    assert [c.source for c in member.consents] == ["confirm"]
    assert member.consent_expires_at > utcnow() + timedelta(days=4 * 365)


def test_a_file_with_more_rows_than_an_import_may_have_is_refused_up_front(client, attributes):
    login_staff(client, Role.STAFF, language="en")
    row = f"x@example.dk,{YEAR - 40},f,751,basic\n"
    huge = "email,birth_year,gender,municipality,education\n" + row * (MAX_ROWS + 1)
    response = client.post(
        "/staff/import",
        data={"file": (io.BytesIO(huge.encode()), "members.csv"), "consent_given": "y"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "The file has more than 200.000 rows." in response.get_data(as_text=True)
    assert member_count() == 0
