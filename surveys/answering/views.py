"""The answering pages: a personal link (``/a/<token>``), a public link (``/p/<token>``), and
staff typing in paper or telephone answers (``surveys.views_entry``), all one page flow.

Server-rendered forms, no JavaScript: every submit saves the page and redirects (POST,
redirect, GET), so a reload never resubmits. The token in the address is an unguessable
secret, which is what a CSRF token would prove, so these forms carry none: a session that
expires while a citizen thinks about an answer can never cost them the page.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from itsdangerous import Signer
from sqlalchemy import select

from core.clock import utcnow
from extensions import csrf, db, limiter
from surveys.answering import operations as answering
from surveys.answering.links import Link, citizen_link
from surveys.answering.models import Response
from surveys.answering.page_input import read_page
from surveys.questionnaires.models import Questionnaire
from surveys.questionnaires.questions import language_name, text_direction

bp = Blueprint("answering", __name__, url_prefix="/a")
#: Open consultations: a short address to print on a poster.
public_bp = Blueprint("public_answering", __name__, url_prefix="/p")


def language_of(link: Link) -> str:
    """The ``lang`` asked for, else the response's, the member's, the browser's, or the first."""
    offered = link.questionnaire.languages
    asked = request.args.get("lang") or request.form.get("lang")
    if asked in offered:
        return str(asked)
    if link.response is not None and link.response.language in offered:
        return link.response.language
    member = link.invitation.member if link.invitation else None
    if member is not None and member.language in offered:
        return member.language
    return request.accept_languages.best_match(offered) or offered[0]


def render(link: Link, template: str, language: str, status: int = 200, **context: Any) -> Any:
    with force_locale(language):
        body = render_template(
            template,
            link=link,
            questionnaire=link.questionnaire,
            lang=language,
            fallback=link.questionnaire.languages[0],
            text_direction=text_direction(language),
            language_name=language_name,
            **context,
        )
    return body, status


def intro_page(link: Link) -> ResponseReturnValue:
    language = language_of(link)
    response = link.response
    if response is not None and response.completed_at is not None:
        return redirect(link.url("done"))
    if not link.open():
        return render(link, "surveys/answering/closed.html", language, 410)
    return render(link, "surveys/answering/intro.html", language, resume_token=None)


def first_page_url(link: Link, response: Response | None, language: str) -> str:
    """Where a (re)started response goes: the page it stopped at, or the first shown one.

    ``None`` for a response this request has just started: it has no answers and starts at
    the first page (reading it back after its commit would cost two queries).
    """
    answers = answering.answers_of(response) if response is not None else {}
    pages = link.questionnaire.pages
    position = min(response.current_page, len(pages)) if response is not None else 0
    if position < len(pages) and answering.page_shown(pages[position], answers):
        return link.url("page", number=position + 1, lang=language)
    following = answering.next_shown(link.questionnaire, position - 1, answers)
    if following is None:
        return link.url("page", number=len(pages), lang=language)
    return link.url("page", number=following + 1, lang=language)


def answer_page(link: Link, number: int) -> ResponseReturnValue:
    """Show page ``number`` (1-based) or take its submission; shared by every flow."""
    response, questionnaire = link.response, link.questionnaire
    language = language_of(link)
    if response is None:
        return redirect(link.url("intro", lang=language))
    if response.completed_at is not None:
        return redirect(link.url("done", lang=language))
    if not link.open():
        return render(link, "surveys/answering/closed.html", language, 410)
    pages = questionnaire.pages
    if not 1 <= number <= len(pages):
        abort(404)
    page = pages[number - 1]
    answers = answering.answers_of(response)
    if request.method == "POST":
        return _submit(link, page, language, answers)
    if not answering.page_shown(page, answers):
        return redirect(first_page_url(link, response, language))
    shown = _show(link, page, language, answers, answering.shown_questions(page, answers))
    if language != response.language:
        response.language = language
        db.session.commit()  # after the page is rendered, which then needs nothing reloaded
    return shown


def _show(
    link: Link,
    page: Any,
    language: str,
    values: dict[str, Any],
    questions: list[Any],
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    revealed: bool = False,
) -> Any:
    response = link.response
    assert response is not None  # noqa: S101  (answer_page checked it)
    pages = link.questionnaire.pages
    return render(
        link,
        "surveys/answering/page.html",
        language,
        status,
        page=page,
        number=page.position + 1,
        total=len(pages),
        questions=questions,
        options={q.key: answering.options_for(q, response) for q in questions},
        values=values,
        errors=errors or {},
        revealed=revealed,
        has_previous=answering.previous_shown(link.questionnaire, page.position, values)
        is not None,
    )


def _submit(link: Link, page: Any, language: str, answers: dict[str, Any]) -> ResponseReturnValue:
    response = link.response
    assert response is not None  # noqa: S101
    questionnaire = link.questionnaire
    going_back = request.form.get("action") == "back"
    with force_locale(language):
        questions = answering.shown_questions(page, answers)
        submitted = read_page(questions, request.form, language, not going_back)
    merged = {**answers, **{k: v for k, v in submitted.values.items() if v is not None}}
    for key, value in submitted.values.items():
        if value is None:
            merged.pop(key, None)
    if going_back:
        answering.save_answers(response, page, submitted.values)
        target = answering.previous_shown(questionnaire, page.position, merged)
        answering.go_to(response, target if target is not None else page.position)
        if target is None:
            return redirect(link.url("intro", lang=language))
        return redirect(link.url("page", number=target + 1, lang=language))
    # questions this page's own answers revealed are asked before moving on; those they
    # hid need no answer
    now_shown = answering.shown_questions(page, merged)
    revealed = [q for q in now_shown if q not in questions]
    errors = {k: v for k, v in submitted.errors.items() if k in {q.key for q in now_shown}}
    answering.save_answers(
        response, page, {k: v for k, v in submitted.values.items() if k not in errors}
    )
    if errors or revealed:
        values = {**merged, **_raw_values(now_shown, errors)}
        shown = _show(link, page, language, values, now_shown, errors, 200, bool(revealed))
        answering.go_to(response, page.position)  # after rendering: nothing to reload
        return shown
    following = answering.next_shown(questionnaire, page.position, merged)
    if following is not None:
        answering.go_to(response, following)
        return redirect(link.url("page", number=following + 1, lang=language))
    missing = answering.complete(response, questionnaire, utcnow())
    if missing is not None:
        answering.go_to(response, missing.page.position)
        return redirect(link.url("page", number=missing.page.position + 1, lang=language))
    return redirect(link.url("done", lang=language))


def _raw_values(questions: list[Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    """What the respondent typed into questions with errors, so they can correct it."""
    return {
        question.key: question.kind.typed(question, request.form)
        for question in questions
        if question.key in errors
    }


def done_page(link: Link) -> ResponseReturnValue:
    language = language_of(link)
    if link.response is None or link.response.completed_at is None:
        return redirect(link.url("intro", lang=language))
    return render(link, "surveys/answering/done.html", language)


# --- citizen routes ----------------------------------------------------------------------


@bp.route("/<token>", methods=["GET", "POST"], endpoint="intro")
@csrf.exempt
def intro(token: str) -> ResponseReturnValue:
    """The introduction; POST starts (or finds) the response and goes to its page."""
    link = citizen_link(token)
    if request.method == "GET":
        return intro_page(link)
    language = language_of(link)
    if link.response is None:
        if not link.open() or link.invitation is None:
            return intro_page(link)
        answering.start_response(link.invitation, language, utcnow())
        return redirect(first_page_url(link, None, language))
    if link.response.completed_at is not None:
        return redirect(link.url("done"))
    return redirect(first_page_url(link, link.response, language))


@bp.route("/<token>/<int:number>", methods=["GET", "POST"], endpoint="page")
@csrf.exempt
def page(token: str, number: int) -> ResponseReturnValue:
    return answer_page(citizen_link(token, lock=request.method == "POST"), number)


@bp.route("/<token>/done", endpoint="done")
def done(token: str) -> ResponseReturnValue:
    return done_page(citizen_link(token))


def _resume_signer(questionnaire: Questionnaire) -> Signer:
    key = str(current_app.config["SECRET_KEY"])
    return Signer(key, salt=f"public-resume:{questionnaire.id}")


def new_resume_token(questionnaire: Questionnaire) -> str:
    """A resume token made here and signed, so a client can neither choose its own (one
    it could guess, or hand to someone else to read their answers later) nor forge one."""
    return _resume_signer(questionnaire).sign(secrets.token_urlsafe(24)).decode()


@public_bp.route("/<token>", methods=["GET", "POST"], endpoint="start")
@csrf.exempt
@limiter.limit(lambda: current_app.config["PUBLIC_START_RATE_LIMIT"], methods=["POST"])
def public(token: str) -> ResponseReturnValue:
    """An open consultation: anyone may answer, anonymously, outside the weighted results.

    The start form carries a fresh resume token, made and signed by the server; the
    response is keyed by it, so a double submit finds the first, and the respondent's
    address (``/a/<resume token>``) brings them back to where they stopped. Starting is
    limited per address (``PUBLIC_START_RATE_LIMIT``), so nobody fills the results with
    thousands of responses from a script.
    """
    questionnaire = db.session.scalar(select(Questionnaire).filter_by(public_token=token))
    if questionnaire is None:
        abort(404)
    link = Link(
        questionnaire, None, None, {"intro": "public_answering.start"}, {"token": token},
        public_open=True,
    )  # fmt: skip
    language = language_of(link)
    if request.method == "GET":
        return render(
            link,
            "surveys/answering/intro.html",
            language,
            resume_token=new_resume_token(questionnaire),
        )
    resume = request.form.get("resume", "")
    if not _resume_signer(questionnaire).validate(resume):
        abort(400)
    response = answering.start_public_response(questionnaire, resume, language, utcnow())
    own = citizen_link(resume)
    return redirect(first_page_url(own, response, language))
