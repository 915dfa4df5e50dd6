"""Who is answering what: the link a request came through, loaded in one query.

Every answering request starts from the token in its address (or, for staff typing in
answers, a response id). One query finds the invitation with its wave and member (only the
columns the checks read: a wave's allocation alone can be kilobytes of JSON), the response
if there is one, and the questionnaire's state, creation time and public link, which say
whether this process's frozen copy of the questionnaire can serve
(``surveys.answering.frozen``) and whether a public link is still open.

A page POST (``lock=True``) takes the response's row lock in that same query (``FOR
UPDATE``; SQLite serialises writers anyway), so everything the request reads after it
(the answers so far, whether the response is completed) is what the previous save left:
a double click's second request waits for the first, then finds its answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import abort, url_for
from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager, joinedload

from core.clock import utcnow
from extensions import db
from panel.members.models import Member, MemberStatus
from surveys.answering.frozen import questionnaire_for_answering
from surveys.answering.models import Response
from surveys.answering.operations import token_hash
from surveys.questionnaires.models import Questionnaire
from surveys.waves.models import Invitation, Wave
from surveys.waves.operations import accepting_answers, invitation_token_hash

#: What the checks read of a wave and of a member (the rest loads if ever asked for).
WAVE_COLUMNS = (Wave.id, Wave.questionnaire_id, Wave.state, Wave.closes_at)
MEMBER_COLUMNS = (Member.id, Member.status, Member.language, Member.birth_year, Member.attributes)
#: The questionnaire's columns each request reads fresh: the frozen copy has neither
#: ``state`` nor ``public_token``.
FRESH = (Questionnaire.state, Questionnaire.created_at, Questionnaire.public_token)


@dataclass
class Link:
    """Who is answering what, and through which addresses; built from the URL."""

    questionnaire: Questionnaire
    response: Response | None
    invitation: Invitation | None = None
    #: The endpoints of this flow and their URL arguments (citizen link or staff entry).
    endpoints: dict[str, str] = field(default_factory=dict)
    args: dict[str, Any] = field(default_factory=dict)
    staff: bool = False
    #: Whether the questionnaire's public link is open, as the request read it.
    public_open: bool = False

    def url(self, name: str, **extra: Any) -> str:
        return url_for(self.endpoints[name], **self.args, **extra)

    @property
    def public(self) -> bool:
        return self.invitation is None and not self.staff

    def open(self) -> bool:
        """Whether answers are taken now through this link."""
        if self.invitation is not None:
            member = self.invitation.member
            return (
                member is not None
                and member.status is MemberStatus.ACTIVE
                and accepting_answers(self.invitation, utcnow())
            )
        return self.public_open


CITIZEN = {"intro": "answering.intro", "page": "answering.page", "done": "answering.done"}
ENTRY = {"intro": "entry.resume", "page": "entry.page", "done": "entry.done"}


def _invited(token: str, lock: bool) -> Any:
    """(invitation, response or None, state, created_at, public token) or None."""
    query = (
        select(Invitation, Response, *FRESH)
        .join(Invitation.wave)
        .join(Questionnaire, Questionnaire.id == Wave.questionnaire_id)
        .where(Invitation.token_hash == invitation_token_hash(token))
        .options(
            contains_eager(Invitation.wave).load_only(*WAVE_COLUMNS),
            joinedload(Invitation.member).load_only(*MEMBER_COLUMNS),
        )
    )
    return _first(query, lock)


def _public(token: str, lock: bool) -> Any:
    """(response, state, created_at, public token) of a public respondent's link, or None."""
    query = (
        select(Response, *FRESH)
        .join(Questionnaire, Questionnaire.id == Response.questionnaire_id)
        .where(Response.token_hash == token_hash(token))
    )
    return _first(query, lock, joined=False)


def _first(query: Select[*tuple[Any, ...]], lock: bool, joined: bool = True) -> Any:
    """The first row; locked (the response's row) when asked and there is a response."""
    on = Response.invitation_id == Invitation.id
    if lock:
        locked = query.join(Response, on) if joined else query
        row = db.session.execute(locked.with_for_update(of=Response)).first()
        if row is not None or not joined:
            return row
    return db.session.execute(query.outerjoin(Response, on) if joined else query).first()


def citizen_link(token: str, lock: bool = False) -> Link:
    """The link of a personal (invitation) or public respondent's token; 404 if none.
    ``lock``: take the response's row lock, for a request that saves answers."""
    found = _invited(token, lock)
    if found is not None:
        invitation, response, state, created_at, public_token = found
        wave = invitation.wave
        questionnaire = questionnaire_for_answering(wave.questionnaire_id, state, created_at)
        return Link(
            questionnaire, response, invitation, CITIZEN, {"token": token},
            public_open=public_token is not None,
        )  # fmt: skip
    found = _public(token, lock)
    if found is None:
        abort(404)
    response, state, created_at, public_token = found
    questionnaire = questionnaire_for_answering(response.questionnaire_id, state, created_at)
    return Link(
        questionnaire, response, None, CITIZEN, {"token": token},
        public_open=public_token is not None,
    )  # fmt: skip


def staff_link(response_id: int, lock: bool = False) -> Link:
    """The link of staff typing in a member's paper or telephone answers; 404 for a
    response not through an invitation, 403 for one the member started online."""
    response = db.session.get(Response, response_id, with_for_update=lock)
    if response is None:
        abort(404)
    if response.invitation is None:  # only invited members' answers are typed in
        abort(404)
    if response.entered_by_id is None:  # the member's own, started through their link
        abort(403)
    state, created_at, public_token = db.session.execute(
        select(*FRESH).where(Questionnaire.id == response.questionnaire_id)
    ).one()
    questionnaire = questionnaire_for_answering(response.questionnaire_id, state, created_at)
    return Link(
        questionnaire, response, response.invitation, ENTRY, {"response_id": response.id},
        staff=True, public_open=public_token is not None,
    )  # fmt: skip
