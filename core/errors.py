"""Errors shared by every area."""

from __future__ import annotations


class InvalidTransition(ValueError):
    """Raised when a member, questionnaire or wave is asked to move to a state it cannot
    reach from its current one (every state machine in Borgerpanel raises this)."""
