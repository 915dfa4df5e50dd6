"""The idea bank's pages: the public list and idea pages, writing an idea, and staff's.

Writing shows similar ideas on request (a second button, so no JavaScript is needed): a
citizen whose idea is already there can see its answer instead of writing it again.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from core.errors import commit_or_flash
from core.i18n import current_language
from extensions import db, limiter
from initiatives.ideas import operations as ideas
from initiatives.ideas.forms import IdeaForm, state_form
from initiatives.ideas.models import PUBLIC_STATES, STATE_LABELS, TOPICS, Idea, IdeaState
from panel.auth import staff_required

bp = Blueprint("ideas", __name__, url_prefix="/ideas")
staff_bp = Blueprint("ideas_staff", __name__, url_prefix="/staff/ideas")


def _rate_limit() -> str:
    return str(current_app.config["PROPOSAL_RATE_LIMIT"])


@bp.route("/", endpoint="index")
def index() -> ResponseReturnValue:
    topic = request.args.get("topic")
    query = select(Idea).where(Idea.state.in_(PUBLIC_STATES)).order_by(Idea.id.desc())
    if topic in TOPICS:
        query = query.where(Idea.topic == topic)
    shown = db.session.scalars(query.limit(200)).all()
    return render_template("initiatives/ideas/index.html", ideas=shown, topics=TOPICS, topic=topic)


@bp.route("/new", methods=["GET", "POST"], endpoint="new")
@limiter.limit(_rate_limit, methods=["POST"])
def new() -> ResponseReturnValue:
    form = IdeaForm()
    similar: list[Idea] | None = None
    if form.validate_on_submit():
        if form.check.data:
            similar = ideas.similar_ideas(form.title.data or "", form.text.data or "")
        else:
            submitted = commit_or_flash(
                lambda: ideas.submit_idea(
                    form.topic.data or "", form.title.data or "", form.text.data or "",
                    current_language(), form.name.data, form.email.data,
                ),
                form=form,
            )  # fmt: skip
            if submitted.ok:
                return redirect(url_for("ideas.sent"))
    return render_template("initiatives/ideas/new.html", form=form, similar=similar)


@bp.route("/thank-you", endpoint="sent")
def sent() -> ResponseReturnValue:
    return render_template("initiatives/ideas/sent.html")


@bp.route("/<int:idea_id>", endpoint="show")
def show(idea_id: int) -> ResponseReturnValue:
    idea = db.get_or_404(Idea, idea_id)
    if not idea.is_public:
        abort(404)
    return render_template("initiatives/ideas/show.html", idea=idea, labels=_labels_by_value())


def _labels_by_value() -> dict[str, str]:
    return {state.value: str(label) for state, label in STATE_LABELS.items()}


@staff_bp.route("/", endpoint="index")
@staff_required
def staff_index() -> ResponseReturnValue:
    wanted = request.args.get("state", IdeaState.SUBMITTED.value)
    query = select(Idea).order_by(Idea.id.desc())
    if wanted in {s.value for s in IdeaState}:
        query = query.where(Idea.state == IdeaState(wanted))
    return render_template(
        "initiatives/staff/ideas.html",
        ideas=db.session.scalars(query.limit(500)).all(),
        labels=STATE_LABELS,
        wanted=wanted,
    )


@staff_bp.route("/<int:idea_id>", methods=["GET", "POST"], endpoint="show")
@staff_required
def staff_show(idea_id: int) -> ResponseReturnValue:
    idea = db.get_or_404(Idea, idea_id)
    form = state_form(idea.next_states())()
    if idea.next_states() and form.validate_on_submit():
        target = IdeaState(form.state.data)
        moved = commit_or_flash(
            lambda: ideas.change_state(idea, target, form.note.data or ""), form=form
        )
        if moved.ok:
            flash(_("The idea's status is saved."))
            return redirect(url_for("ideas_staff.show", idea_id=idea.id))
    return render_template(
        "initiatives/staff/idea.html", idea=idea, form=form, labels_by_value=_labels_by_value(),
        similar=[i for i in ideas.similar_ideas(idea.title, idea.text) if i.id != idea.id],
    )  # fmt: skip
