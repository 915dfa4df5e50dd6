"""Designing questionnaires: pages, questions and options, checks, versions, translations.

The builder UI and the imports call these functions; each takes the objects it works on,
checks what it is given (raising ``QuestionError``, ``ConditionError`` or
``QuestionnaireFrozen`` with a message for staff), logs what it did, and leaves committing
to the caller. Only drafts without responses can be edited; a questionnaire with answers
is frozen, and ``new_version`` makes an editable copy whose questions keep their concepts.
"""

from __future__ import annotations

import logging
import re
import uuid
from copy import copy
from typing import Any

from flask_babel import gettext as _

from core.errors import Refusal
from extensions import db
from surveys.questionnaires.conditions import ConditionError, parse, references, validate
from surveys.questionnaires.models import (
    Option,
    OptionKind,
    Page,
    Question,
    Questionnaire,
    QuestionnaireState,
    QuestionType,
    Texts,
)
from surveys.questionnaires.questions import (
    COMMON,
    DEFAULTS,
    LANGUAGE_PATTERN,
    QuestionError,
    check_question,
    missing_translations,
)
from surveys.questionnaires.signals import response_counts
from surveys.questionnaires.types import kind_of

logger = logging.getLogger(__name__)

#: An option or statement as given to add_question: (code, {lang: label}).
OptionSpec = tuple[str, Texts]


class QuestionnaireFrozen(Refusal):
    """An edit of a questionnaire that has answers or is no longer a draft."""


def _renumber(items: list[Any]) -> None:
    for position, item in enumerate(items):
        item.position = position


def has_responses(questionnaire: Questionnaire) -> bool:
    if questionnaire.id is None:
        return False
    return response_counts([questionnaire.id]).get(questionnaire.id, 0) > 0


def ensure_editable(questionnaire: Questionnaire) -> None:
    title = questionnaire.title.get(questionnaire.languages[0], "") if questionnaire.title else ""
    if has_responses(questionnaire):
        raise QuestionnaireFrozen(
            _(
                "“%(title)s” has answers, so its questions are frozen. Make a new version to "
                "change them.",
                title=title,
            )
        )
    if questionnaire.state is not QuestionnaireState.DRAFT:
        raise QuestionnaireFrozen(
            _("“%(title)s” is no longer a draft; only drafts can be changed.", title=title)
        )


def _check_languages(languages: list[str]) -> None:
    bad = [code for code in languages if not LANGUAGE_PATTERN.match(code)]
    if bad or len(set(languages)) != len(languages):
        raise QuestionError(_("Not a list of language codes: %(codes)s", codes=", ".join(bad)))
    if not {"da", "en"} <= set(languages):
        raise QuestionError(_("A questionnaire is offered in Danish and English at least."))


def update_design(questionnaire: Questionnaire, languages: list[str], **fields: Any) -> None:
    """Change the texts, checklist answers and languages of a draft (not its questions)."""
    ensure_editable(questionnaire)
    _check_languages(languages)
    questionnaire.languages = list(languages)
    for name, value in fields.items():
        setattr(questionnaire, name, value)
    logger.info("questionnaire %s: design changed", questionnaire.id)


def create_questionnaire(
    title: Texts, languages: list[str] | None = None, **fields: Any
) -> Questionnaire:
    """A new draft; ``fields`` are Questionnaire columns (introduction, purpose, ...)."""
    languages = list(languages or ["da", "en"])
    _check_languages(languages)
    questionnaire = Questionnaire(
        title=dict(title),
        languages=languages,
        state=QuestionnaireState.DRAFT,
        version=1,
        **fields,
    )
    db.session.add(questionnaire)
    logger.info("questionnaire created: %s", title)
    return questionnaire


def add_page(
    questionnaire: Questionnaire,
    title: Texts | None = None,
    condition: str | None = None,
    position: int | None = None,
) -> Page:
    ensure_editable(questionnaire)
    page = Page(title=dict(title or {}))
    questionnaire.pages.insert(len(questionnaire.pages) if position is None else position, page)
    _renumber(questionnaire.pages)
    if condition:
        _check_or_undo(questionnaire, lambda: setattr(page, "condition", condition), page)
    return page


def next_key(questionnaire: Questionnaire) -> str:
    """The first free key of the form q1, q2, ... after the highest one in use."""
    numbers = [int(q.key[1:]) for q in questionnaire.questions if re.fullmatch(r"q\d+", q.key)]
    return f"q{max(numbers, default=0) + 1}"


def add_question(
    page: Page,
    type: QuestionType | str,
    text: Texts,
    key: str | None = None,
    position: int | None = None,
    options: list[OptionSpec] | None = None,
    statements: list[OptionSpec] | None = None,
    concept: str | None = None,
    **settings: Any,
) -> Question:
    """A new question on ``page`` (at the end unless ``position``), checked for its type."""
    questionnaire = page.questionnaire
    ensure_editable(questionnaire)
    kind = QuestionType(type)
    initial = kind_of(kind).initial
    question = Question(
        questionnaire=questionnaire,
        key=key or next_key(questionnaire),
        concept=concept or str(uuid.uuid4()),
        type=kind,
        text=dict(text),
        hint={},
        required=False,
        validation_message={},
        **{name: copy(value) for name, value in {**DEFAULTS, **initial}.items()},
    )
    _apply(question, settings)
    _set_options(question, options or [], statements or [])
    page.questions.insert(len(page.questions) if position is None else position, question)
    _renumber(page.questions)
    try:
        check_question(question)
    except ValueError:
        page.questions.remove(question)
        _renumber(page.questions)
        if question in db.session:
            db.session.expunge(question)
        raise
    logger.info("question %s (%s) added to questionnaire %s", question.key, kind, questionnaire.id)
    return question


def update_question(
    question: Question,
    options: list[OptionSpec] | None = None,
    statements: list[OptionSpec] | None = None,
    **changes: Any,
) -> None:
    """Change settings (and replace options when given); refused changes leave it unchanged."""
    ensure_editable(question.questionnaire)
    before = {name: getattr(question, name) for name in (*COMMON, *DEFAULTS, "key")}
    old_options = [(o.kind, o.code, o.label) for o in question.options]
    _apply(question, changes)
    if options is not None or statements is not None:
        current = [
            [(o.code, o.label) for o in group] for group in (question.choices, question.statements)
        ]
        _set_options(
            question,
            options if options is not None else current[0],
            statements if statements is not None else current[1],
        )
    try:
        check_question(question)
    except ValueError:
        for name, value in before.items():
            setattr(question, name, value)
        question.options.clear()
        for kind, code, label in old_options:
            question.options.append(Option(kind=kind, code=code, label=label))
        raise
    logger.info("question %s of questionnaire %s changed", question.key, question.questionnaire_id)


def _apply(question: Question, settings: dict[str, Any]) -> None:
    allowed = {*COMMON, *question.kind.settings, "key"}
    for name, value in settings.items():
        if name not in allowed:
            raise QuestionError(
                _(
                    "A question of type %(type)s has no setting “%(name)s”.",
                    type=question.type.value,
                    name=name,
                )
            )
        setattr(question, name, dict(value) if isinstance(value, dict) else value)


def _set_options(question: Question, choices: list[OptionSpec], rows: list[OptionSpec]) -> None:
    """Keep each option whose (kind, code) stays, so the unique constraint on them holds
    while the new list is written; the others are added or, orphaned, deleted."""
    existing = {(option.kind, option.code): option for option in question.options}
    wanted = []
    for kind, specs in ((OptionKind.CHOICE, choices), (OptionKind.STATEMENT, rows)):
        for code, label in specs:
            option = existing.pop((kind, str(code)), None) or Option(kind=kind, code=str(code))
            option.label = dict(label)
            wanted.append(option)
    question.options[:] = wanted
    _renumber(question.options)


def check_conditions(questionnaire: Questionnaire) -> None:
    """Raise ConditionError for the first condition that no longer fits the questionnaire."""
    for page in questionnaire.pages:
        if page.condition:
            validate(page.condition, questionnaire, page)
        for question in page.questions:
            if question.condition:
                validate(question.condition, questionnaire, question)


def _check_or_undo(questionnaire: Questionnaire, change: Any, undo: Any) -> None:
    """Make ``change``; if a condition no longer fits, undo it and raise the error."""
    if isinstance(undo, Page):
        page, old = undo, undo.condition

        def undo() -> None:
            page.condition = old

    change()
    try:
        check_conditions(questionnaire)
    except ConditionError:
        undo()
        raise


def set_page_condition(page: Page, condition: str | None) -> None:
    ensure_editable(page.questionnaire)
    _check_or_undo(page.questionnaire, lambda: setattr(page, "condition", condition), page)


def move_page(page: Page, offset: int) -> None:
    """Move up (-1) or down (+1); refused if a condition would then refer to a later page."""
    questionnaire = page.questionnaire
    ensure_editable(questionnaire)
    pages = questionnaire.pages
    old = pages.index(page)
    new = max(0, min(len(pages) - 1, old + offset))

    def move(to: int) -> None:
        pages.remove(page)
        pages.insert(to, page)
        _renumber(pages)

    _check_or_undo(questionnaire, lambda: move(new), lambda: move(old))


def move_question(question: Question, offset: int) -> None:
    """Move up (-1) or down (+1); past the top or bottom of its page, onto the next page."""
    questionnaire = question.questionnaire
    ensure_editable(questionnaire)
    start_page, start = question.page, question.page.questions.index(question)

    def place(page: Page, index: int) -> None:
        current = question.page
        current.questions.remove(question)
        _renumber(current.questions)
        page.questions.insert(index, question)
        _renumber(page.questions)

    pages = questionnaire.pages
    target, index = start_page, start + offset
    if index < 0 and pages.index(start_page) > 0:
        target = pages[pages.index(start_page) - 1]
        index = len(target.questions)
    elif index >= len(start_page.questions) and pages.index(start_page) < len(pages) - 1:
        target, index = pages[pages.index(start_page) + 1], 0
    index = max(0, min(index, len(target.questions) - (target is start_page)))
    _check_or_undo(questionnaire, lambda: place(target, index), lambda: place(start_page, start))


def _referrers(questionnaire: Questionnaire, keys: set[str]) -> list[str]:
    """Keys of questions (and page names) whose conditions use any of ``keys``."""
    found = []
    for number, page in enumerate(questionnaire.pages, 1):
        if page.condition and keys & set(references(parse(page.condition))):
            found.append(_("page %(n)d", n=number))
        for q in page.questions:
            if q.key not in keys and q.condition and keys & set(references(parse(q.condition))):
                found.append(q.key)
    return found


def delete_question(question: Question) -> None:
    questionnaire = question.questionnaire
    ensure_editable(questionnaire)
    users = _referrers(questionnaire, {question.key})
    if users:
        raise ConditionError(
            _(
                "%(key)s cannot be deleted: the conditions of %(users)s use it.",
                key=question.key,
                users=", ".join(users),
            )
        )
    page = question.page
    page.questions.remove(question)
    _renumber(page.questions)
    logger.info("question %s deleted from questionnaire %s", question.key, questionnaire.id)


def delete_page(page: Page) -> None:
    questionnaire = page.questionnaire
    ensure_editable(questionnaire)
    users = _referrers(questionnaire, {q.key for q in page.questions})
    if users:
        raise ConditionError(
            _(
                "The page cannot be deleted: the conditions of %(users)s use its questions.",
                users=", ".join(users),
            )
        )
    questionnaire.pages.remove(page)
    _renumber(questionnaire.pages)


def _copy(source: Question, page: Page, key: str, concept: str, position: int | None) -> Question:
    settings = {name: getattr(source, name) for name in source.kind.settings}
    return add_question(
        page,
        source.type,
        source.text,
        key=key,
        position=position,
        options=[(o.code, o.label) for o in source.choices],
        statements=[(o.code, o.label) for o in source.statements],
        concept=concept,
        hint=source.hint,
        required=source.required,
        validation_message=source.validation_message,
        **settings,
    )


def duplicate_question(question: Question) -> Question:
    """A copy just below, with a new key and a new concept: it is a different question."""
    page = question.page
    copy = _copy(
        question, page, next_key(page.questionnaire), str(uuid.uuid4()), question.position + 1
    )
    copy.condition = question.condition
    return copy


def copy_question(source: Question, page: Page, position: int | None = None) -> Question:
    """Copy a question from another (earlier) questionnaire, keeping its concept for trends.

    The key is kept when it is free. The condition is not copied: it refers to the other
    questionnaire's questions.
    """
    key = source.key if page.questionnaire.question(source.key) is None else None
    key = key or next_key(page.questionnaire)
    return _copy(source, page, key, source.concept, position)


def new_version(questionnaire: Questionnaire) -> Questionnaire:
    """An editable draft copy, linked to ``questionnaire``; keys and concepts are kept."""
    columns = [
        "languages",
        "title",
        "introduction",
        "purpose",
        "target_group",
        "resources",
        "decision_process",
        "decision_authority",
        "commissioned_by",
        "influence",
        "results_published_on",
    ]
    copy = Questionnaire(
        **{name: getattr(questionnaire, name) for name in columns},
        state=QuestionnaireState.DRAFT,
        version=questionnaire.version + 1,
        previous=questionnaire,
    )
    db.session.add(copy)
    for page in questionnaire.pages:
        new_page = add_page(copy, page.title)
        for question in page.questions:
            _copy(question, new_page, question.key, question.concept, None)
    for page, new_page in zip(questionnaire.pages, copy.pages, strict=True):
        new_page.condition = page.condition
        for question, new in zip(page.questions, new_page.questions, strict=True):
            new.condition = question.condition
    logger.info("questionnaire %s: new version %s", questionnaire.id, copy.version)
    return copy


def mark_ready(questionnaire: Questionnaire) -> None:
    """Draft -> ready, once every text is translated and every condition fits."""
    if questionnaire.state is not QuestionnaireState.DRAFT:
        raise QuestionError(_("Only a draft can be marked ready."))
    missing = missing_translations(questionnaire)
    if missing:
        first = missing[0]
        raise QuestionError(
            _(
                "%(n)d texts are not translated yet, e.g. %(where)s (%(field)s) in %(lang)s.",
                n=len(missing),
                where=first.where,
                field=first.field,
                lang=first.language,
            )
        )
    if not questionnaire.questions:
        raise QuestionError(_("The questionnaire has no questions yet."))
    check_conditions(questionnaire)
    questionnaire.mark_ready()
    logger.info("questionnaire %s is ready", questionnaire.id)
