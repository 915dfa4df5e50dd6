"""Builder pages that move questionnaires in and out: JSON and XLSForm, export and import.

The ``exchange`` blueprint, at ``/staff/exchange``; imports become new drafts,
and an XLSForm import shows every row it left out, with its sheet and line number.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from extensions import db
from panel.auth import staff_required
from surveys.questionnaires.forms import JsonImportForm, XlsFormImportForm
from surveys.questionnaires.json_format import QuestionnaireImportError, export_json, import_json
from surveys.questionnaires.models import Questionnaire
from surveys.questionnaires.questions import QuestionError
from surveys.questionnaires.views import show_questionnaire
from surveys.questionnaires.xlsform import XlsFormError, export_xlsform, import_xlsform

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
            questionnaire = import_json(json.load(form.file.data.stream))
        except RecursionError:
            db.session.rollback()
            form.file.errors.append(_("This file is nested too deeply to be a questionnaire."))
        except (ValueError, QuestionnaireImportError) as error:
            db.session.rollback()
            message = str(error) if isinstance(error, QuestionnaireImportError) else None
            form.file.errors.append(message or _("This file is not JSON."))
        else:
            db.session.commit()
            flash(_("The questionnaire was imported as a new draft."))
            return show_questionnaire(questionnaire)
    return render_template(
        "surveys/questionnaires/import.html", form=form, kind="json", report=None
    )


@bp.route("/import/xlsform", methods=["GET", "POST"], endpoint="import_xlsform")
@staff_required
def import_xlsform_view() -> ResponseReturnValue:
    form = XlsFormImportForm()
    report = None
    if form.validate_on_submit():
        try:
            report = import_xlsform(form.file.data.stream)
        except (XlsFormError, QuestionError) as error:
            db.session.rollback()
            form.file.errors.append(str(error))
        else:
            db.session.commit()
            if not report.problems:
                flash(_("The questionnaire was imported as a new draft."))
                return show_questionnaire(report.questionnaire)
    return render_template(
        "surveys/questionnaires/import.html", form=form, kind="xlsform", report=report
    )
