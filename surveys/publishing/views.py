"""Giving results back: staff publish a wave and pick the quotes shown with it.

The public page (``surveys.results.views.public``) is the only results page without a
login: it exists only while the wave's publication is public (404 otherwise), shows the
overall figures and the breakdowns the politicians' page allows, through the same
suppression, and the published quotes.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from core.audit import record
from core.errors import commit_or_flash
from core.i18n import current_language, text_in
from core.input_checks import bounded_int
from extensions import db
from panel.auth import staff_required
from surveys.publishing.forms import PublishForm
from surveys.publishing.models import Publication
from surveys.publishing.operations import mail_again, mail_respondents, publication_of, publish
from surveys.publishing.quotes import candidates, free_text_questions, save_quotes
from surveys.waves.models import Wave, WaveState

QUOTES_PER_PAGE = 50

bp = Blueprint("publishing", __name__, url_prefix="/staff/publishing")


@bp.route("/<int:wave_id>", methods=["GET", "POST"], endpoint="publish")
@staff_required
def publish_page(wave_id: int) -> ResponseReturnValue:
    wave = db.get_or_404(Wave, wave_id)
    publication = publication_of(wave)
    form = PublishForm(
        public=publication.public if publication else False,
        you_said_we_did_da=(publication.you_said_we_did.get("da", "") if publication else ""),
        you_said_we_did_en=(publication.you_said_we_did.get("en", "") if publication else ""),
    )
    if form.validate_on_submit():

        def save() -> Publication:
            saved = publish(wave, bool(form.public.data), form.texts())
            if form.mail_again.data:
                mail_again(saved)
            record("results.publish", f"wave:{wave.id}", public=saved.public,
                   mail_again=bool(form.mail_again.data))  # fmt: skip
            return saved

        published = commit_or_flash(save, show=False)
        if published.value is None:
            flash(_("Only a closed wave's results can be published."))
        else:
            sent = mail_respondents(published.value)
            flash(_("The results are published. %(n)d mails are on their way.", n=sent))
            return redirect(url_for("publishing.publish", wave_id=wave.id))
    return render_template(
        "surveys/results/publish.html",
        wave=wave,
        form=form,
        publication=publication,
        closed=wave.state is WaveState.CLOSED,
    )


@bp.route("/<int:wave_id>/quotes", methods=["GET", "POST"], endpoint="quotes")
@staff_required
def quotes_page(wave_id: int) -> ResponseReturnValue:
    wave = db.get_or_404(Wave, wave_id)
    language = current_language()
    questions = free_text_questions(wave)
    key = request.args.get("question") or (questions[0].key if questions else None)
    question = next((q for q in questions if q.key == key), None)
    page = bounded_int(request.args.get("page"))
    form = FlaskForm()
    if question is not None and form.validate_on_submit():
        ids = [int(i) for i in request.form.getlist("answer") if i.isdigit()]
        chosen = set(request.form.getlist("publish"))
        save_quotes(
            wave, question.key,
            {i: (str(i) in chosen, request.form.get(f"text-{i}", "")) for i in ids},
        )  # fmt: skip
        record("results.quotes", f"wave:{wave.id}", question=question.key, published=len(chosen))
        db.session.commit()
        flash(_("The quotes are saved."))
        return redirect(url_for("publishing.quotes", wave_id=wave.id, question=key, page=page))
    rows, total = (
        candidates(wave, question.key, (page - 1) * QUOTES_PER_PAGE, QUOTES_PER_PAGE)
        if question is not None
        else ([], 0)
    )
    return render_template(
        "surveys/results/quotes.html",
        wave=wave,
        form=form,
        questions=[(q.key, text_in(q.text, language)) for q in questions],
        question=question,
        question_text=text_in(question.text, language) if question else "",
        rows=rows,
        page=page,
        pages=max((total + QUOTES_PER_PAGE - 1) // QUOTES_PER_PAGE, 1),
    )
