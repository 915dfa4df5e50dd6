"""Answers and results over the API.

The results summary is the politicians' page as data: the same builder
(``surveys.results.summary.summarise`` and ``add_trends``), so the same suppression
(``stats.suppression.suppressed``) and no free text; a hidden group shows neither its
figures nor its number of answers. The answer export is the wave's completed responses
with their weights, for a statistics system to analyse, and needs ``answers:export``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from marshmallow import RAISE
from sqlalchemy import select

from api.blueprints import api_blueprint
from api.models import Scope
from api.pagination import decode_cursor, next_cursor
from api.problems import abort
from api.schemas import AnswerPage, PageArgs, ResultsArgs, SummarySchema
from api.tokens import audit_details, requires
from extensions import db
from stats.estimation import Estimate
from surveys.answering.models import Answer, Response
from surveys.results.models import ResponseWeight
from surveys.results.respondents import min_group, respondent_filter
from surveys.results.summary import BREAKDOWNS, Row, Table, breakdown_groups, summarise
from surveys.results.trends import add_trends
from surveys.waves.models import Wave

bp = api_blueprint("api_results", "Answers with weights, results summaries")


def _wave(wave_id: int, closed_only: bool = False) -> Wave:
    """The wave, if its results may be read; results summaries only once it has closed
    (two snapshots of an open wave differ by its newest respondents)."""
    wave = db.session.get(Wave, wave_id)
    if wave is None or not wave.has_results(closed_only):
        abort(404, message=_("There is no such wave with answers."))
    return wave


@bp.route("/waves/<id:wave_id>/answers", methods=["GET"])
@requires(Scope.ANSWERS_EXPORT, "api.answers.export")
@bp.arguments(PageArgs, location="query", unknown=RAISE)
@bp.response(200, AnswerPage)
def export_answers(args: dict[str, Any], wave_id: int) -> dict[str, Any]:
    """The wave's completed responses with their weights, by response id (answers:export).

    Public-link responses are left out, as from the results; ``weight`` is null until
    staff weight the wave."""
    wave = _wave(wave_id)
    rows = db.session.execute(
        select(Response, ResponseWeight.weight)
        .outerjoin(ResponseWeight, ResponseWeight.response_id == Response.id)
        .where(*respondent_filter(wave.id), Response.id > decode_cursor(args["cursor"]))
        .order_by(Response.id)
        .limit(args["limit"])
    ).all()
    ids = [response.id for response, _weight in rows]
    answers: dict[int, dict[str, Any]] = defaultdict(dict)
    for answer in db.session.scalars(select(Answer).where(Answer.response_id.in_(ids))):
        answers[answer.response_id][answer.question_key] = answer.value
    audit_details(count=len(ids))
    return {
        "items": [
            {
                "response_id": response.id,
                "mode": response.mode.value,
                "language": response.language,
                "completed_at": response.completed_at,
                "attributes": response.attributes,
                "weight": weight,
                "answers": answers[response.id],
            }
            for response, weight in rows
        ],
        "next_cursor": next_cursor(ids, args["limit"]),
    }


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _estimate(estimate: Estimate | None) -> dict[str, Any] | None:
    if estimate is None:
        return None
    return {
        "estimate": _number(estimate.estimate),
        "se": _number(estimate.se),
        "low": _number(estimate.low),
        "high": _number(estimate.high),
        "n": int(estimate.n),
        "deff": _number(estimate.deff),
    }


def _row(row: Row) -> dict[str, Any]:
    return {
        "label": row.label,
        # the page shows no count for a hidden group: neither does the API
        "n": None if row.hidden else row.n,
        "hidden": row.hidden,
        "cells": [None if row.hidden else _estimate(c) for c in row.cells],
        "unweighted": [None if row.hidden else _estimate(c) for c in row.unweighted],
    }


def _table(table: Table) -> dict[str, Any]:
    return {
        "id": table.id,
        "title": table.title,
        "kind": table.kind,
        "columns": [{"id": i, "label": label} for i, label in table.columns],
        "rows": [_row(row) for row in table.rows],
    }


@bp.route("/waves/<id:wave_id>/results", methods=["GET"])
@requires(Scope.RESULTS_READ, "api.results.view")
@bp.arguments(ResultsArgs, location="query", unknown=RAISE)
@bp.response(200, SummarySchema)
def results(args: dict[str, Any], wave_id: int) -> dict[str, Any]:
    """The wave's summary, suppressed exactly as the results pages (scope results:read).

    Per question the weighted figures with 95% intervals, the unweighted ones, an
    optional breakdown ``by`` age, gender, municipality or education, and the trend."""
    wave = _wave(wave_id, closed_only=True)
    language = args["lang"]
    by, groups = breakdown_groups(args["by"], language)
    if args["by"] is not None and by is None:
        abort(
            422,
            message=_("Unknown breakdown."),
            errors=[{"location": "query", "field": "by", "detail": ", ".join(BREAKDOWNS)}],
        )
    with force_locale(language):
        summary = summarise(wave, language, by=by, groups=groups)
        add_trends(wave, summary.questions, language, summary.weighted)
    audit_details(by=by)
    return {
        "wave_id": wave.id,
        "respondents": summary.respondents,
        "weighted": summary.weighted,
        "by": by,
        "min_group": min_group(),
        "questions": [
            {
                "key": q.key,
                "concept": q.concept,
                "text": q.text,
                "type": q.type.value,
                "overall": [_table(t) for t in q.overall],
                "breakdown": [_table(t) for t in q.breakdown],
                "trend": [_table(t) for t in q.trend],
            }
            for q in summary.questions
        ],
    }
