"""What panel asks of the areas built on it, so that panel never imports them.

A member's data export (GDPR art. 15 and 20) must hold everything the platform keeps about
them, and their profile shows what surveys gave back to them; both live in tables panel
knows nothing of. Panel sends a signal and each area that keeps such data answers it:
``surveys`` connects its receivers in its ``init_app``. A receiver returns one section.

``tests/panel/members/test_own_data.py`` checks that every table with a foreign key to
``member.id`` is named by some section's ``tables`` or in ``NOT_EXPORTED``, so a new table
cannot be forgotten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from blinker import Namespace, Signal

if TYPE_CHECKING:
    from panel.members.models import Member

_signals = Namespace()

#: Sent as ``send(member=..., language=...)``; each receiver returns a ``DataSection``.
member_data_requested = _signals.signal("member-data-requested")

#: Sent as ``send(member=..., language=...)``; each receiver returns a ``ProfileSection``.
profile_sections_requested = _signals.signal("profile-sections-requested")

#: Tables that refer to a member and are deliberately left out of the data export, and why.
NOT_EXPORTED = {
    "login_token": "hashes of one-time links, useless to the member and deleted within 7 days",
}


@dataclass(frozen=True)
class DataSection:
    """One key of the data export, and the tables (with a member foreign key) it covers."""

    key: str
    tables: tuple[str, ...]
    data: Any


@dataclass(frozen=True)
class ProfileSection:
    """A part of the member's profile page: a template included with ``context``."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    #: Sections are shown in this order (lowest first), whatever the connection order.
    order: int = 100


def collect(signal: Signal, member: Member, language: str) -> list[Any]:
    """Every receiver's answer for ``member``, in connection order."""
    return [value for _receiver, value in signal.send(member=member, language=language)]


def connect(signal: Signal, receiver: Callable[..., Any]) -> None:
    """Connect ``receiver`` for good (blinker would drop a weakly held one); repeat-safe."""
    signal.connect(receiver, weak=False)
