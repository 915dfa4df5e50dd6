"""Refusals: what every area raises when the rules do not allow what was asked.

Operations refuse by raising a ``Refusal`` whose text is already translated (built with
gettext where it is raised, so in the asker's language) and may name the form field it
belongs next to. Views do not catch errors one by one: ``commit_or_flash`` runs the
operation, commits what it did, or rolls it all back and shows the refusal where the user
looks for it. So a refused change never leaves half of itself in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import flash

from extensions import db

T = TypeVar("T")


class Refusal(ValueError):
    """The rules do not allow this; ``str(refusal)`` says why, in the user's language.

    A subclass (or a raise) sets ``field`` to the name of the form field the message
    belongs next to; without one it is shown at the top of the form, or flashed.
    """

    field: str | None = None

    def __init__(self, message: str = "", field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field


class InvalidTransition(Refusal):
    """A member, questionnaire or wave asked to move to a state it cannot reach from its
    current one (every state machine in Borgerpanel raises this)."""


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What ``commit_or_flash`` did: the operation's result, or the refusal it raised."""

    value: T | None = None
    refusal: Refusal | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None


def commit_or_flash(
    work: Callable[[], T], form: Any = None, field: str | None = None, show: bool = True
) -> Outcome[T]:
    """Run ``work`` and commit; on a ``Refusal`` roll everything back and show it.

    The message goes next to the form field the refusal names, else next to ``field``,
    else at the top of ``form``, else into a flash message. ``show=False`` leaves
    showing it to the caller (a page that renders the problem itself).
    """
    try:
        value = work()
    except Refusal as refusal:
        db.session.rollback()
        if show:
            _show(refusal, form, field)
        return Outcome(refusal=refusal)
    db.session.commit()
    return Outcome(value=value)


def _show(refusal: Refusal, form: Any, field: str | None) -> None:
    message = str(refusal)
    if form is not None:
        for name in (refusal.field, field):
            if name and name in form:
                form[name].errors.append(message)
                return
        form.form_errors.append(message)
        return
    flash(message)
