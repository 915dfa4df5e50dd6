"""Consent to take part: which text a member agreed to and how long it holds.

The consent text itself is the template ``panel/_consent_text.html``; when its meaning
changes, raise ``CONSENT_VERSION`` so that every consent records what was actually read.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from core.clock import utcnow
from extensions import db
from panel.members.models import Consent, Member

#: Version of the consent text in ``templates/panel/_consent_text.html``.
CONSENT_VERSION = "2026-11"


def add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def give_consent(member: Member, source: str = "web", at: datetime | None = None) -> Consent:
    """Record that ``member`` agreed to the current text now; it lapses after CONSENT_YEARS."""
    at = at or utcnow()
    consent = Consent(
        text_version=CONSENT_VERSION,
        given_at=at,
        expires_at=add_years(at, current_app.config["CONSENT_YEARS"]),
        source=source,
    )
    member.consents.append(consent)
    member.consent_expires_at = max(consent.expires_at, member.consent_expires_at or at)
    db.session.add(consent)
    return consent


def withdraw_consent(member: Member, at: datetime | None = None) -> None:
    """Withdraw every consent in force: the member is never sampled or mailed on it again."""
    at = at or utcnow()
    for consent in member.consents:
        if consent.withdrawn_at is None:
            consent.withdrawn_at = at
    member.consent_expires_at = None
