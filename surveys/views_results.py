"""Results pages: staff weight a wave; politicians and staff read its summary.

Politicians see aggregated, suppressed figures only (``surveys.results.suppressed``): no
page here lists a response, and free text is never summarised. The summary's options
(``by``, ``unweighted``) are GET parameters checked against fixed lists, so no
combination of them reaches a group smaller than ``RESULTS_MIN_GROUP``.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from extensions import db
from panel.auth import role_required, staff_required
from panel.composition import latest_population_table
from panel.demographics import load_attributes
from panel.i18n import current_language
from panel.models import Role
from surveys.models import Response, ResponseMode
from surveys.results import load_respondents
from surveys.results_forms import METHOD_NAMES, WeightingForm
from surveys.results_models import Weighting, WeightingMethod
from surveys.results_publish_quotes import published_quotes
from surveys.results_summary import breakdown_choices, breakdown_groups, summarise
from surveys.results_trends import add_trends
from surveys.results_weighting import composition, weight_wave
from surveys.wave_models import Wave, WaveState

bp = Blueprint("results", __name__)
log = logging.getLogger(__name__)
readers_required = role_required(Role.ADMIN, Role.STAFF, Role.POLITICIAN)


def _is_politician() -> bool:
    return bool(getattr(current_user, "role", None) is Role.POLITICIAN)


def _readable_wave(wave_id: int) -> Wave:
    """A wave whose results this user may read: politicians only closed waves."""
    wave = db.get_or_404(Wave, wave_id)
    allowed = (WaveState.CLOSED,) if _is_politician() else (WaveState.OPEN, WaveState.CLOSED)
    if wave.state not in allowed:
        abort(404)
    return wave


@bp.route("/results", endpoint="index")
@readers_required
def index() -> ResponseReturnValue:
    states = [WaveState.CLOSED] if _is_politician() else [WaveState.OPEN, WaveState.CLOSED]
    answered = dict(
        db.session.execute(
            select(Response.wave_id, func.count())
            .where(Response.completed_at.is_not(None), Response.mode != ResponseMode.PUBLIC)
            .group_by(Response.wave_id)
        ).all()
    )
    waves = db.session.scalars(
        select(Wave).where(Wave.state.in_(states)).order_by(Wave.closes_at.desc())
    )
    weighted = set(db.session.scalars(select(Weighting.wave_id)))
    return render_template(
        "surveys/results/index.html",
        waves=[(wave, answered[wave.id]) for wave in waves if answered.get(wave.id)],
        weighted=weighted,
    )


@bp.route("/results/waves/<int:wave_id>", endpoint="summary")
@readers_required
def summary(wave_id: int) -> ResponseReturnValue:
    wave = _readable_wave(wave_id)
    language = current_language()
    by, groups = breakdown_groups(request.args.get("by"), language)
    result = summarise(wave, language, by=by, groups=groups)
    add_trends(wave, result.questions, language)
    return render_template(
        "surveys/results/summary.html",
        wave=wave,
        summary=result,
        by=by,
        breakdowns=breakdown_choices(language),
        show_unweighted=request.args.get("unweighted") == "1",
        quotes=published_quotes(wave, language),
        staff=not _is_politician(),
    )


@bp.route("/staff/waves/<int:wave_id>/weighting", methods=["GET", "POST"], endpoint="weighting")
@staff_required
def weighting(wave_id: int) -> ResponseReturnValue:
    wave = db.get_or_404(Wave, wave_id)
    language = current_language()
    attributes = [a for a in load_attributes() if a.weighting and a.categories]
    table = latest_population_table()
    current = db.session.scalar(select(Weighting).filter_by(wave_id=wave.id))
    form = WeightingForm(
        method=current.method.value if current else WeightingMethod.RAKE.value,
        attributes=current.attribute_keys if current else None,
        bound_low=current.bound_low if current else None,
        bound_high=current.bound_high if current else None,
    )
    form.attributes.choices = [SelectChoice(a.key, a.label(language)) for a in attributes]
    problem = None
    if form.validate_on_submit():
        if table is None:
            problem = _("Upload population figures before weighting.")
        else:
            try:
                weight_wave(
                    wave, WeightingMethod(form.method.data), form.attributes.data or [],
                    table, form.bounds,
                )  # fmt: skip
            except ValueError as error:
                db.session.rollback()
                problem = str(error)
            else:
                db.session.commit()
                flash(_("The wave is weighted."))
                return redirect(url_for("results.weighting", wave_id=wave.id))
    respondents = load_respondents(wave.id)
    shown = current.attribute_keys if current else [a.key for a in attributes]
    compositions = [
        (a, composition(respondents, a, table, language)) for a in attributes if a.key in shown
    ]
    return render_template(
        "surveys/results/weighting.html",
        wave=wave,
        form=form,
        weighting=current,
        stale=current is not None and not respondents.weighted,
        respondents=respondents.n,
        table=table,
        compositions=compositions,
        methods=METHOD_NAMES,
        problem=problem,
    )
