"""Staff pages for proposals: screening with a published reason, support on paper, the
council's decision and what came of it. Proposers' and supporters' details are shown here
only, to staff; each decision is recorded in the audit trail by the operation it calls."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from core.errors import commit_or_flash
from core.i18n import current_language
from extensions import db
from initiatives.proposals import operations as proposals
from initiatives.proposals import support as supports
from initiatives.proposals.forms import PaperSupportForm, ScreeningForm, StatementForm
from initiatives.proposals.models import STATE_LABELS, Proposal, ProposalState, Support
from initiatives.proposals.panel_question import ASKABLE, ask_panel, panel_views, panel_waves
from panel.auth import staff_required

bp = Blueprint("proposals_staff", __name__, url_prefix="/staff/proposals")


@bp.route("/", endpoint="index")
@staff_required
def index() -> ResponseReturnValue:
    wanted = request.args.get("state")
    query = select(Proposal).order_by(Proposal.id.desc())
    if wanted in {s.value for s in ProposalState}:
        query = query.where(Proposal.state == ProposalState(wanted))
    shown = db.session.scalars(query).all()
    return render_template(
        "initiatives/staff/proposals.html",
        proposals=shown,
        counts=supports.support_counts(p.id for p in shown),
        states=list(ProposalState),
        labels=STATE_LABELS,
        wanted=wanted,
    )


def _page(proposal: Proposal, status: int = 200, **forms: object) -> ResponseReturnValue:
    by_channel = dict(
        db.session.execute(
            select(Support.channel, func.count())
            .where(Support.proposal_id == proposal.id, Support.confirmed_at.is_not(None))
            .group_by(Support.channel)
        ).all()
    )
    context = {
        "screening": ScreeningForm(formdata=None),
        "statement": StatementForm(formdata=None),
        "paper": PaperSupportForm(formdata=None),
        "button": FlaskForm(formdata=None),
        **forms,
    }
    page = render_template(
        "initiatives/staff/proposal.html",
        proposal=proposal,
        count=sum(by_channel.values()),
        by_channel=by_channel,
        askable=proposal.state in ASKABLE and proposal.questionnaire_id is None,
        waves=panel_waves(proposal),
        panel=panel_views(proposal, current_language()),
        similar=proposals.similar_proposals(proposal),
        **context,
    )
    return page, status


@bp.route("/<int:proposal_id>", endpoint="show")
@staff_required
def show(proposal_id: int) -> ResponseReturnValue:
    return _page(db.get_or_404(Proposal, proposal_id))


@bp.route("/<int:proposal_id>/screen", methods=["POST"], endpoint="screen")
@staff_required
def screen(proposal_id: int) -> ResponseReturnValue:
    proposal = db.get_or_404(Proposal, proposal_id)
    form = ScreeningForm()
    if form.validate_on_submit():
        admit = form.decision.data == "admit"
        done = commit_or_flash(
            lambda: proposals.screen(proposal, admit, form.reason.data or ""), form=form
        )
        if done.ok:
            flash(_("The proposal is published.") if admit else _("The proposal is refused."))
            return redirect(url_for("proposals_staff.show", proposal_id=proposal.id))
    return _page(proposal, 422, screening=form)


@bp.route(
    "/<int:proposal_id>/<any(decision, outcome):what>", methods=["POST"], endpoint="statement"
)
@staff_required
def statement(proposal_id: int, what: str) -> ResponseReturnValue:
    proposal = db.get_or_404(Proposal, proposal_id)
    form = StatementForm()
    if form.validate_on_submit():
        record = proposals.record_decision if what == "decision" else proposals.record_outcome
        if commit_or_flash(lambda: record(proposal, form.text.data or ""), form=form).ok:
            flash(_("Saved and published on the proposal's page."))
            return redirect(url_for("proposals_staff.show", proposal_id=proposal.id))
    return _page(proposal, 422, statement=form)


@bp.route("/<int:proposal_id>/paper", methods=["POST"], endpoint="paper")
@staff_required
def paper(proposal_id: int) -> ResponseReturnValue:
    proposal = db.get_or_404(Proposal, proposal_id)
    form = PaperSupportForm()
    if form.validate_on_submit():
        done = commit_or_flash(
            lambda: supports.record_paper_support(
                proposal, form.name.data or "", form.birth_date.data, form.note.data or "",
                email=form.email.data or None,
            ),
            form=form,
        )  # fmt: skip
        if done.ok:
            flash(
                _("The support is recorded.")
                if done.value
                else _("This person already supports the proposal; nothing was added.")
            )
            return redirect(url_for("proposals_staff.show", proposal_id=proposal.id))
    return _page(proposal, 422, paper=form)


@bp.route("/<int:proposal_id>/ask-panel", methods=["POST"], endpoint="ask_panel")
@staff_required
def ask_panel_view(proposal_id: int) -> ResponseReturnValue:
    proposal = db.get_or_404(Proposal, proposal_id)
    if FlaskForm().validate_on_submit():
        drafted = commit_or_flash(lambda: ask_panel(proposal))
        if drafted.value is not None:
            flash(
                _("A draft questionnaire is made. Check it, mark it ready and send it to a wave.")
            )
            return redirect(
                url_for("questionnaires.questionnaire", questionnaire_id=drafted.value.id)
            )
    return redirect(url_for("proposals_staff.show", proposal_id=proposal.id))
