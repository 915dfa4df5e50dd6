"""Staff pages for waves: the calendar of coming and past waves, creating one, and a
wave's page with its design, timetable, allocation preview or live counts, what ran
when, and the actions that move, pause, resume, cancel or release (a soft launch) it.
Wave plans have their pages in ``surveys.waves.plan_views``, on the same blueprint.

Every view is ``@staff_required`` and thin: the work is done by ``surveys.waves.operations`` and
``surveys.waves.sampling``; a refused transition or an unplannable design is shown as a
message, never as an error page. Everything works with plain forms and POST buttons.
"""

from __future__ import annotations

import logging
from datetime import date, time, timedelta
from itertools import groupby
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from core.audit import record
from core.clock import utcnow
from core.errors import commit_or_flash
from core.i18n import current_language, text_in
from extensions import db
from panel.auth import staff_required
from panel.demographics.attributes import load_attributes
from surveys.questionnaires.models import SENDABLE, Questionnaire
from surveys.waves import operations as waves
from surveys.waves.forms import (
    ALLOCATION_NAMES,
    OUTCOME_NAMES,
    STATE_NAMES,
    ConfirmForm,
    DatesForm,
    WaveForm,
)
from surveys.waves.models import Wave, WaveState
from surveys.waves.sampling import Stratum, WaveError, preview_wave
from surveys.waves.timeline import held_back, wave_timeline

bp = Blueprint("waves", __name__, url_prefix="/staff/waves")
log = logging.getLogger(__name__)
#: Local time at which a wave's invitations go out.
INVITATION_TIME = time(8, 0)


def _moments(form: DatesForm) -> dict[str, Any]:
    """The stored moments for the form's local dates: closing at the end of the closing date."""
    closing: date = form.closing_date.data + timedelta(days=1)
    return {
        "invite_at": waves.local_to_utc(form.invitation_date.data, INVITATION_TIME),
        "closes_at": waves.local_to_utc(closing, time(0, 0)),
        "results_published_on": form.results_date.data,
    }


def questionnaire_choices() -> list[SelectChoice]:
    """The questionnaires a wave or a plan may send: ready ones and those in use."""
    language = current_language()
    ready = db.session.scalars(
        select(Questionnaire)
        .where(Questionnaire.state.in_(SENDABLE))
        .order_by(Questionnaire.id.desc())
    )
    return [
        SelectChoice(q.id, text_in(q.title, language, q.languages[0]) or str(q.id)) for q in ready
    ]


def stratify_choices() -> list[SelectChoice]:
    """The attributes a sample can be stratified by, in the page's language."""
    language = current_language()
    return [
        SelectChoice(a.key, a.label(language))
        for a in load_attributes()
        if a.weighting and a.categories
    ]


def _wave_form() -> WaveForm:
    form = WaveForm()
    form.questionnaire.choices = questionnaire_choices()
    form.stratify_by.choices = stratify_choices()
    return form


def stratum_labels(keys: list[str]) -> Any:
    """A function giving a stratum's category labels, e.g. "Woman, Aarhus"."""
    language = current_language()
    by_key = {a.key: a for a in load_attributes()}
    names = {
        key: {c.code: c.label(language) for c in by_key[key].categories}
        for key in keys
        if key in by_key
    }

    def label(stratum: Stratum) -> str:
        parts = [names.get(k, {}).get(code, code) for k, code in zip(keys, stratum, strict=False)]
        return ", ".join(parts) or _("Everyone")

    return label


@bp.route("/", methods=["GET", "POST"], endpoint="index")
@staff_required
def index() -> ResponseReturnValue:
    form = _wave_form()
    if form.validate_on_submit():
        questionnaire = db.get_or_404(Questionnaire, form.questionnaire.data)

        def create() -> Wave:
            wave = waves.create_wave(
                form.name.data, questionnaire, **_moments(form), **form.design()
            )
            record("wave.create", f"wave:{wave.id}")
            return wave

        created = commit_or_flash(create, form, "questionnaire")
        if created.value is not None:
            flash(_("The wave was planned."))
            return redirect(url_for("waves.wave", wave_id=created.value.id))
    all_waves = db.session.scalars(select(Wave).order_by(Wave.invite_at.desc())).all()
    now = utcnow()
    coming = sorted((w for w in all_waves if w.invite_at >= now), key=lambda w: w.invite_at)
    past = [w for w in all_waves if w.invite_at < now]

    def by_month(items: list[Wave]) -> list[tuple[date, list[Wave]]]:
        def month(w: Wave) -> date:
            return waves.utc_to_local(w.invite_at).date().replace(day=1)

        return [(m, list(group)) for m, group in groupby(items, key=month)]

    return render_template(
        "surveys/waves/index.html",
        form=form,
        coming=by_month(coming),
        past=by_month(past),
        local=waves.utc_to_local,
        states=STATE_NAMES,
        language=current_language(),
    )


@bp.route("/<int:wave_id>", endpoint="wave")
@staff_required
def wave_page(wave_id: int) -> ResponseReturnValue:
    wave = db.get_or_404(Wave, wave_id)
    preview, problem, counts = None, None, None
    if wave.state in (WaveState.PLANNED, WaveState.PAUSED):
        try:
            preview = preview_wave(wave, utcnow())
        except (WaveError, ValueError) as error:
            problem = str(error)
    else:
        counts = waves.live_counts(wave)
    dates = DatesForm(
        invitation_date=waves.utc_to_local(wave.invite_at).date(),
        closing_date=(waves.utc_to_local(wave.closes_at) - timedelta(seconds=1)).date(),
        results_date=wave.results_published_on,
    )
    return _wave_template(wave, dates, preview=preview, problem=problem, counts=counts)


def _wave_template(wave: Wave, dates: DatesForm, **context: Any) -> str:
    return render_template(
        "surveys/waves/wave.html",
        wave=wave,
        dates=dates,
        confirm=ConfirmForm(),
        timeline=wave_timeline(wave),
        outcomes=OUTCOME_NAMES,
        label=stratum_labels(wave.stratify_by),
        local=waves.utc_to_local,
        states=STATE_NAMES,
        allocations=ALLOCATION_NAMES,
        language=current_language(),
        **context,
    )


@bp.route("/<int:wave_id>/move", methods=["POST"], endpoint="move")
@staff_required
def move(wave_id: int) -> ResponseReturnValue:
    wave = db.get_or_404(Wave, wave_id)
    dates = DatesForm()
    if not dates.validate_on_submit():
        return _wave_template(wave, dates), 400

    def change() -> None:
        moments = _moments(dates)
        waves.move_wave(
            wave, moments["invite_at"], moments["closes_at"], moments["results_published_on"]
        )
        record("wave.move", f"wave:{wave.id}")

    if commit_or_flash(change).ok:
        flash(_("The wave was moved."))
    return redirect(url_for("waves.wave", wave_id=wave.id))


@bp.route("/<int:wave_id>/release", methods=["POST"], endpoint="release")
@staff_required
def release(wave_id: int) -> ResponseReturnValue:
    """Invite the rest of a soft launch; a second click finds nothing held back."""
    wave = db.get_or_404(Wave, wave_id)
    now = utcnow()
    if ConfirmForm().validate_on_submit():
        if wave.state is not WaveState.OPEN or now >= wave.closes_at:
            flash(_("Only an open wave can invite the rest of its sample."))
        elif not held_back(wave):
            flash(_("No invitations are held back."))
        else:
            sent = waves.release_wave(wave, now)
            # release_wave commits a batch at a time; the entry follows the last batch
            record("wave.release", f"wave:{wave.id}", invitations=sent)
            db.session.commit()
            flash(_("The rest of the sample was invited: %(n)d invitations sent.", n=sent))
    return redirect(url_for("waves.wave", wave_id=wave.id))


def _transition(wave_id: int, action: str, done: str) -> ResponseReturnValue:
    wave = db.get_or_404(Wave, wave_id)
    if ConfirmForm().validate_on_submit():
        state = STATE_NAMES[wave.state]

        def change() -> None:
            getattr(wave, action)()
            record(f"wave.{action}", f"wave:{wave.id}")

        if commit_or_flash(change, show=False).ok:
            log.info("wave %s: %s by staff", wave.id, action)
            flash(done)
        else:
            flash(_("A wave that is %(state)s cannot be changed like that.", state=state))
    return redirect(url_for("waves.wave", wave_id=wave.id))


@bp.route("/<int:wave_id>/pause", methods=["POST"], endpoint="pause")
@staff_required
def pause(wave_id: int) -> ResponseReturnValue:
    return _transition(wave_id, "pause", _("The wave was paused."))


@bp.route("/<int:wave_id>/resume", methods=["POST"], endpoint="resume")
@staff_required
def resume(wave_id: int) -> ResponseReturnValue:
    return _transition(wave_id, "resume", _("The wave was resumed."))


@bp.route("/<int:wave_id>/cancel", methods=["GET", "POST"], endpoint="cancel")
@staff_required
def cancel(wave_id: int) -> ResponseReturnValue:
    wave = db.get_or_404(Wave, wave_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        return _transition(wave_id, "cancel", _("The wave was cancelled."))
    return render_template("surveys/waves/cancel.html", wave=wave, form=form)
