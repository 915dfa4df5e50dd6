"""Keyed digests: values only this installation can compute, from its ``SECRET_KEY``.

Answer links are such digests of their invitation, and the answers export gives each
member such a digest as a pseudonymous key, the same in every wave's export, so that an
analyst can pair a member's answers across waves without learning who they are. Anyone
without the key can neither forge one nor turn one back into a member.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app


def keyed_digest(message: str) -> str:
    """HMAC-SHA256 of ``message`` under the app's ``SECRET_KEY``, as hex."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def member_pseudonym(member_id: int | None) -> str | None:
    """A member's key in exports: stable per installation, meaningless outside it."""
    return None if member_id is None else keyed_digest(f"member-pseudonym:{member_id}")[:20]
