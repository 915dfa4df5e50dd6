"""The weighting page: staff choose a method and variables, see the composition before and
after, and store the weights every result of the wave then uses."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from core.audit import record
from core.errors import commit_or_flash
from core.i18n import current_language
from extensions import db
from panel.auth import staff_required
from panel.demographics.attributes import load_attributes
from panel.demographics.composition import latest_population_table
from surveys.results.forms import METHOD_NAMES, WeightingForm
from surveys.results.models import Weighting, WeightingMethod
from surveys.results.respondents import load_respondents
from surveys.results.weighting import composition, strata_not_weighted, weight_wave
from surveys.waves.models import Wave

bp = Blueprint("weighting", __name__, url_prefix="/staff/weighting")


@bp.route("/<int:wave_id>", methods=["GET", "POST"], endpoint="page")
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

            def weigh() -> None:
                weight_wave(wave, WeightingMethod(form.method.data), form.attributes.data or [],
                            table, form.bounds)  # fmt: skip
                record("wave.weight", f"wave:{wave.id}", method=form.method.data,
                       attributes=form.attributes.data or [])  # fmt: skip

            outcome = commit_or_flash(weigh, show=False)
            if outcome.ok:
                flash(_("The wave is weighted."))
                return redirect(url_for("weighting.page", wave_id=wave.id))
            problem = str(outcome.refusal)
    respondents = load_respondents(wave.id)
    labels = {a.key: a.label(language) for a in load_attributes()}
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
        unweighted_strata=[
            labels.get(key, key)
            for key in strata_not_weighted(wave, current.attribute_keys if current else [])
        ],
    )
