"""Uploading population figures exported from Statistics Denmark's StatBank."""

from __future__ import annotations

import io

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.demographics.models import PopulationFigure, PopulationTable
from panel.demographics.population import upload_population
from panel.staff.models import Role
from tests.factories.demographics import FOLK1A
from tests.helpers import login_staff


@pytest.fixture
def attributes(app):
    install_default_attributes()
    db.session.commit()


def stored_cells() -> dict[tuple[str, str, str], int]:
    figures = db.session.scalars(select(PopulationFigure))
    return {(f.cell["municipality"], f.cell["gender"], f.cell["age"]): f.count for f in figures}


def upload(text: str | bytes) -> object:
    with force_locale("en"):
        result = upload_population(text, name="FOLK1A 2026K3", note="DST")
        # the reasons are translated when they are made: read them in the same locale
        result.errors = [(line, str(reason)) for line, reason in result.errors]
    return result


def test_latin1_statbank_file_is_summed_into_age_bands_and_children_skipped(attributes):
    result = upload(FOLK1A.encode("latin-1"))
    db.session.commit()
    assert result.errors == []
    assert result.skipped == 1  # the 17-year-olds
    assert result.table is not None
    assert result.table.attribute_keys == ["municipality", "gender", "age"]
    assert stored_cells() == {
        ("751", "f", "18-29"): 2100,
        ("751", "m", "18-29"): 1200,
        ("730", "m", "70+"): 3,
        ("760", "f", "40-49"): 400,
    }


def test_utf8_with_bom_and_commas_and_a_count_column_named_antal(attributes):
    text = "\ufeffKommune,Køn,Antal\nAarhus,Kvinde,10\nAarhus Kommune,m,5\n"
    result = upload(text.encode("utf-8"))
    assert result.errors == []
    figures = {
        tuple(sorted(f.cell.items())): f.count for f in db.session.scalars(select(PopulationFigure))
    }
    assert figures == {
        (("gender", "f"), ("municipality", "751")): 10,
        (("gender", "m"), ("municipality", "751")): 5,
    }


def test_every_bad_row_is_reported_by_line_and_nothing_is_stored(attributes):
    text = (
        "OMRÅDE;KØN;ALDER;TID;INDHOLD\n"
        "Aarhus;Kvinder;30 år;2026K3;10\n"
        "Aarhuus;Kvinder;30 år;2026K3;10\n"
        "I alt;Kvinder;30 år;2026K3;10\n"
        "Aarhus;Mænd;30 år;2026K3;ti\n"
        "Aarhus;Mænd;31 år;2026K3;-5\n"
        "Aarhus;Mænd;32 år;2026K2;7\n"
    )
    result = upload(text)
    assert [line for line, _ in result.errors] == [3, 4, 5, 6, 7]
    reasons = dict(result.errors)
    assert "Aarhuus" in reasons[3] and "Municipality" in reasons[3]
    assert "total" in reasons[4]
    assert "“ti” is not a whole number" in reasons[5]
    assert "negative" in reasons[6]
    assert "2026K2" in reasons[7]
    assert result.table is None
    assert db.session.scalar(select(func.count()).select_from(PopulationTable)) == 0


def test_an_unknown_column_is_reported_on_line_1(attributes):
    result = upload("OMRÅDE;CIVILSTAND;INDHOLD\nAarhus;Gift;10\n")
    assert result.errors == [(1, "Unknown column “CIVILSTAND”.")]


def test_staff_upload_through_the_form_and_see_the_table_listed(client, attributes):
    login_staff(client, Role.STAFF, language="en")
    response = client.post(
        "/staff/population",
        data={
            "name": "FOLK1A 2026K3",
            "source": "Danmarks Statistik",
            "file": (io.BytesIO(FOLK1A.encode("cp1252")), "folk1a.csv"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "1 row outside the age bands was skipped." in page
    assert "FOLK1A 2026K3" in page
    assert "3,703" in page  # everyone counted but the 900 17-year-olds


def test_form_shows_each_bad_line_and_stores_nothing(client, attributes):
    login_staff(client, Role.ADMIN, language="en")
    response = client.post(
        "/staff/population",
        data={
            "name": "bad",
            "file": (io.BytesIO(b"OMR\xc5DE;INDHOLD\nAarhuus;1\nAarhus;x\n"), "bad.csv"),
        },
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 lines have problems. Nothing was saved." in page
    assert "Aarhuus" in page
    assert db.session.scalar(select(func.count()).select_from(PopulationTable)) == 0
