"""Focus-group pages: staff create, invite, draw and replace; members answer and see
their own selection probability. Views are thin: the work is in ``operations`` and
``lottery``."""

from __future__ import annotations

from collections import Counter
from typing import cast

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from core.errors import Refusal, commit_or_flash
from extensions import db
from panel.auth import member_required, staff_required
from panel.groups import lottery, operations
from panel.groups.forms import AnswerForm, DrawForm, GroupForm, InviteForm
from panel.groups.models import CandidateStatus, FocusGroup, GroupCandidate, GroupKind, GroupState
from panel.members.models import Member
from panel.staff.forms import ActionForm

bp = Blueprint("groups", __name__, url_prefix="/staff/groups")
member_bp = Blueprint("member_groups", __name__, url_prefix="/groups")


def _group(group_id: int) -> FocusGroup:
    return db.get_or_404(FocusGroup, group_id)


def _details(form: GroupForm) -> operations.GroupDetails:
    return operations.GroupDetails(
        kind=GroupKind(form.kind.data),
        title=(form.title.data or "").strip(),
        purpose=form.purpose.data or "",
        influence=form.influence.data or "",
        size=int(form.size.data or 0),
    )


@bp.route("/", methods=["GET", "POST"], endpoint="index")
@staff_required
def index() -> ResponseReturnValue:
    form = GroupForm()
    if form.validate_on_submit():
        outcome = commit_or_flash(
            lambda: operations.create_group(_details(form), current_user.id), form
        )
        if outcome.ok and outcome.value is not None:
            return redirect(url_for("groups.detail", group_id=outcome.value.id))
    groups = db.session.scalars(select(FocusGroup).order_by(FocusGroup.id.desc())).all()
    return render_template("panel/groups/index.html", groups=groups, form=form)


def _render_detail(group: FocusGroup, status: int = 200, **forms: object) -> ResponseReturnValue:
    form = forms.get("form")
    if form is None:
        form = GroupForm(formdata=None, obj=group)
        form.kind.data = group.kind.value
        form.quotas.data = operations.quotas_text(group)
    counts = Counter(c.status for c in group.candidates)
    relaxation = lottery.check_group(group) if group.state is GroupState.POOL else None
    page = render_template(
        "panel/groups/detail.html",
        group=group,
        form=form,
        invite_form=forms.get("invite_form") or InviteForm(formdata=None),
        draw_form=forms.get("draw_form") or DrawForm(formdata=None),
        action=ActionForm(),
        counts=counts,
        relaxation=relaxation,
        relaxation_lines=lottery.describe_relaxation(relaxation) if relaxation else [],
        selected=[c for c in group.candidates if c.status is CandidateStatus.SELECTED],
        dropped=[c for c in group.candidates if c.status is CandidateStatus.DROPPED_OUT],
        Status=CandidateStatus,
        State=GroupState,
    )
    return page, status


@bp.route("/<int:group_id>", endpoint="detail")
@staff_required
def detail(group_id: int) -> ResponseReturnValue:
    return _render_detail(_group(group_id))


@bp.route("/<int:group_id>/edit", methods=["POST"], endpoint="edit")
@staff_required
def edit(group_id: int) -> ResponseReturnValue:
    group = _group(group_id)
    form = GroupForm()
    if form.validate_on_submit():

        def work() -> None:
            quotas = operations.parse_quotas(form.quotas.data or "")
            operations.update_group(group, _details(form), quotas)

        if commit_or_flash(work, form).ok:
            flash(_("The group is saved."))
            return redirect(url_for("groups.detail", group_id=group.id))
    return _render_detail(group, 400, form=form)


@bp.route("/<int:group_id>/invite", methods=["POST"], endpoint="invite")
@staff_required
def invite(group_id: int) -> ResponseReturnValue:
    group = _group(group_id)
    form = InviteForm()
    if form.validate_on_submit():
        outcome = commit_or_flash(lambda: operations.invite_pool(group, int(form.count.data or 0)))
        if outcome.ok:
            invited = outcome.value or 0
            flash(ngettext("%(num)s member invited.", "%(num)s members invited.", invited))
            return redirect(url_for("groups.detail", group_id=group.id))
    return _render_detail(group, 400, invite_form=form)


@bp.route("/<int:group_id>/draw", methods=["POST"], endpoint="draw")
@staff_required
def draw(group_id: int) -> ResponseReturnValue:
    group = _group(group_id)
    form = DrawForm()
    if form.validate_on_submit():
        seed = (form.seed.data or "").strip()
        if commit_or_flash(lambda: lottery.draw_group(group, seed, current_user.id), form).ok:
            flash(_("The group is drawn."))
            return redirect(url_for("groups.detail", group_id=group.id))
    return _render_detail(group, 400, draw_form=form)


@bp.route("/<int:group_id>/replace/<int:candidate_id>", methods=["POST"], endpoint="replace")
@staff_required
def replace(group_id: int, candidate_id: int) -> ResponseReturnValue:
    candidate = db.get_or_404(GroupCandidate, candidate_id)
    if candidate.group_id != group_id or not ActionForm().validate_on_submit():
        abort(400)
    outcome = commit_or_flash(lambda: lottery.replace_dropout(candidate))
    if outcome.ok:
        if outcome.value is None:
            flash(_("No alternate keeps the quotas: the group is one member short."))
        else:
            flash(_("Member %(id)s takes the place.", id=outcome.value.member_id))
    return redirect(url_for("groups.detail", group_id=group_id))


@bp.route("/<int:group_id>/close", methods=["POST"], endpoint="close")
@staff_required
def close(group_id: int) -> ResponseReturnValue:
    group = _group(group_id)
    if ActionForm().validate_on_submit():
        commit_or_flash(lambda: operations.close_group(group))
    return redirect(url_for("groups.detail", group_id=group.id))


@member_bp.route("/<int:group_id>", methods=["GET", "POST"], endpoint="invitation")
@member_required
def invitation(group_id: int) -> ResponseReturnValue:
    """The invited member's page: what the group is for, yes or no, and after the draw
    their own selection probability and whether they were drawn."""
    group = _group(group_id)
    member = cast(Member, current_user._get_current_object())
    candidate = operations.candidacy(group, member)
    if candidate is None:
        abort(404)
    form = AnswerForm()
    if candidate.can_answer and form.validate_on_submit():
        yes = form.answer.data == "yes"
        street, postcode = (form.street.data or "").strip(), (form.postcode.data or "").strip()

        def work() -> None:
            if yes and not (street and postcode):
                raise Refusal(_("Give your address, so that we draw one per household."), "street")
            operations.answer_invitation(candidate, yes, street, postcode)

        if commit_or_flash(work, form).ok:
            flash(_("Thank you for your answer."))
            return redirect(url_for("member_groups.invitation", group_id=group.id))
    elif request.method == "GET" and candidate.status is not CandidateStatus.INVITED:
        form.answer.data = "yes" if candidate.status is CandidateStatus.ACCEPTED else "no"
    return render_template(
        "panel/groups/invitation.html",
        group=group,
        candidate=candidate,
        form=form,
        Status=CandidateStatus,
    )
