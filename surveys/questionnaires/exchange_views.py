"""Builder pages that move questionnaires in and out: JSON and XLSForm, export and import.

The ``exchange`` blueprint, at ``/staff/exchange``; imports become new drafts,
and an XLSForm import shows every row it left out, with its sheet and line number.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from core.errors import commit_or_flash
from extensions import db
from panel.auth import staff_required
from surveys.questionnaires.forms import JsonImportForm, XlsFormImportForm
from surveys.questionnaires.json_format import export_json, import_json
from surveys.questionnaires.models import Questionnaire
from surveys.questionnaires.views import show_questionnaire
from surveys.questionnaires.xlsform import export_xlsform, import_xlsform

bp = Blueprint("exchange", __name__, url_prefix="/staff/exchange")


@bp.route("/<int:questionnaire_id>.json", endpoint="export_json")
@staff_required
def export_json_view(questionnaire_id: int) -> ResponseReturnValue:
    questionnaire = db.get_or_404(Questionnaire, questionnaire_id)
    body = json.dumps(export_json(questionnaire), ensure_ascii=False, indent=2)
    name = f"questionnaire-{questionnaire.id}-v{questionnaire.version}.json"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename={name}"})  # fmt: skip


@bp.route("/<int:questionnaire_id>.xlsx", endpoint="export_xlsform")
@staff_required
def export_xlsform_view(questionnaire_id: int) -> ResponseReturnValue:
    questionnaire = db.get_or_404(Questionnaire, questionnaire_id)
    name = f"questionnaire-{questionnaire.id}-v{questionnaire.version}.xlsx"
    return Response(
        export_xlsform(questionnaire),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


@bp.route("/import/json", methods=["GET", "POST"], endpoint="import_json")
@staff_required
def import_json_view() -> ResponseReturnValue:
    form = JsonImportForm()
    if form.validate_on_submit():
        try:
            data = json.load(form.file.data.stream)
        except RecursionError:
            form.file.errors.append(_("This file is nested too deeply to be a questionnaire."))
        except ValueError:
            form.file.errors.append(_("This file is not JSON."))
        else:
            imported = commit_or_flash(lambda: import_json(data), form, "file")
            if imported.value is not None:
                flash(_("The questionnaire was imported as a new draft."))
                return show_questionnaire(imported.value)
    return render_template(
        "surveys/questionnaires/import.html", form=form, kind="json", report=None
    )


@bp.route("/import/xlsform", methods=["GET", "POST"], endpoint="import_xlsform")
@staff_required
def import_xlsform_view() -> ResponseReturnValue:
    form = XlsFormImportForm()
    report = None
    if form.validate_on_submit():
        report = commit_or_flash(lambda: import_xlsform(form.file.data.stream), form, "file").value
        if report is not None and not report.problems:
            flash(_("The questionnaire was imported as a new draft."))
            return show_questionnaire(report.questionnaire)
    return render_template(
        "surveys/questionnaires/import.html", form=form, kind="xlsform", report=report
    )
