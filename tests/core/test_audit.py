"""The audit trail is chained: changing or removing an entry is detected."""

from __future__ import annotations

from sqlalchemy import delete, update

from core.audit import AuditEvent, record, verify_chain
from extensions import db


def three_entries() -> list[AuditEvent]:
    events = [
        record("members.export", actor="staff:1", rows=120),
        record("member.delete", "member:7", actor="staff:1"),
        record("results.view", "wave:2", actor="staff:2"),
    ]
    db.session.commit()
    return events


def test_entries_chain_each_to_the_one_before(app):
    first, second, third = three_entries()
    assert second.previous_hash == first.entry_hash and third.previous_hash == second.entry_hash
    assert verify_chain() is None


def test_a_changed_entry_is_found(app):
    _, second, _ = three_entries()
    db.session.execute(
        update(AuditEvent).where(AuditEvent.id == second.id).values(target="member:8")
    )
    db.session.commit()
    assert verify_chain() == second.id


def test_a_removed_entry_is_found(app):
    _, second, third = three_entries()
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == second.id))
    db.session.commit()
    assert verify_chain() == third.id


def test_outside_a_login_the_actor_is_the_system(app):
    with app.test_request_context():
        assert record("waves.tick").actor == "system"
