"""The citizens' proposal pages: the list, a proposal's page, writing one, supporting one.

No page needs JavaScript or a login: proposers reach their draft by a personal link,
supporters confirm by a mailed link, and panel members who are logged in support with one
button. Links in mails lead to a page with a button, since mail scanners fetch GET links;
only the POST behind it does anything. Public pages show how many support a proposal,
never who.
"""

from __future__ import annotations

from typing import cast

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from core.clock import utcnow
from core.errors import commit_or_flash
from core.i18n import current_language
from extensions import db, limiter
from initiatives.proposals import operations as proposals
from initiatives.proposals import support as supports
from initiatives.proposals.forms import AcceptForm, DraftForm, InviteForm, ProposalForm, SupportForm
from initiatives.proposals.models import PUBLIC_STATES, Proposal, ProposalState, Proposer
from initiatives.proposals.panel_question import panel_views
from initiatives.proposals.scheme import current_scheme
from panel.members.models import Member

bp = Blueprint("proposals", __name__, url_prefix="/proposals")

#: A link that does not work (used, expired or never issued).
LINK_GONE = 410


def _rate_limit() -> str:
    return str(current_app.config["PROPOSAL_RATE_LIMIT"])


def _public_or_404(proposal_id: int) -> Proposal:
    proposal = db.get_or_404(Proposal, proposal_id)
    if not proposal.is_public:
        abort(404)
    return proposal


def _member() -> Member | None:
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return cast(Member, user) if isinstance(user, Member) else None


@bp.route("/", endpoint="index")
def index() -> ResponseReturnValue:
    shown = db.session.scalars(
        select(Proposal)
        .where(Proposal.state.in_(PUBLIC_STATES))
        .order_by(Proposal.published_at.desc(), Proposal.id.desc())
    ).all()
    return render_template(
        "initiatives/proposals/index.html",
        proposals=shown,
        counts=supports.support_counts(p.id for p in shown),
        scheme=current_scheme(),
    )


@bp.route("/new", methods=["GET", "POST"], endpoint="new")
@limiter.limit(_rate_limit, methods=["POST"])
def new() -> ResponseReturnValue:
    form = ProposalForm()
    if form.validate_on_submit():
        started = commit_or_flash(
            lambda: proposals.start_proposal(
                form.title.data or "", form.text.data or "", current_language(),
                form.name.data or "", form.email.data or "", form.birth_date.data,
            ),
            form=form,
        )  # fmt: skip
        if started.ok:
            return redirect(url_for("proposals.sent"))
    return render_template("initiatives/proposals/new.html", form=form, scheme=current_scheme())


@bp.route("/check-your-inbox", endpoint="sent")
def sent() -> ResponseReturnValue:
    return render_template("initiatives/proposals/sent.html")


@bp.route("/<int:proposal_id>", endpoint="show")
def show(proposal_id: int) -> ResponseReturnValue:
    return _proposal_page(_public_or_404(proposal_id), SupportForm(), _member())


def _proposal_page(proposal: Proposal, form: SupportForm, member: Member | None) -> str:
    return render_template(
        "initiatives/proposals/show.html",
        proposal=proposal,
        count=supports.support_counts([proposal.id])[proposal.id],
        panel=panel_views(proposal, current_language()),
        open=proposal.accepts_support(utcnow()),
        member=member,
        form=form,
        button=FlaskForm(),
    )


@bp.route("/<int:proposal_id>/support", methods=["POST"], endpoint="support")
@limiter.limit(_rate_limit)
def support(proposal_id: int) -> ResponseReturnValue:
    proposal = _public_or_404(proposal_id)
    member = _member()
    if member is not None:
        counted = commit_or_flash(lambda: supports.support_as_member(proposal, member))
        if counted.ok:
            return redirect(url_for("proposals.supported", proposal_id=proposal.id))
        return redirect(url_for("proposals.show", proposal_id=proposal.id))
    form = SupportForm()
    if form.validate_on_submit():
        done = commit_or_flash(
            lambda: supports.request_support(
                proposal, form.name.data or "", form.email.data or "", form.birth_date.data
            ),
            form=form,
        )
        if done.ok:
            return redirect(url_for("proposals.support_sent", proposal_id=proposal.id))
    return _proposal_page(proposal, form, None), 422


@bp.route("/<int:proposal_id>/support/check-your-inbox", endpoint="support_sent")
def support_sent(proposal_id: int) -> ResponseReturnValue:
    return render_template(
        "initiatives/proposals/support_sent.html", proposal=_public_or_404(proposal_id)
    )


@bp.route("/<int:proposal_id>/support/thank-you", endpoint="supported")
def supported(proposal_id: int) -> ResponseReturnValue:
    return render_template(
        "initiatives/proposals/supported.html", proposal=_public_or_404(proposal_id)
    )


@bp.route("/confirm/<token>", methods=["GET", "POST"], endpoint="confirm")
def confirm(token: str) -> ResponseReturnValue:
    form = FlaskForm()
    if form.validate_on_submit():
        confirmed = supports.confirm_support(token)
        if confirmed is None:
            db.session.rollback()
            return _link_gone()
        db.session.commit()
        return redirect(url_for("proposals.supported", proposal_id=confirmed.proposal_id))
    return render_template("initiatives/proposals/confirm.html", form=form)


def _main_proposer(token: str) -> Proposer | None:
    proposer = proposals.proposer_by_token(token)
    return proposer if proposer is not None and proposer.is_main else None


def _link_gone() -> ResponseReturnValue:
    return render_template("initiatives/proposals/link_invalid.html"), LINK_GONE


@bp.route("/manage/<token>", methods=["GET", "POST"], endpoint="manage")
def manage(token: str) -> ResponseReturnValue:
    proposer = _main_proposer(token)
    if proposer is None:
        return _link_gone()
    proposal = proposer.proposal
    draft = DraftForm(obj=proposal)
    if proposal.state is ProposalState.DRAFT and draft.validate_on_submit():
        saved = commit_or_flash(
            lambda: proposals.update_draft(proposal, draft.title.data or "", draft.text.data or ""),
            form=draft,
        )
        if saved.ok:
            return redirect(url_for("proposals.manage", token=token))
    return render_template(
        "initiatives/proposals/manage.html",
        proposal=proposal,
        token=token,
        draft=draft,
        invite=InviteForm(formdata=None),
        button=FlaskForm(),
        count=supports.support_counts([proposal.id])[proposal.id],
    )


@bp.route("/manage/<token>/invite", methods=["POST"], endpoint="invite")
@limiter.limit(_rate_limit)
def invite(token: str) -> ResponseReturnValue:
    proposer = _main_proposer(token)
    if proposer is None:
        return _link_gone()
    proposal = proposer.proposal
    form = InviteForm()
    if form.validate_on_submit():
        invited = commit_or_flash(
            lambda: proposals.invite_co_proposer(proposal, form.email.data or ""), form=form
        )
        if invited.ok:
            return redirect(url_for("proposals.manage", token=token))
    return render_template(
        "initiatives/proposals/manage.html",
        proposal=proposal,
        token=token,
        draft=DraftForm(obj=proposal, formdata=None),
        invite=form,
        button=FlaskForm(),
        count=0,
    ), 422


@bp.route("/manage/<token>/<any(submit, withdraw):action>", methods=["POST"], endpoint="act")
def act(token: str, action: str) -> ResponseReturnValue:
    proposer = _main_proposer(token)
    if proposer is None:
        return _link_gone()
    proposal = proposer.proposal
    if FlaskForm().validate_on_submit():
        work = proposals.submit_for_screening if action == "submit" else proposals.withdraw
        if commit_or_flash(lambda: work(proposal)).ok:
            if action == "submit":
                flash(_("The proposal is submitted. Staff screen it before it is published."))
            else:
                flash(_("The proposal is withdrawn."))
    return redirect(url_for("proposals.manage", token=token))


@bp.route("/invitation/<token>", methods=["GET", "POST"], endpoint="invitation")
def invitation(token: str) -> ResponseReturnValue:
    proposer = proposals.proposer_by_token(token)
    if proposer is None or proposer.is_main:
        return _link_gone()
    form = AcceptForm()
    if proposer.accepted_at is None and form.validate_on_submit():
        accepted = commit_or_flash(
            lambda: proposals.accept_invitation(
                proposer, form.name.data or "", form.birth_date.data
            ),
            form=form,
        )
        if accepted.ok:
            return redirect(url_for("proposals.invitation", token=token))
    return render_template(
        "initiatives/proposals/invitation.html", proposer=proposer, proposal=proposer.proposal,
        form=form,
    )  # fmt: skip
