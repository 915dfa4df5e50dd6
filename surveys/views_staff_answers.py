"""Staff's part in answering: typing in paper and telephone answers for an invited member
(mixed mode), and opening or closing a questionnaire's public link.

Typed-in answers go through the very page flow citizens use (``surveys.views_answer``), so
the same checks, conditions and completion apply; the response is marked with its mode and
who typed it. These pages are behind the staff login and keep their CSRF tokens.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from extensions import db
from panel.auth import staff_required
from panel.clock import utcnow
from surveys import answering
from surveys.models import Questionnaire, Response, ResponseMode
from surveys.views_answer import Link, answer_page, bp, done_page, first_page_url, language_of
from surveys.wave_forms import ConfirmForm, EntryForm
from surveys.wave_models import Invitation, Wave
from surveys.waves import accepting_answers

ENTRY = {"intro": "answer.entry_resume", "page": "answer.entry_page", "done": "answer.entry_done"}


def staff_link(response_id: int) -> Link:
    response = db.get_or_404(Response, response_id)
    if response.invitation is None:  # only invited members' answers are typed in
        abort(404)
    questionnaire = answering.load_questionnaire(response.questionnaire_id)
    return Link(
        questionnaire, response, response.invitation, ENTRY, {"response_id": response.id},
        staff=True,
    )  # fmt: skip


@bp.route("/staff/waves/<int:wave_id>/entry", methods=["GET", "POST"], endpoint="entry_start")
@staff_required
def entry_start(wave_id: int) -> ResponseReturnValue:
    wave = db.get_or_404(Wave, wave_id)
    form = EntryForm()
    if form.validate_on_submit():
        invitation = db.session.scalar(
            select(Invitation).filter_by(wave_id=wave.id, member_id=form.member_id.data)
        )
        existing = invitation and db.session.scalar(
            select(Response).filter_by(invitation_id=invitation.id)
        )
        if invitation is None or invitation.invited_at is None:
            form.member_id.errors.append(_("This member was not invited in this wave."))
        elif existing is not None and existing.completed_at is not None:
            form.member_id.errors.append(_("This member has already answered."))
        elif not accepting_answers(invitation, utcnow()):
            form.member_id.errors.append(_("The wave is not open for answers."))
        else:
            response = answering.start_response(
                invitation,
                wave.questionnaire.languages[0],
                utcnow(),
                mode=ResponseMode(form.mode.data),
                entered_by=current_user,
            )
            return redirect(url_for("answer.entry_resume", response_id=response.id))
    return render_template("surveys/answer/entry_start.html", wave=wave, form=form)


@bp.route("/staff/entry/<int:response_id>", endpoint="entry_resume")
@staff_required
def entry_resume(response_id: int) -> ResponseReturnValue:
    link = staff_link(response_id)
    assert link.response is not None  # noqa: S101
    return redirect(first_page_url(link, link.response, language_of(link)))


@bp.route("/staff/entry/<int:response_id>/<int:number>", methods=["GET", "POST"],
          endpoint="entry_page")  # fmt: skip
@staff_required
def entry_page(response_id: int, number: int) -> ResponseReturnValue:
    return answer_page(staff_link(response_id), number)


@bp.route("/staff/entry/<int:response_id>/done", endpoint="entry_done")
@staff_required
def entry_done(response_id: int) -> ResponseReturnValue:
    return done_page(staff_link(response_id))


@bp.route("/staff/questionnaires/<int:questionnaire_id>/public", methods=["POST"],
          endpoint="public_link")  # fmt: skip
@staff_required
def public_link(questionnaire_id: int) -> ResponseReturnValue:
    """Open the public link (a new address each time) or close it."""
    questionnaire = db.get_or_404(Questionnaire, questionnaire_id)
    if ConfirmForm().validate_on_submit():
        try:
            opened = answering.toggle_public_link(questionnaire)
        except answering.AnsweringClosed:
            flash(_("Only a questionnaire that is ready or in use can have a public link."))
        else:
            flash(_("The public link is open.") if opened else _("The public link is closed."))
    return redirect(url_for("builder.questionnaire", questionnaire_id=questionnaire.id))
