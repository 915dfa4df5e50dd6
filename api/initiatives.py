"""Citizen proposals and the idea bank over the API: what their public pages show.

Any valid token reads them, since nothing here is more than the public pages say:
proposals in a public state with their count of supporters (never who), and published
ideas with their status history and answer. Proposers', supporters' and authors' personal
data never leave the staff pages.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from marshmallow import RAISE, fields
from sqlalchemy import select

from api.blueprints import api_blueprint
from api.pagination import page_body, page_of
from api.problems import abort
from api.schemas import PageArgs, UtcDateTime, _Page
from api.tokens import requires
from extensions import db
from initiatives.ideas.models import PUBLIC_STATES as PUBLIC_IDEAS
from initiatives.ideas.models import Idea
from initiatives.proposals.models import PUBLIC_STATES as PUBLIC_PROPOSALS
from initiatives.proposals.models import Proposal, ProposalState
from initiatives.proposals.support import support_counts

bp = api_blueprint("api_initiatives", "Citizen proposals and the idea bank")


class ProposalSchema(ma.Schema):
    id = fields.Integer()
    title = fields.String()
    text = fields.String()
    language = fields.String()
    state = fields.String(metadata={"enum": [s.value for s in ProposalState]})
    threshold = fields.Integer(metadata={"description": "supporters needed"})
    supporters = fields.Integer(metadata={"description": "confirmed supporters"})
    proposers = fields.List(fields.String(), metadata={"description": "names, as published"})
    published_at = UtcDateTime(allow_none=True)
    closes_at = UtcDateTime(allow_none=True)
    screening_reason = fields.String(allow_none=True)
    council_decision = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True, metadata={"description": "what came of it"})
    answered_at = UtcDateTime(allow_none=True)
    questionnaire_id = fields.Integer(
        allow_none=True, metadata={"description": "the panel questionnaire about it, if any"}
    )


class ProposalPage(_Page):
    items = fields.List(fields.Nested(ProposalSchema))


class IdeaStepSchema(ma.Schema):
    at = UtcDateTime()
    state = fields.String()
    note = fields.String(allow_none=True)


class IdeaSchema(ma.Schema):
    id = fields.Integer()
    topic = fields.String()
    title = fields.String()
    text = fields.String()
    language = fields.String()
    state = fields.String()
    published_at = UtcDateTime(allow_none=True)
    answer = fields.String(allow_none=True)
    answered_at = UtcDateTime(allow_none=True)
    history = fields.List(fields.Nested(IdeaStepSchema))


class IdeaPage(_Page):
    items = fields.List(fields.Nested(IdeaSchema))


def proposal_data(proposal: Proposal, supporters: int) -> dict[str, Any]:
    data = {
        name: getattr(proposal, name) for name in ProposalSchema().fields if hasattr(Proposal, name)
    }
    data.update(
        state=proposal.state.value,
        supporters=supporters,
        proposers=[p.name for p in proposal.proposers if p.accepted_at and p.name],
    )
    return data


def idea_data(idea: Idea) -> dict[str, Any]:
    data = {name: getattr(idea, name) for name in IdeaSchema().fields if hasattr(Idea, name)}
    data.update(state=idea.state.value, history=idea.public_history())
    return data


@bp.route("/proposals", methods=["GET"])
@requires(None, "api.proposals.list")
@bp.arguments(PageArgs, location="query", unknown=RAISE)
@bp.response(200, ProposalPage)
def list_proposals(args: dict[str, Any]) -> dict[str, Any]:
    """Public citizen proposals by id, a page at a time, with their supporter counts."""
    public = select(Proposal).where(Proposal.state.in_(PUBLIC_PROPOSALS))
    found = page_of(public, Proposal.id, args)
    counts = support_counts(p.id for p in found)
    return page_body(found, args, lambda p: proposal_data(p, counts[p.id]))


@bp.route("/proposals/<id:proposal_id>", methods=["GET"])
@requires(None, "api.proposal.read")
@bp.response(200, ProposalSchema)
def read_proposal(proposal_id: int) -> dict[str, Any]:
    """One public citizen proposal (a draft or one being screened is a 404)."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not proposal.is_public:
        abort(404, message=_("There is no such proposal."))
    return proposal_data(proposal, support_counts([proposal.id])[proposal.id])


@bp.route("/ideas", methods=["GET"])
@requires(None, "api.ideas.list")
@bp.arguments(PageArgs, location="query", unknown=RAISE)
@bp.response(200, IdeaPage)
def list_ideas(args: dict[str, Any]) -> dict[str, Any]:
    """Published ideas by id, a page at a time, with their status history."""
    published = select(Idea).where(Idea.state.in_(PUBLIC_IDEAS))
    return page_body(page_of(published, Idea.id, args), args, idea_data)


@bp.route("/ideas/<id:idea_id>", methods=["GET"])
@requires(None, "api.idea.read")
@bp.response(200, IdeaSchema)
def read_idea(idea_id: int) -> dict[str, Any]:
    """One published idea (one awaiting moderation or refused is a 404)."""
    idea = db.session.get(Idea, idea_id)
    if idea is None or not idea.is_public:
        abort(404, message=_("There is no such idea."))
    return idea_data(idea)
