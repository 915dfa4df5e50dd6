"""The questionnaire an answering request walks: loaded once per process when it is frozen.

Every page a respondent sees or sends walks the whole questionnaire (conditions decide which
pages and questions are shown, the progress bar counts pages), and loading it cost four
queries and a few thousand ORM objects per request (bench/RESULTS.md, Answering and Load).
A questionnaire in use or archived can no longer change: only drafts are edited
(``surveys.questionnaires.operations.ensure_editable``), and nothing leads from in use or
archived back to a draft (a new version is a new row). So such a questionnaire is loaded once
per worker process, with its pages, questions and options, and kept for every later request:

- keyed by its id *and* creation time, both read with the request's own query, so a key
  names the one row it was loaded from even when ids are used again (a database emptied
  and filled anew under a running process gives its questionnaires new creation times);
- detached from every session (it is loaded in a session of its own, closed at once), so
  no request's commit, rollback or flush ever touches it; it is only read;
- without its two columns that still change while it is in use, ``state`` and
  ``public_token``: they are expired before it is kept, so reading them raises instead of
  answering from the past. The request reads them fresh (``Link.public_open``).

A draft or a questionnaire that is only ready (it could in principle go back to draft) is
loaded for the request as before, in the request's session.

The cache belongs to the app (``app.extensions``, set up by ``surveys.answering.init_app``),
so each process, and each app a test builds, has its own; it keeps at most
``FROZEN_CACHE_SIZE`` questionnaires, dropping the one loaded longest ago.
"""

from __future__ import annotations

import threading
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from extensions import db
from surveys.questionnaires.models import Page, Question, Questionnaire, QuestionnaireState

#: The states a questionnaire never leaves for a draft again: its questions are final.
FROZEN = frozenset({QuestionnaireState.IN_USE, QuestionnaireState.ARCHIVED})
#: How many frozen questionnaires a process keeps (a region runs a few at a time).
FROZEN_CACHE_SIZE = 32
#: The columns of a frozen questionnaire that still change: never read from the cache.
_STILL_CHANGING = ["state", "public_token"]


def _with_structure() -> tuple:
    """The loader options for pages, questions and options: three queries in all."""
    return (
        selectinload(Questionnaire.pages)
        .selectinload(Page.questions)
        .selectinload(Question.options),
    )


def load_questionnaire(questionnaire_id: int) -> Questionnaire:
    """The questionnaire with its pages, questions and options, in the request's session.

    Every answering request walks the whole structure (conditions, progress); loading it
    lazily cost a query per page and per question (bench/RESULTS.md, Answering).
    """
    query = select(Questionnaire).where(Questionnaire.id == questionnaire_id)
    questionnaire = db.session.scalar(query.options(*_with_structure()))
    if questionnaire is None:
        raise LookupError(f"no questionnaire {questionnaire_id}")
    return questionnaire


class FrozenQuestionnaires:
    """This process's frozen questionnaires, by (id, creation time); at most ``size``,
    dropping the one kept longest. One per app (``app.extensions``, ``init_app``); the
    threads of a gthread worker share it, so changes to it take a lock."""

    def __init__(self, size: int = FROZEN_CACHE_SIZE) -> None:
        self.size = size
        self._kept: dict[tuple[int, datetime], Questionnaire] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[int, datetime]) -> Questionnaire | None:
        return self._kept.get(key)

    def keep(self, key: tuple[int, datetime], questionnaire: Questionnaire) -> None:
        with self._lock:
            while len(self._kept) >= self.size:
                del self._kept[next(iter(self._kept))]
            self._kept[key] = questionnaire


def questionnaire_for_answering(
    questionnaire_id: int, state: QuestionnaireState, created_at: datetime
) -> Questionnaire:
    """The questionnaire to answer: this process's frozen copy when it can no longer change
    (``state`` and ``created_at`` as the request read them), else loaded afresh."""
    if state not in FROZEN:
        return load_questionnaire(questionnaire_id)
    frozen: FrozenQuestionnaires = current_app.extensions["frozen_questionnaires"]
    key = (questionnaire_id, created_at)
    found = frozen.get(key)
    if found is None:
        found = _load_detached(questionnaire_id)
        if found.created_at != created_at:  # another row now: nothing to keep
            return load_questionnaire(questionnaire_id)
        frozen.keep(key, found)
    return found


def _load_detached(questionnaire_id: int) -> Questionnaire:
    """The questionnaire loaded in a session of its own and detached from it, every
    relationship the answering pages follow filled in (a detached object cannot load one)."""
    # a session of its own on the request's connection: no second connection, and closing
    # it leaves the request's transaction as it was
    with Session(bind=db.session.connection()) as session:
        questionnaire = session.scalar(
            select(Questionnaire)
            .where(Questionnaire.id == questionnaire_id)
            .options(*_with_structure())
        )
        if questionnaire is None:
            raise LookupError(f"no questionnaire {questionnaire_id}")
        for page in questionnaire.pages:
            set_committed_value(page, "questionnaire", questionnaire)
            for question in page.questions:
                set_committed_value(question, "page", page)
                set_committed_value(question, "questionnaire", questionnaire)
                for option in question.options:
                    set_committed_value(option, "question", question)
        session.expire(questionnaire, _STILL_CHANGING)
    return questionnaire
