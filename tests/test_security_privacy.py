"""Deleting a member leaves nothing personal behind anywhere; results hold no personal data."""

from __future__ import annotations

import re

from sqlalchemy import JSON, String, Text, cast, func, select

from extensions import db
from panel.members.models import Member
from surveys.answering.models import Response
from tests.answering import open_invitation, start
from tests.helpers import link_in, login_member, sent_mail

NAME, EMAIL = "Zebulon Quixmark", "zebulon.quixmark@example.dk"
#: Tables that hold answers, weights and results: no column may name a person.
RESULT_TABLES = re.compile(r"^(response|answer|weighting|result|publication|quote)")
PERSONAL_COLUMNS = re.compile(r"(e_?mail|^name$|_name$|phone|address|birth_date|cpr)")


def text_columns(table):
    return [c for c in table.columns if isinstance(c.type, String | Text | JSON)]


def rows_mentioning(needle: str) -> list[str]:
    found = []
    for table in db.metadata.sorted_tables:
        for column in text_columns(table):
            as_text = cast(column, Text)  # JSON and enum columns too
            hits = db.session.scalar(
                select(func.count()).select_from(table).where(as_text.contains(needle))
            )
            if hits:
                found.append(f"{table.name}.{column.name}")
    return found


def rows_linked_to(member_id: int) -> list[str]:
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "member" for fk in column.foreign_keys):
                hits = db.session.scalar(
                    select(func.count()).select_from(table).where(column == member_id)
                )
                if hits:
                    found.append(f"{table.name}.{column.name}")
    return found


def test_a_deleted_member_leaves_no_personal_data_in_any_table(client):
    invitation = open_invitation()
    member = invitation.member
    member.contact.name, member.contact.email = NAME, EMAIL
    db.session.commit()
    member_id = member.id
    link = link_in(sent_mail(kind="invitation")[0], "/a/")
    start(client, link)
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    assert rows_mentioning(EMAIL) != [] and rows_linked_to(member_id) != []  # the test sees them

    login_member(client, db.session.get(Member, member_id))
    assert client.post("/profile/delete").status_code == 200
    db.session.expire_all()

    assert rows_mentioning(EMAIL) == []
    assert rows_mentioning(NAME) == []
    assert rows_mentioning("Quixmark") == []
    assert rows_linked_to(member_id) == []
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1  # kept, anonymous


def test_results_and_weighting_tables_have_no_personal_data_columns():
    tables = [t for t in db.metadata.sorted_tables if RESULT_TABLES.match(t.name)]
    assert {"response", "answer"} <= {t.name for t in tables}
    personal = [
        f"{t.name}.{c.name}" for t in tables for c in t.columns if PERSONAL_COLUMNS.search(c.name)
    ]
    assert personal == []
