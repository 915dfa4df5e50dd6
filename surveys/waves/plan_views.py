"""Staff pages for wave plans: the list with each plan's next dates, creating a plan,
a plan's page to edit it, and enabling or disabling it.

Routes of the ``waves`` blueprint (``surveys.waves.views``). The work is done by
``surveys.waves.plans``; saving an enabled plan plans its next waves at once, and the
plan's page lists them, so staff see straight away what the plan will send.
"""

from __future__ import annotations

from datetime import date

from babel.dates import get_day_names, get_month_names
from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from core.clock import utcnow
from core.errors import commit_or_flash
from core.i18n import current_language
from extensions import db
from panel.auth import staff_required
from surveys.questionnaires.models import Questionnaire
from surveys.waves import operations as waves
from surveys.waves import plans as wave_plans
from surveys.waves.forms import ALLOCATION_NAMES, STATE_NAMES, WEEK_NAMES, ConfirmForm, PlanForm
from surveys.waves.jobs import occurrences
from surveys.waves.models import Wave, WavePlan
from surveys.waves.views import questionnaire_choices, stratify_choices

#: How many coming dates the list shows for each plan.
NEXT_DATES = 2

bp = Blueprint("plans", __name__, url_prefix="/staff/waves/plans")


def month_names() -> dict[int, str]:
    """Month number -> its name in the page's language, capitalised for a list."""
    names = get_month_names("wide", locale=get_locale())
    return {month: names[month].capitalize() for month in range(1, 13)}


def day_names() -> dict[int, str]:
    """Weekday (0 = Monday, as ``WavePlan.weekday``) -> its name in the page's language."""
    names = get_day_names("wide", locale=get_locale())
    return {day: names[day] for day in range(7)}


def _plan_form(plan: WavePlan | None = None) -> PlanForm:
    form = PlanForm(obj=plan)
    if plan is not None and not form.is_submitted():
        form.questionnaire.data = plan.questionnaire_id
        form.soft_launch_percent.data = round(plan.soft_launch_share * 100)
    form.questionnaire.choices = questionnaire_choices()
    form.stratify_by.choices = stratify_choices()
    form.months.choices = [SelectChoice(m, name) for m, name in month_names().items()]
    form.weekday.choices = [SelectChoice(d, name) for d, name in day_names().items()]
    return form


def _today() -> date:
    return waves.utc_to_local(utcnow()).date()


def _save(form: PlanForm, plan: WavePlan | None) -> WavePlan | None:
    """Create or update the plan from a valid form; None (errors on the form) if refused."""
    questionnaire = db.get_or_404(Questionnaire, form.questionnaire.data)
    fields = {**form.timetable(), **form.design()}

    def save() -> tuple[WavePlan, list[Wave], list[Wave]]:
        if plan is None:
            created, planned = wave_plans.create_plan(questionnaire, utcnow(), **fields)
            return created, planned, []
        planned, cancelled = wave_plans.update_plan(plan, questionnaire, utcnow(), **fields)
        return plan, planned, cancelled

    saved = commit_or_flash(save, form, "questionnaire")
    if saved.value is None:
        return None
    plan, planned, cancelled = saved.value
    flash(_("The plan was saved."))
    if cancelled:
        names = ", ".join(w.name for w in cancelled)
        flash(_("Cancelled, as the plan no longer has their dates: %(names)s.", names=names))
    if planned:
        flash(_("Waves planned: %(names)s.", names=", ".join(w.name for w in planned)))
    return plan


def _plans_template(form: PlanForm, **context: object) -> str:
    return render_template(
        "surveys/waves/plans.html",
        form=form,
        months=month_names(),
        days=day_names(),
        weeks=WEEK_NAMES,
        language=current_language(),
        **context,
    )


@bp.route("", methods=["GET", "POST"], endpoint="index")
@staff_required
def plans() -> ResponseReturnValue:
    form = _plan_form()
    if form.validate_on_submit() and (plan := _save(form, None)) is not None:
        return redirect(url_for("plans.plan", plan_id=plan.id))
    all_plans = db.session.scalars(select(WavePlan).order_by(WavePlan.name, WavePlan.id)).all()
    today = _today()
    coming = {plan.id: occurrences(plan, today, NEXT_DATES) for plan in all_plans}
    return _plans_template(form, plans=all_plans, coming=coming)


@bp.route("/<int:plan_id>", methods=["GET", "POST"], endpoint="plan")
@staff_required
def plan_page(plan_id: int) -> ResponseReturnValue:
    plan = db.get_or_404(WavePlan, plan_id)
    form = _plan_form(plan)
    if form.validate_on_submit() and _save(form, plan) is not None:
        return redirect(url_for("plans.plan", plan_id=plan.id))
    plan_waves = db.session.scalars(
        select(Wave).filter_by(plan_id=plan.id).order_by(Wave.invite_at.desc())
    ).all()
    return render_template(
        "surveys/waves/plan.html",
        plan=plan,
        form=form,
        confirm=ConfirmForm(),
        waves=plan_waves,
        coming=occurrences(plan, _today(), NEXT_DATES),
        local=waves.utc_to_local,
        states=STATE_NAMES,
        allocations=ALLOCATION_NAMES,
        months=month_names(),
        days=day_names(),
        weeks=WEEK_NAMES,
        language=current_language(),
    )


@bp.route("/<int:plan_id>/enable", methods=["POST"], endpoint="enable")
@staff_required
def enable(plan_id: int) -> ResponseReturnValue:
    plan = db.get_or_404(WavePlan, plan_id)
    if ConfirmForm().validate_on_submit():
        planned = wave_plans.enable_plan(plan, utcnow())
        db.session.commit()
        flash(_("The plan was enabled: it plans waves again."))
        if planned:
            flash(_("Waves planned: %(names)s.", names=", ".join(w.name for w in planned)))
    return redirect(url_for("plans.plan", plan_id=plan.id))


@bp.route("/<int:plan_id>/disable", methods=["POST"], endpoint="disable")
@staff_required
def disable(plan_id: int) -> ResponseReturnValue:
    plan = db.get_or_404(WavePlan, plan_id)
    if ConfirmForm().validate_on_submit():
        wave_plans.disable_plan(plan)
        db.session.commit()
        flash(_("The plan was disabled: it plans no new waves. Waves already planned stay."))
    return redirect(url_for("plans.plan", plan_id=plan.id))
