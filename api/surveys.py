"""Questionnaires, wave plans and waves over the API.

Questionnaires travel in the JSON format of the builder's export and import
(``surveys.questionnaires.json_format``), so what an integration sends is exactly what staff can
upload. A wave made through the API copies a plan's sample design, as the scheduler's
waves do. Reading needs any valid token; creating needs ``surveys:write``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from marshmallow import RAISE
from sqlalchemy import select

from api.blueprints import api_blueprint
from api.models import Scope
from api.pagination import page_body, page_of
from api.problems import abort
from api.schemas import (
    PageArgs,
    QuestionnaireJsonSchema,
    QuestionnaireSchema,
    QuestionnaireSummarySchema,
    WaveCreateSchema,
    WaveDetailSchema,
    WavePage,
    WavePlanSchema,
)
from api.tokens import audit_details, audit_target, requires
from extensions import db
from surveys.questionnaires.json_format import QuestionnaireImportError, export_json, import_json
from surveys.questionnaires.models import Questionnaire
from surveys.questionnaires.operations import mark_ready
from surveys.waves.jobs import wave_from_plan
from surveys.waves.models import Wave, WavePlan
from surveys.waves.operations import ensure_sendable, live_counts
from surveys.waves.sampling import WaveError

bp = api_blueprint("api_surveys", "Questionnaires, wave plans and waves")


def _get(model: type[Any], id_: int, message: str) -> Any:
    found = db.session.get(model, id_)
    if found is None:
        abort(404, message=message)
    return found


def questionnaire_data(questionnaire: Questionnaire, content: bool = False) -> dict[str, Any]:
    data = {
        "id": questionnaire.id,
        "state": questionnaire.state.value,
        "version": questionnaire.version,
        "title": questionnaire.title,
        "created_at": questionnaire.created_at,
    }
    if content:
        data["content"] = export_json(questionnaire)
    return data


@bp.route("/questionnaires", methods=["GET"])
@requires(None, "api.questionnaires.list")
@bp.response(200, QuestionnaireSummarySchema(many=True))
def list_questionnaires() -> list[dict[str, Any]]:
    """Every questionnaire, newest first (any valid token)."""
    found = db.session.scalars(select(Questionnaire).order_by(Questionnaire.id.desc()))
    return [questionnaire_data(q) for q in found]


@bp.route("/questionnaires/<id:questionnaire_id>", methods=["GET"])
@requires(None, "api.questionnaire.read")
@bp.response(200, QuestionnaireSchema)
def read_questionnaire(questionnaire_id: int) -> dict[str, Any]:
    """One questionnaire; ``content`` is the questionnaire JSON format (any valid token)."""
    found = _get(Questionnaire, questionnaire_id, _("There is no such questionnaire."))
    return questionnaire_data(found, content=True)


def _has_nul(data: Any) -> bool:
    if isinstance(data, str):
        return "\x00" in data
    if isinstance(data, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_has_nul(v) for v in data)
    return False


@bp.route("/questionnaires", methods=["POST"])
@requires(Scope.SURVEYS_WRITE, "api.questionnaire.create")
@bp.arguments(QuestionnaireJsonSchema)
@bp.response(201, QuestionnaireSchema)
def create_questionnaire(data: dict[str, Any]) -> dict[str, Any]:
    """A new draft from the questionnaire JSON format (scope surveys:write)."""
    if _has_nul(data):
        abort(422, message=_("The questionnaire contains a NUL character."))
    try:
        questionnaire = import_json(data)
        db.session.flush()
    except (QuestionnaireImportError, ValueError, TypeError) as error:
        db.session.rollback()
        abort(422, message=str(error))
    audit_target(f"questionnaire:{questionnaire.id}")
    return questionnaire_data(questionnaire, content=True)


@bp.route("/questionnaires/<id:questionnaire_id>/ready", methods=["POST"])
@requires(Scope.SURVEYS_WRITE, "api.questionnaire.ready")
@bp.response(200, QuestionnaireSummarySchema)
def ready_questionnaire(questionnaire_id: int) -> dict[str, Any]:
    """Draft → ready, once every text is translated, so waves can send it (surveys:write)."""
    questionnaire = _get(Questionnaire, questionnaire_id, _("There is no such questionnaire."))
    try:
        mark_ready(questionnaire)
    except ValueError as error:  # QuestionError, InvalidTransition, a bad condition
        abort(409, message=str(error))
    return questionnaire_data(questionnaire)


@bp.route("/wave-plans", methods=["GET"])
@requires(None, "api.wave_plans.list")
@bp.response(200, WavePlanSchema(many=True))
def list_plans() -> list[WavePlan]:
    """The wave plans waves can be created from (any valid token)."""
    return list(db.session.scalars(select(WavePlan).order_by(WavePlan.id)))


def wave_data(wave: Wave) -> dict[str, Any]:
    return {
        **{name: getattr(wave, name) for name in WaveDetailSchema().fields if hasattr(Wave, name)},
        "state": wave.state.value,
    }


@bp.route("/waves", methods=["GET"])
@requires(None, "api.waves.list")
@bp.arguments(PageArgs, location="query", unknown=RAISE)
@bp.response(200, WavePage)
def list_waves(args: dict[str, Any]) -> dict[str, Any]:
    """Waves by id, a page at a time (any valid token)."""
    return page_body(page_of(select(Wave), Wave.id, args), args, wave_data)


def _counts(label: list[str], invited: int, started: int, completed: int) -> dict[str, Any]:
    return {
        "stratum": label,
        "invited": invited,
        "started": started,
        "completed": completed,
        "response_rate": completed / invited if invited else None,
    }


@bp.route("/waves/<id:wave_id>", methods=["GET"])
@requires(None, "api.wave.read")
@bp.response(200, WaveDetailSchema)
def read_wave(wave_id: int) -> dict[str, Any]:
    """One wave with its live counts: invited, started and completed per stratum."""
    wave = _get(Wave, wave_id, _("There is no such wave."))
    strata = live_counts(wave)
    return {
        **wave_data(wave),
        "strata": [
            _counts([str(c) for c in s.stratum], s.invited, s.started, s.completed) for s in strata
        ],
        "totals": _counts(
            [],
            sum(s.invited for s in strata),
            sum(s.started for s in strata),
            sum(s.completed for s in strata),
        ),
    }


@bp.route("/waves", methods=["POST"])
@requires(Scope.SURVEYS_WRITE, "api.wave.create")
@bp.arguments(WaveCreateSchema)
@bp.response(201, WaveDetailSchema)
def create_from_plan(data: dict[str, Any]) -> dict[str, Any]:
    """A planned wave with a plan's questionnaire and sample design (scope surveys:write).

    It closes after the plan's ``open_days`` unless ``closes_at`` says otherwise; the
    scheduler opens it at ``invite_at`` like any other wave."""
    plan = db.session.get(WavePlan, data["plan_id"])
    if plan is None:
        abort(
            422,
            message=_("There is no such wave plan."),
            errors=[{"location": "json", "field": "plan_id", "detail": _("Unknown plan.")}],
        )
    invite_at = data["invite_at"]
    closes_at = data["closes_at"]
    try:
        ensure_sendable(plan.questionnaire)
        wave = wave_from_plan(plan, data.get("name") or plan.name, invite_at, closes_at)
    except WaveError as error:
        abort(409, message=str(error))
    audit_target(f"wave:{wave.id}")
    audit_details(plan=plan.id)
    return {**wave_data(wave), "strata": [], "totals": _counts([], 0, 0, 0)}
