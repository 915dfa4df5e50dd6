"""Exports for staff and analysts: the answers with weights (CSV, Excel, SPSS), the weighted
summary as CSV, and a printable report (HTML with a print stylesheet, and a PDF).

Staff only: the answer files hold every answer, free text included, so politicians, who
read only aggregated and suppressed figures, never reach them. The summary CSV and the
report come from the same ``summarise`` as the pages, so they hide the same groups.
Every download and every report shown is in the audit trail.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from core.audit import record
from core.i18n import current_language, text_in
from extensions import db
from panel.auth import staff_required
from surveys.publishing.quotes import published_quotes
from surveys.results.export import answer_table
from surveys.results.export_formats import (
    answers_csv,
    answers_sav,
    answers_xlsx,
    summary_csv,
    weighting_csv,
)
from surveys.results.report import report_pdf
from surveys.results.respondents import min_group
from surveys.results.summary import breakdown_groups, summarise
from surveys.waves.models import Wave

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

bp = Blueprint("exports", __name__, url_prefix="/staff/exports")


def _exportable(wave_id: int) -> Wave:
    wave = db.get_or_404(Wave, wave_id)
    if not wave.has_results():
        abort(404)
    return wave


def _download(body: str | bytes, mimetype: str, filename: str) -> Response:
    return Response(
        body, mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )  # fmt: skip


@bp.route("/<int:wave_id>/answers.<fmt>", endpoint="answers")
@staff_required
def export_answers(wave_id: int, fmt: str) -> ResponseReturnValue:
    wave = _exportable(wave_id)
    if fmt not in ("csv", "xlsx", "sav", "weighting.csv"):
        abort(404)
    table = answer_table(wave, current_language())
    record("answers.export", f"wave:{wave.id}", format=fmt, rows=len(table.rows))
    db.session.commit()
    name = f"wave-{wave.id}-answers.{fmt}"
    if fmt == "weighting.csv":
        return _download(weighting_csv(table), "text/csv; charset=utf-8", name)
    if fmt == "csv":
        return _download(answers_csv(table), "text/csv; charset=utf-8", name)
    if fmt == "xlsx":
        return _download(answers_xlsx(table), XLSX, name)
    return _download(answers_sav(table), "application/x-spss-sav", name)


@bp.route("/<int:wave_id>/summary.csv", endpoint="summary")
@staff_required
def export_summary(wave_id: int) -> ResponseReturnValue:
    """The summary overall, or with ``by`` one breakdown attribute, as the page allows."""
    wave = _exportable(wave_id)
    language = current_language()
    by, groups = breakdown_groups(request.args.get("by"), language)
    result = summarise(wave, language, by=by, groups=groups)
    record("results.export", f"wave:{wave.id}", format="csv", by=by)
    db.session.commit()
    suffix = f"-by-{by}" if by else ""
    return _download(summary_csv(result), "text/csv; charset=utf-8",
                     f"wave-{wave.id}-summary{suffix}.csv")  # fmt: skip


@bp.route("/<int:wave_id>/report", endpoint="report")
@staff_required
def report(wave_id: int) -> ResponseReturnValue:
    wave = _exportable(wave_id)
    language = current_language()
    record("results.report", f"wave:{wave.id}", format="html")
    db.session.commit()
    return render_template(
        "surveys/results/report.html",
        wave=wave,
        title=text_in(wave.questionnaire.title, language) or wave.name,
        summary=summarise(wave, language),
        quotes=published_quotes(wave, language),
    )


@bp.route("/<int:wave_id>/report.pdf", endpoint="report_pdf")
@staff_required
def report_as_pdf(wave_id: int) -> ResponseReturnValue:
    wave = _exportable(wave_id)
    language = current_language()
    title = text_in(wave.questionnaire.title, language) or wave.name
    pdf = report_pdf(summarise(wave, language), title, published_quotes(wave, language),
                     min_group())  # fmt: skip
    record("results.report", f"wave:{wave.id}", format="pdf")
    db.session.commit()
    return _download(pdf, "application/pdf", f"wave-{wave.id}-report.pdf")
