"""Hostile files for every import: members, population figures, questionnaire JSON and XLSForm.

An import is all or nothing and reports every bad row with its line number; a file that is
not what it claims (wrong encoding, binary, a megabyte on one line, JSON nested to the
bottom of the stack) gets a message on the form, never a 500.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from typing import Any

import pytest
from flask_babel import force_locale
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from core.clock import today
from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.members.imports import import_members
from panel.members.models import Member
from panel.staff.models import Role
from surveys.questionnaires.json_format import export_json
from surveys.questionnaires.xlsform import export_xlsform
from tests.factories.demographics import FOLK1A
from tests.fuzz import FUZZ, INJECTIONS, assert_clean, counts, nasty_bytes
from tests.helpers import login_staff
from tests.questionnaire_sample import sample_questionnaire

YEAR = today().year
HEADER = ["email", "birth_year", "gender", "municipality", "education", "name", "language"]
#: Unique e-mail addresses across the examples of one test (they share a database).
_serial = itertools.count()


@pytest.fixture
def english(app):
    with force_locale("en"):
        install_default_attributes()
        db.session.commit()
        yield


@pytest.fixture
def staff(client, english):
    login_staff(client, Role.STAFF, language="en")
    return client


def member_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Member)) or 0


#: Cell values that make a row invalid, per column.
BAD_CELLS = {
    "email": st.sampled_from([v for v in INJECTIONS if "@" not in v] + ["", "a@", "@b.dk"]),
    "birth_year": st.sampled_from(["", "19x0", "%(x)s", "=1+1", str(YEAR), "99999999999999999"]),
    "gender": st.sampled_from(["q", "<script>", "' OR 1=1 --", "\ufeffk"]),
}
#: Harmless text for the free columns: stored as given, exported with formulas defused.
ODD_NAMES = st.sampled_from([v for v in INJECTIONS if "\n" not in v] + ["Ærø Åse", "日本"])


def _row(n: int) -> list[str]:
    return [f"fuzz{n}@example.dk", str(YEAR - 40), "f", "751", "long", f"Name {n}", "da"]


@FUZZ
@given(
    size=st.integers(min_value=1, max_value=60),
    bad=st.dictionaries(
        st.integers(min_value=0, max_value=59),
        st.sampled_from(sorted(BAD_CELLS)).flatmap(
            lambda column: st.tuples(st.just(column), BAD_CELLS[column])
        ),
        max_size=5,
    ),
    names=st.lists(ODD_NAMES, max_size=5),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    delimiter=st.sampled_from([";", ",", "\t"]),
)
def test_member_import_is_all_or_nothing_and_names_every_bad_line(
    english, size, bad, names, encoding, delimiter
):
    rows = [_row(next(_serial)) for _ in range(size)]
    for index, name in enumerate(names[:size]):
        rows[index][5] = name
    bad = {index: change for index, change in bad.items() if index < size}
    for index, (column, value) in bad.items():
        rows[index][HEADER.index(column)] = value
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows([HEADER, *rows])
    before = member_count()

    result = import_members(buffer.getvalue().encode(encoding, "replace"), consent_given=True)
    db.session.commit()

    reported = {line for line, _ in result.errors}
    assert reported == {index + 2 for index in bad}  # the header is line 1
    assert member_count() == before + (0 if bad else size)


def test_a_few_thousand_rows_with_one_bad_line_import_nothing_and_name_it(english):
    rows = [_row(n) for n in range(3000)]
    rows[2718][1] = "=cmd|' /C calc'!A0"
    text = "\n".join(";".join(row) for row in [HEADER, *rows])
    result = import_members(text.encode(), consent_given=True)
    assert [line for line, _ in result.errors] == [2720]
    assert member_count() == 0


def _upload(client: Any, url: str, data: bytes, filename: str, **fields: Any) -> Any:
    return client.post(
        url,
        data={**fields, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _good_members_csv() -> bytes:
    rows = [_row(next(_serial)) for _ in range(3)]
    return "\n".join(";".join(row) for row in [HEADER, *rows]).encode()


def hostile_files(good: bytes) -> st.SearchStrategy[bytes]:
    """Whole files: the good one re-encoded, cut, salted with NULs, or replaced outright."""
    text = good.decode("utf-8")
    return st.one_of(
        nasty_bytes(),
        st.sampled_from(
            [
                text.encode("utf-16"),
                text.encode("utf-32"),
                good.replace(b";", b"\x00"),
                good[: len(good) // 2],
                good + b"\n" + b"x" * 1_000_000,
                good.replace(b"\n", b"\r"),
                b"PK\x03\x04" + good,
            ]
        ),
        st.tuples(nasty_bytes(), st.integers(min_value=0, max_value=len(good))).map(
            lambda cut: good[: cut[1]] + cut[0] + good[cut[1] :]
        ),
    )


FILENAMES = st.sampled_from(["m.csv", "../../etc/passwd", "a\\..\\b.csv", "%s{0}.csv", "ø.csv"])


@FUZZ
@given(data=st.data())
def test_member_import_form_refuses_hostile_files_cleanly(staff, data):
    before = counts()
    response = _upload(
        staff,
        "/staff/import",
        data.draw(hostile_files(_good_members_csv())),
        data.draw(FILENAMES),
        consent_given="y",
    )
    assert_clean(response, refused_saves_nothing=before)


@FUZZ
@given(data=st.data())
def test_population_upload_refuses_hostile_files_cleanly(staff, data):
    before = counts()
    response = _upload(
        staff,
        "/staff/population",
        data.draw(hostile_files(FOLK1A.encode())),
        data.draw(FILENAMES),
        name=data.draw(st.sampled_from(["FOLK1A", *INJECTIONS[:3]])),
    )
    assert_clean(response, refused_saves_nothing=before)


@pytest.fixture
def exported(english) -> dict[str, Any]:
    questionnaire = sample_questionnaire()
    document = export_json(questionnaire)
    db.session.rollback()
    return document


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [path] + [p for key, item in value.items() for p in _paths(item, (*path, key))]
    if isinstance(value, list):
        return [path] + [
            p for index, item in enumerate(value) for p in _paths(item, (*path, index))
        ]
    return [path]


def _replace(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.sampled_from(INJECTIONS),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@FUZZ
@given(data=st.data())
def test_json_import_refuses_hostile_documents_cleanly(staff, exported, data):
    path = data.draw(st.sampled_from(_paths(exported)))
    document = _replace(exported, path, data.draw(JSON_VALUES))
    body = data.draw(
        st.one_of(
            st.just(json.dumps(document).encode()),
            hostile_files(json.dumps(exported).encode()),
            st.just(b"[" * 100_000),
            st.just(b'{"a":' * 50_000),
        )
    )
    before = counts()
    response = _upload(staff, "/staff/exchange/import/json", body, data.draw(FILENAMES))
    assert_clean(response, refused_saves_nothing=before)


@pytest.fixture
def workbook(english) -> bytes:
    questionnaire = sample_questionnaire()
    data = export_xlsform(questionnaire)
    db.session.rollback()
    return data


def _changed_workbook(data: bytes, changes: list[tuple[int, int, str]]) -> bytes:
    book = load_workbook(io.BytesIO(data))
    sheet = book["survey"]
    for row, column, value in changes:
        sheet.cell(row=row, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@FUZZ
@given(data=st.data())
def test_xlsform_import_refuses_hostile_workbooks_cleanly(staff, workbook, data):
    cells = st.tuples(
        st.integers(min_value=1, max_value=15),
        st.integers(min_value=1, max_value=8),
        st.sampled_from([*INJECTIONS, "", "select_one nowhere", "x" * 40_000]),
    )
    body = data.draw(
        st.one_of(
            st.lists(cells, min_size=1, max_size=4).map(
                lambda changes: _changed_workbook(workbook, changes)
            ),
            hostile_files(b"type;name\ntext;q1\n"),
            st.just(workbook[: len(workbook) // 2]),
        )
    )
    before = counts()
    response = _upload(staff, "/staff/exchange/import/xlsform", body, data.draw(FILENAMES))
    # rows it cannot use are left out and listed in a notice, by design
    html = assert_clean(response, shown=('class="error', 'class="notice"'))
    if response.status_code == 200 and 'class="notice"' not in html:
        assert counts() == before


def test_an_empty_workbook_is_refused_with_a_message(staff):
    book = Workbook()
    out = io.BytesIO()
    book.save(out)
    before = counts()
    response = _upload(staff, "/staff/exchange/import/xlsform", out.getvalue(), "x.xlsx")
    assert_clean(response, refused_saves_nothing=before)


def test_the_cases_fuzzing_found_get_a_message_on_their_line(english):
    header = ";".join(HEADER)
    long_cell = f"{header}\n{';'.join(_row(1))}\n{'x' * 200_000}\n"
    with_nul = f"{header}\n{';'.join(_row(2))}\nfuzz3@example.dk;1980;f\x00;751;long;N;da\n"
    for text, line, reason in ((long_cell, 3, "too long"), (with_nul, 3, "NUL")):
        result = import_members(text.encode(), consent_given=True)
        assert [(n, reason in str(message)) for n, message in result.errors] == [(line, True)]
    assert member_count() == 0


def test_json_nested_too_deep_or_with_a_lone_surrogate_is_refused_with_a_message(staff):
    deep = _upload(staff, "/staff/exchange/import/json", b"[" * 100_000, "q.json")
    assert "nested too deeply" in deep.get_data(as_text=True)
    surrogate = b'{"format": "borgerpanel-questionnaire", "title": {"da": "\\ud800"}}'
    refused = _upload(staff, "/staff/exchange/import/json", surrogate, "q.json")
    assert_clean(refused, refused_saves_nothing=counts())
