"""Staff actions on personal data and waves leave an entry in the audit trail; admins read it."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select, update

from core.audit import AuditEvent, record
from extensions import db
from panel.staff.models import Role
from tests.factories import MemberFactory
from tests.factories.waves import coming_wave
from tests.helpers import login_staff


def entries() -> list[tuple[str, str, str]]:
    db.session.expire_all()
    return [(e.actor, e.action, e.target) for e in db.session.scalars(select(AuditEvent))]


def test_viewing_a_member_and_exporting_are_recorded_with_who_did_it(client):
    member = MemberFactory()
    db.session.commit()
    user = login_staff(client, Role.STAFF)
    client.get(f"/staff/members/{member.id}")
    client.get("/staff/members/export.csv").get_data()
    assert entries() == [
        (f"staff:{user.id}", "member.view", f"member:{member.id}"),
        (f"staff:{user.id}", "members.export", ""),
    ]


def test_an_import_is_recorded_and_a_failed_one_is_not(client):
    login_staff(client, Role.STAFF)
    client.post(
        "/staff/import",
        data={"file": (io.BytesIO(b"nonsense\n"), "m.csv"), "consent_given": "y"},
        content_type="multipart/form-data",
    )
    assert [e[1] for e in entries()] == []


@pytest.mark.usefixtures("english")
def test_cancelling_a_wave_is_recorded(client):
    wave = coming_wave()
    login_staff(client, Role.STAFF)
    client.post(f"/staff/waves/{wave.id}/cancel", data={})
    assert [(e[1], e[2]) for e in entries()] == [("wave.cancel", f"wave:{wave.id}")]


def test_admins_read_the_trail_and_see_that_the_chain_holds(client):
    record("members.export", "", actor="staff:41")
    db.session.commit()
    login_staff(client, Role.ADMIN, language="en")
    page = client.get("/staff/audit").get_data(as_text=True)
    assert "staff:41" in page and "members.export" in page
    assert "The chain of entries is intact" in page


def test_admins_see_when_an_entry_was_tampered_with(client):
    first = record("members.export", "", actor="staff:41")
    record("member.view", "member:3", actor="staff:41")
    db.session.commit()
    db.session.execute(update(AuditEvent).where(AuditEvent.id == first.id).values(actor="x"))
    db.session.commit()
    login_staff(client, Role.ADMIN, language="en")
    page = client.get("/staff/audit").get_data(as_text=True)
    assert f"The chain is broken at entry {first.id}" in page


def test_staff_who_are_not_admins_cannot_read_the_trail(client):
    login_staff(client, Role.STAFF)
    assert client.get("/staff/audit").status_code == 403
