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
from functools import cache
from typing import Any

from flask import abort, url_for
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import contains_eager, defer, joinedload, load_only

from core.clock import utcnow
from extensions import db
from panel.members.models import Member, MemberStatus
from surveys.answering.frozen import questionnaire_for_answering
from surveys.answering.models import Response
from surveys.answering.operations import token_hash
from surveys.questionnaires.models import Questionnaire
from surveys.waves.models import Invitation, Wave
from surveys.waves.operations import accepting_answers, invitation_token_hash

#: What the checks read of an invitation, its wave and its member (the rest loads if ever
#: asked for).
INVITATION_COLUMNS = (
    Invitation.id, Invitation.wave_id, Invitation.member_id, Invitation.invited_at,
    Invitation.started_at,
)  # fmt: skip
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


@cache
def _invitation_query(lock: bool) -> Select[*tuple[Any, ...]]:
    """Built once per process (a statement is immutable): building this one cost more than
    running it. ``lock``: only a link with a response, whose row it locks."""
    query = (
        select(Invitation, Response, *FRESH)
        .join(Invitation.wave)
        .join(Questionnaire, Questionnaire.id == Wave.questionnaire_id)
        .where(Invitation.token_hash == bindparam("digest"))
        .options(
            load_only(*INVITATION_COLUMNS),
            contains_eager(Invitation.wave).load_only(*WAVE_COLUMNS),
            joinedload(Invitation.member).load_only(*MEMBER_COLUMNS),
            defer(Response.attributes),
        )
    )
    on = Response.invitation_id == Invitation.id
    if lock:
        return query.join(Response, on).with_for_update(of=Response)
    return query.outerjoin(Response, on)


@cache
def _public_query(lock: bool) -> Select[*tuple[Any, ...]]:
    query = (
        select(Response, *FRESH)
        .join(Questionnaire, Questionnaire.id == Response.questionnaire_id)
        .where(Response.token_hash == bindparam("digest"))
        .options(defer(Response.attributes))
    )
    return query.with_for_update(of=Response) if lock else query


def _invited(token: str, lock: bool) -> Any:
    """(invitation, response or None, state, created_at, public token) or None."""
    digest = {"digest": invitation_token_hash(token)}
    if lock:
        row = db.session.execute(_invitation_query(True), digest).first()
        if row is not None:
            return row
    return db.session.execute(_invitation_query(False), digest).first()


def _public(token: str, lock: bool) -> Any:
    """(response, state, created_at, public token) of a public respondent's link, or None."""
    return db.session.execute(_public_query(lock), {"digest": token_hash(token)}).first()


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
    response = db.session.get(Response, response_id, with_for_update=True if lock else None)
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
