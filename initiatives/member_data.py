"""What the initiatives hold about one panel member, for panel's data export.

A member who supported a proposal while logged in is linked to that support; the export
gives them which proposals they supported and when. (Supporters by e-mail or on paper are
not members; their data goes with the retention job.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.clock import iso
from extensions import db
from initiatives.proposals.models import Proposal, Support, SupportContact
from panel import signals
from panel.members.models import Member
from panel.signals import DataSection


def proposal_supports(_sender: Any, member: Member, language: str) -> DataSection:
    rows = db.session.execute(
        select(Proposal.id, Proposal.title, Support.confirmed_at)
        .join(Support, Support.proposal_id == Proposal.id)
        .join(SupportContact, SupportContact.support_id == Support.id)
        .where(SupportContact.member_id == member.id)
        .order_by(Support.id)
    )
    return DataSection(
        "proposal_supports",
        ("support_contact",),
        [
            {"proposal_id": proposal_id, "proposal": title, "supported_at": iso(at)}
            for proposal_id, title, at in rows
        ],
    )


def connect_signals() -> None:
    signals.connect(signals.member_data_requested, proposal_supports)
