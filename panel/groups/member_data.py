"""What a member's data export and profile show of their focus groups (``panel.signals``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from extensions import db
from panel import signals
from panel.groups.models import FocusGroup, GroupCandidate
from panel.members.models import Member
from panel.signals import DataSection, ProfileSection


def _candidacies(member: Member) -> list[tuple[GroupCandidate, FocusGroup]]:
    rows = db.session.execute(
        select(GroupCandidate, FocusGroup)
        .join(FocusGroup, GroupCandidate.group_id == FocusGroup.id)
        .where(GroupCandidate.member_id == member.id)
        .order_by(GroupCandidate.id)
    )
    return [(candidate, group) for candidate, group in rows]


def groups_data(_sender: Any, member: Member, language: str) -> DataSection:
    """Every invitation to a group: the answer, the selection probability, the outcome.
    The household code (a hash of the address given) is included as stored."""
    return DataSection(
        "groups",
        ("group_candidate",),
        [
            {
                "group": group.title,
                "status": candidate.status.value,
                "invited_at": candidate.invited_at.isoformat(),
                "answered_at": candidate.answered_at.isoformat() if candidate.answered_at else None,
                "household_code": candidate.household,
                "probability": candidate.probability,
                "selected_at": candidate.selected_at.isoformat() if candidate.selected_at else None,
            }
            for candidate, group in _candidacies(member)
        ],
    )


def groups_section(_sender: Any, member: Member, language: str) -> ProfileSection:
    """The member's group invitations on their profile, each linking to its page."""
    return ProfileSection(
        "panel/groups/profile_groups.html", {"candidacies": _candidacies(member)}, order=20
    )


def connect_signals() -> None:
    signals.connect(signals.member_data_requested, groups_data)
    signals.connect(signals.profile_sections_requested, groups_section)
