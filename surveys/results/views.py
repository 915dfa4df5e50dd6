"""Results pages: politicians and staff read a wave's summary; anyone reads a published one.

Politicians see aggregated, suppressed figures only (``stats.suppression.suppressed``): no
page here lists a response, and free text is never summarised. The summary's options
(``by``, ``unweighted``) are GET parameters checked against fixed lists, so no
combination of them reaches a group smaller than ``RESULTS_MIN_GROUP``.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select

from core.audit import record
from core.i18n import current_language, text_in
from extensions import db
from panel.auth import role_required
from panel.staff.models import Role
from surveys.answering.models import Response, ResponseMode
from surveys.publishing.operations import publication_of
from surveys.publishing.quotes import published_quotes
from surveys.results.models import Weighting
from surveys.results.summary import breakdown_choices, breakdown_groups, summarise
from surveys.results.trends import add_trends
from surveys.waves.models import Wave, WaveState

bp = Blueprint("results", __name__, url_prefix="/results")
log = logging.getLogger(__name__)
readers_required = role_required(Role.ADMIN, Role.STAFF, Role.POLITICIAN)


def _is_politician() -> bool:
    return bool(getattr(current_user, "role", None) is Role.POLITICIAN)


def _readable_wave(wave_id: int) -> Wave:
    """A wave whose results this user may read: politicians only closed waves."""
    wave = db.get_or_404(Wave, wave_id)
    if not wave.has_results(closed_only=_is_politician()):
        abort(404)
    return wave


@bp.route("", endpoint="index")
@readers_required
def index() -> ResponseReturnValue:
    states = WaveState.with_results(closed_only=_is_politician())
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


@bp.route("/waves/<int:wave_id>", endpoint="summary")
@readers_required
def summary(wave_id: int) -> ResponseReturnValue:
    wave = _readable_wave(wave_id)
    language = current_language()
    by, groups = breakdown_groups(request.args.get("by"), language)
    result = summarise(wave, language, by=by, groups=groups)
    add_trends(wave, result.questions, language, result.weighted)
    record("results.view", f"wave:{wave.id}", by=by)
    db.session.commit()
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


@bp.route("/public/<int:wave_id>", endpoint="public")
def public(wave_id: int) -> ResponseReturnValue:
    wave = db.get_or_404(Wave, wave_id)
    publication = publication_of(wave)
    if publication is None or not publication.public:
        abort(404)
    language = current_language()
    by, groups = breakdown_groups(request.args.get("by"), language)
    return render_template(
        "surveys/results/public.html",
        wave=wave,
        title=text_in(wave.questionnaire.title, language) or wave.name,
        publication=publication,
        you_said_we_did=text_in(publication.you_said_we_did, language),
        summary=summarise(wave, language, by=by, groups=groups),
        quotes=published_quotes(wave, language),
        by=by,
        breakdowns=breakdown_choices(language),
    )
