"""Staff's part in answering: typing in paper and telephone answers for an invited member
(mixed mode).

Typed-in answers go through the very page flow citizens use (``surveys.answering.views``), so
the same checks, conditions and completion apply; the response is marked with its mode and
who typed it. These pages are behind the staff login and keep their CSRF tokens. Staff
never reach a response the member started online (403), and every start and every page
typed in is in the audit trail.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.audit import record
from core.clock import utcnow
from extensions import db
from panel.auth import staff_required
from surveys.answering import operations as answering
from surveys.answering.links import staff_link
from surveys.answering.models import Response, ResponseMode
from surveys.answering.views import answer_page, done_page, first_page_url, language_of
from surveys.waves.forms import EntryForm
from surveys.waves.models import Invitation, Wave
from surveys.waves.operations import accepting_answers

bp = Blueprint("entry", __name__, url_prefix="/staff/entry")


@bp.route("/waves/<int:wave_id>", methods=["GET", "POST"], endpoint="start")
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
            try:
                response = answering.start_response(
                    invitation,
                    wave.questionnaire.languages[0],
                    utcnow(),
                    mode=ResponseMode(form.mode.data),
                    entered_by=current_user,
                )
            except answering.MembersOwnResponse as refusal:
                form.member_id.errors.append(str(refusal))
            else:
                record("answers.entry_start", f"response:{response.id}", wave=wave.id,
                       invitation=invitation.id, mode=response.mode.value)  # fmt: skip
                db.session.commit()
                return redirect(url_for("entry.resume", response_id=response.id))
    return render_template("surveys/answering/entry_start.html", wave=wave, form=form)


@bp.route("/<int:response_id>", endpoint="resume")
@staff_required
def entry_resume(response_id: int) -> ResponseReturnValue:
    link = staff_link(response_id)
    assert link.response is not None  # noqa: S101
    return redirect(first_page_url(link, link.response, language_of(link)))


@bp.route("/<int:response_id>/<int:number>", methods=["GET", "POST"], endpoint="page")
@staff_required
def entry_page(response_id: int, number: int) -> ResponseReturnValue:
    link = staff_link(response_id, lock=request.method == "POST")
    page = answer_page(link, number)
    if request.method == "POST":
        record("answers.entry_page", f"response:{response_id}", page=number)
        db.session.commit()
    return page


@bp.route("/<int:response_id>/done", endpoint="done")
@staff_required
def entry_done(response_id: int) -> ResponseReturnValue:
    return done_page(staff_link(response_id))
