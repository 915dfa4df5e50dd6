"""Staff pages that design questionnaires: list, design form, pages and questions, imports
and exports, the translation check and a phone-sized preview.

Every view is ``@staff_required`` and thin: the work is done by ``operations``
(and the JSON and XLSForm modules), whose errors carry a message for staff that is shown
next to the field it concerns, or at the top of the questionnaire's page. Everything works
with plain forms and POST buttons, without JavaScript.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from core.clock import today
from core.errors import commit_or_flash
from extensions import db
from panel.auth import staff_required
from surveys.questionnaires import operations as design
from surveys.questionnaires.forms import (
    CHECKLIST_FIELDS,
    CITIZEN_FIELDS,
    OPTIONS_HELP,
    TYPE_NAMES,
    ConfirmForm,
    DesignForm,
    design_form,
    page_form,
    parse_languages,
    question_form,
)
from surveys.questionnaires.models import (
    Page,
    Question,
    Questionnaire,
    QuestionnaireState,
    QuestionType,
)
from surveys.questionnaires.questions import (
    missing_translations,
    option_order,
    text_direction,
)
from surveys.questionnaires.signals import response_counts

bp = Blueprint("questionnaires", __name__, url_prefix="/staff/questionnaires")
logger = logging.getLogger(__name__)


#: What the design functions refuse with a message for staff.
def _design_fields(form: DesignForm) -> dict[str, Any]:
    fields: dict[str, Any] = {name: form.texts_data(name) for name, *_rest in CITIZEN_FIELDS}
    for name, *_rest in CHECKLIST_FIELDS:
        fields[name] = (form[name].data or "").strip()
    fields["results_published_on"] = form.results_published_on.data
    return fields


def is_editable(questionnaire: Questionnaire) -> bool:
    return questionnaire.state is QuestionnaireState.DRAFT and not design.has_responses(
        questionnaire
    )


def show_questionnaire(questionnaire: Questionnaire, anchor: str = "") -> ResponseReturnValue:
    url = url_for("questionnaires.questionnaire", questionnaire_id=questionnaire.id)
    return redirect(url + (f"#{anchor}" if anchor else ""))


@bp.route("/", endpoint="index")
@staff_required
def index() -> ResponseReturnValue:
    counts = response_counts()
    items = db.session.scalars(select(Questionnaire).order_by(Questionnaire.id.desc())).all()
    return render_template("surveys/questionnaires/index.html", questionnaires=items, counts=counts)


@bp.route("/new", methods=["GET", "POST"], endpoint="new")
@staff_required
def new() -> ResponseReturnValue:
    languages = parse_languages(request.form.get("language_codes", "")) or ["da", "en"]
    form = design_form(languages)
    if form.validate_on_submit():
        fields = _design_fields(form)
        title = fields.pop("title")
        created = commit_or_flash(
            lambda: design.create_questionnaire(title, languages=languages, **fields),
            form,
            "language_codes",
        )
        if created.value is not None:
            flash(_("The questionnaire was created. Add its pages and questions."))
            return show_questionnaire(created.value)
    return _design_page(form, None)


@bp.route("/<int:questionnaire_id>/design", methods=["GET", "POST"], endpoint="design")
@staff_required
def edit_design(questionnaire_id: int) -> ResponseReturnValue:
    questionnaire = db.get_or_404(Questionnaire, questionnaire_id)
    posted = parse_languages(request.form.get("language_codes", ""))
    form = design_form(posted or questionnaire.languages)
    if request.method == "GET":
        form.language_codes.data = ", ".join(questionnaire.languages)
        for name, *_rest in CITIZEN_FIELDS:
            form.fill_texts(name, getattr(questionnaire, name))
        for name, *_rest in CHECKLIST_FIELDS:
            form[name].data = getattr(questionnaire, name)
        form.results_published_on.data = questionnaire.results_published_on
    elif form.validate_on_submit():
        fields = _design_fields(form)
        saved = commit_or_flash(
            lambda: design.update_design(questionnaire, posted, **fields), form, "language_codes"
        )
        if saved.ok:
            flash(_("The questionnaire was saved."))
            return show_questionnaire(questionnaire)
    return _design_page(form, questionnaire)


def _design_page(form: DesignForm, questionnaire: Questionnaire | None) -> str:
    return render_template(
        "surveys/questionnaires/design.html",
        form=form,
        questionnaire=questionnaire,
        citizen_fields=CITIZEN_FIELDS,
        checklist=CHECKLIST_FIELDS,
    )


@bp.route("/<int:questionnaire_id>", endpoint="questionnaire")
@staff_required
def show(questionnaire_id: int) -> ResponseReturnValue:
    return _questionnaire_page(db.get_or_404(Questionnaire, questionnaire_id))


def _questionnaire_page(questionnaire: Questionnaire, problem: str | None = None) -> str:
    return render_template(
        "surveys/questionnaires/questionnaire.html",
        questionnaire=questionnaire,
        editable=is_editable(questionnaire),
        frozen=design.has_responses(questionnaire),
        missing=missing_translations(questionnaire),
        problem=problem,
        page_form=page_form(questionnaire.languages),
        form=ConfirmForm(),
    )


@bp.route("/<int:questionnaire_id>/ready", methods=["POST"], endpoint="mark_ready")
@staff_required
def mark_ready(questionnaire_id: int) -> ResponseReturnValue:
    questionnaire = db.get_or_404(Questionnaire, questionnaire_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ready = commit_or_flash(lambda: design.mark_ready(questionnaire), show=False)
    if ready.refusal is not None:
        return _questionnaire_page(questionnaire, problem=str(ready.refusal)), 409
    flash(_("The questionnaire is ready to be sent out."))
    return show_questionnaire(questionnaire)


@bp.route("/<int:questionnaire_id>/new-version", methods=["POST"], endpoint="new_version")
@staff_required
def new_version(questionnaire_id: int) -> ResponseReturnValue:
    questionnaire = db.get_or_404(Questionnaire, questionnaire_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    copy = design.new_version(questionnaire)
    db.session.commit()
    flash(_("This is version %(n)d, a draft you can change.", n=copy.version))
    return show_questionnaire(copy)


@bp.route("/<int:questionnaire_id>/pages", methods=["POST"], endpoint="add_page")
@staff_required
def add_page(questionnaire_id: int) -> ResponseReturnValue:
    questionnaire = db.get_or_404(Questionnaire, questionnaire_id)
    form = page_form(questionnaire.languages)
    if form.validate_on_submit():
        title, condition = form.texts_data("title"), (form.condition.data or "").strip() or None
        commit_or_flash(lambda: design.add_page(questionnaire, title, condition))
    return show_questionnaire(questionnaire, "pages")


@bp.route("/pages/<int:page_id>/edit", methods=["GET", "POST"], endpoint="edit_page")
@staff_required
def edit_page(page_id: int) -> ResponseReturnValue:
    page = db.get_or_404(Page, page_id)
    questionnaire = page.questionnaire
    form = page_form(questionnaire.languages)
    if request.method == "GET":
        form.fill_texts("title", page.title)
        form.condition.data = page.condition or ""
    elif form.validate_on_submit():

        def change() -> None:
            design.ensure_editable(questionnaire)
            page.title = form.texts_data("title")
            design.set_page_condition(page, (form.condition.data or "").strip() or None)

        if commit_or_flash(change, form, "condition").ok:
            return show_questionnaire(questionnaire, f"page-{page.id}")
    return render_template("surveys/questionnaires/page.html", form=form, page=page)


@bp.route("/pages/<int:page_id>/move", methods=["POST"], endpoint="move_page")
@staff_required
def move_page(page_id: int) -> ResponseReturnValue:
    page = db.get_or_404(Page, page_id)
    if ConfirmForm().validate_on_submit():
        offset = -1 if request.form.get("direction") == "up" else 1
        commit_or_flash(lambda: design.move_page(page, offset))
    return show_questionnaire(page.questionnaire, f"page-{page.id}")


@bp.route("/pages/<int:page_id>/delete", methods=["GET", "POST"], endpoint="delete_page")
@staff_required
def delete_page(page_id: int) -> ResponseReturnValue:
    page = db.get_or_404(Page, page_id)
    questionnaire = page.questionnaire
    form = ConfirmForm()
    if form.validate_on_submit():
        if commit_or_flash(lambda: design.delete_page(page)).ok:
            flash(_("The page was deleted."))
        return show_questionnaire(questionnaire, "pages")
    number = questionnaire.pages.index(page) + 1
    what = _("page %(n)d and its questions", n=number)
    return render_template(
        "surveys/questionnaires/delete.html", form=form, questionnaire=questionnaire, what=what
    )


@bp.route("/pages/<int:page_id>/questions/new", methods=["GET", "POST"], endpoint="new_question")
@staff_required
def new_question(page_id: int) -> ResponseReturnValue:
    page = db.get_or_404(Page, page_id)
    questionnaire = page.questionnaire
    chosen = request.args.get("type", "")
    if chosen not in {kind.value for kind in QuestionType}:
        return render_template("surveys/questionnaires/pick_type.html", page=page, types=TYPE_NAMES,
                               questionnaire=questionnaire)  # fmt: skip
    kind = QuestionType(chosen)
    form = question_form(kind, questionnaire.languages)
    if form.validate_on_submit():
        key = (form.key.data or "").strip() or None
        settings = form.settings()
        if commit_or_flash(lambda: design.add_question(page, kind, key=key, **settings), form).ok:
            return show_questionnaire(questionnaire, f"page-{page.id}")
    return _question_page(form, questionnaire, page=page)


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"], endpoint="edit_question")
@staff_required
def edit_question(question_id: int) -> ResponseReturnValue:
    question = db.get_or_404(Question, question_id)
    questionnaire = question.questionnaire
    form = question_form(question.type, questionnaire.languages)
    if request.method == "GET":
        form.fill(question)
    elif form.validate_on_submit():
        settings = form.settings()
        if commit_or_flash(lambda: design.update_question(question, **settings), form).ok:
            return show_questionnaire(questionnaire, f"question-{question.id}")
    return _question_page(form, questionnaire, question=question)


def _question_page(form: Any, questionnaire: Questionnaire, **context: Any) -> ResponseReturnValue:
    return render_template("surveys/questionnaires/question.html", form=form, types=TYPE_NAMES,
                           questionnaire=questionnaire, options_help=OPTIONS_HELP,
                           **context)  # fmt: skip


@bp.route("/questions/<int:question_id>/move", methods=["POST"], endpoint="move_question")
@staff_required
def move_question(question_id: int) -> ResponseReturnValue:
    question = db.get_or_404(Question, question_id)
    if ConfirmForm().validate_on_submit():
        offset = -1 if request.form.get("direction") == "up" else 1
        commit_or_flash(lambda: design.move_question(question, offset))
    return show_questionnaire(question.questionnaire, f"question-{question.id}")


@bp.route("/questions/<int:question_id>/duplicate", methods=["POST"],
          endpoint="duplicate_question")  # fmt: skip
@staff_required
def duplicate_question(question_id: int) -> ResponseReturnValue:
    question = db.get_or_404(Question, question_id)
    if ConfirmForm().validate_on_submit():
        copy = commit_or_flash(lambda: design.duplicate_question(question)).value
        if copy is not None:
            flash(_("%(key)s is a copy of %(original)s.", key=copy.key, original=question.key))
    return show_questionnaire(question.questionnaire, f"question-{question.id}")


@bp.route("/questions/<int:question_id>/delete", methods=["GET", "POST"],
          endpoint="delete_question")  # fmt: skip
@staff_required
def delete_question(question_id: int) -> ResponseReturnValue:
    question = db.get_or_404(Question, question_id)
    questionnaire = question.questionnaire
    form = ConfirmForm()
    if form.validate_on_submit():
        key = question.key
        if commit_or_flash(lambda: design.delete_question(question)).ok:
            flash(_("Question %(key)s was deleted.", key=key))
        return show_questionnaire(questionnaire, "pages")
    what = _("question %(key)s", key=question.key)
    return render_template(
        "surveys/questionnaires/delete.html", form=form, questionnaire=questionnaire, what=what
    )


@bp.route("/<int:questionnaire_id>/preview", endpoint="preview")
@staff_required
def preview(questionnaire_id: int) -> ResponseReturnValue:
    questionnaire = db.get_or_404(Questionnaire, questionnaire_id)
    language = request.args.get("lang", questionnaire.languages[0])
    if language not in questionnaire.languages:
        abort(404)
    return render_template("surveys/questionnaires/preview.html", questionnaire=questionnaire,
                           language=language)  # fmt: skip


@bp.route("/<int:questionnaire_id>/preview/<lang>/<int:number>", endpoint="preview_page")
@staff_required
def preview_page(questionnaire_id: int, lang: str, number: int) -> ResponseReturnValue:
    """Page ``number`` as a citizen sees it: 0 the introduction, then the pages, then the end.

    Conditions are ignored so that every question can be seen; nothing is saved.
    """
    questionnaire = db.get_or_404(Questionnaire, questionnaire_id)
    if lang not in questionnaire.languages or number > len(questionnaire.pages) + 1:
        abort(404)
    page = questionnaire.pages[number - 1] if 0 < number <= len(questionnaire.pages) else None
    options = {q.id: option_order(q, "preview") for q in (page.questions if page else [])}
    with force_locale(lang):
        return render_template(
            "surveys/questionnaires/preview_page.html",
            questionnaire=questionnaire,
            page=page,
            number=number,
            options=options,
            lang=lang,
            fallback=questionnaire.languages[0],
            text_direction=text_direction(lang),
            today=today(),
        )


@bp.route("/<int:questionnaire_id>/public", methods=["POST"], endpoint="public_link")
@staff_required
def public_link(questionnaire_id: int) -> ResponseReturnValue:
    """Open the public link (a new address each time) or close it."""
    questionnaire = db.get_or_404(Questionnaire, questionnaire_id)
    if ConfirmForm().validate_on_submit():
        opened = commit_or_flash(questionnaire.toggle_public_link, show=False)
        if opened.refusal is not None:
            flash(_("Only a questionnaire that is ready or in use can have a public link."))
        else:
            flash(
                _("The public link is open.") if opened.value else _("The public link is closed.")
            )
    return redirect(url_for("questionnaires.questionnaire", questionnaire_id=questionnaire.id))
