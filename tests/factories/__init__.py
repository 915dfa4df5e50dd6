"""factory_boy factories; each test still states the values its assertions depend on."""

from __future__ import annotations

from datetime import timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory

from core.clock import utcnow
from extensions import db
from panel.auth import hash_password
from panel.members.models import Consent, Member, MemberContact, MemberStatus
from panel.staff.models import Role, StaffUser

STAFF_PASSWORD = "correct horse battery staple"


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class StaffUserFactory(_Base):
    class Meta:
        model = StaffUser

    email = factory.Sequence(lambda n: f"staff{n}@region.example.dk")
    name = factory.Sequence(lambda n: f"Staff {n}")
    role = Role.STAFF
    password_hash = factory.LazyFunction(lambda: hash_password(STAFF_PASSWORD))


class MemberFactory(_Base):
    """An active, confirmed member with contact details and valid consent."""

    class Meta:
        model = Member

    status = MemberStatus.ACTIVE
    language = "da"
    birth_year = 1980
    attributes = factory.LazyFunction(
        lambda: {"gender": "f", "municipality": "751", "education": "short"}
    )
    #: Joined and confirmed a month ago, so a wave drawn "now" in a test may invite them.
    joined_at = factory.LazyFunction(lambda: utcnow() - timedelta(days=30))
    confirmed_at = factory.LazyFunction(lambda: utcnow() - timedelta(days=30))
    profile_checked_at = factory.LazyFunction(utcnow)
    contact = factory.LazyAttributeSequence(
        lambda o, n: MemberContact(email=f"member{n}@example.dk", name=f"Member {n}")
    )

    @factory.post_generation
    def consent(self, create: bool, extracted: object, **kwargs: object) -> None:
        if extracted is False:
            return
        now = utcnow()
        consent = Consent(
            text_version="2026-11", given_at=now, expires_at=now + timedelta(days=1825)
        )
        self.consents.append(consent)
        self.consent_expires_at = consent.expires_at
        db.session.flush()
