"""What happens to an idea: submitted, moderated, considered, answered; and similar ideas.

The caller commits. Staff steps are audited; each step is also a row of the idea's status
history, and the author, when they gave an address, is mailed when the idea is published,
refused or answered.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from core import audit
from core.clock import utcnow
from core.errors import Refusal
from extensions import db
from initiatives.ideas.models import (
    PUBLIC_STATES,
    TOPICS,
    Idea,
    IdeaAuthor,
    IdeaState,
    IdeaStatusChange,
)
from initiatives.mail import mail_address
from initiatives.similarity import most_similar
from panel.mail.outbox import absolute_url

log = logging.getLogger(__name__)

#: States the author is mailed about.
MAILED = {IdeaState.PUBLISHED: "idea_published", IdeaState.REFUSED: "idea_refused",
          IdeaState.ANSWERED: "idea_answered"}  # fmt: skip
#: Most public ideas compared when suggesting similar ones (the newest first).
SIMILARITY_POOL = 2_000


class DuplicateIdea(Refusal):
    def __init__(self) -> None:
        super().__init__(_("This idea has already been submitted."))


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def similar_ideas(title: str, text: str, limit: int = 5) -> list[Idea]:
    """Public ideas that read like this one, best first (for the author to look at)."""
    pool = db.session.execute(
        select(Idea.id, Idea.title, Idea.text)
        .where(Idea.state.in_(PUBLIC_STATES))
        .order_by(Idea.id.desc())
        .limit(SIMILARITY_POOL)
    ).all()
    ranked = most_similar(f"{title} {text}", [(i, f"{t} {b}") for i, t, b in pool], limit)
    ideas = {idea.id: idea for idea in db.session.scalars(
        select(Idea).where(Idea.id.in_([i for i, _score in ranked]))
    )}  # fmt: skip
    return [ideas[i] for i, _score in ranked]


def submit_idea(
    topic: str, title: str, text: str, language: str, name: str | None = None,
    email: str | None = None, now: datetime | None = None,
) -> Idea:  # fmt: skip
    """A new idea waiting for moderation; the same text twice is refused (a double post)."""
    if topic not in TOPICS:
        raise Refusal(_("Choose a topic."), field="topic")
    now = now or utcnow()
    earlier = db.session.scalars(
        select(Idea.text).where(
            func.lower(Idea.title) == title.strip().lower(), Idea.state != IdeaState.REFUSED
        )
    )
    if any(_normalised(body) == _normalised(text) for body in earlier):
        raise DuplicateIdea
    idea = Idea(
        topic=topic, title=title.strip(), text=text.strip(), language=language, created_at=now,
        author=IdeaAuthor(
            name=(name or "").strip() or None, email=(email or "").strip().lower() or None
        ),
        history=[IdeaStatusChange(at=now, state=IdeaState.SUBMITTED.value)],
    )  # fmt: skip
    db.session.add(idea)
    db.session.flush()
    log.info("idea %s submitted", idea.id)
    return idea


def change_state(idea: Idea, target: IdeaState, note: str, now: datetime | None = None) -> None:
    """Moderate, consider or answer an idea; the note goes in its history (and is the
    official answer when answering, or the reason when refusing, so both need one)."""
    now = now or utcnow()
    note = note.strip()
    if target in (IdeaState.ANSWERED, IdeaState.REFUSED) and not note:
        raise Refusal(_("Write the answer or the reason."), field="note")
    idea.move_to(target)
    if target is IdeaState.PUBLISHED:
        idea.published_at = now
    if target is IdeaState.ANSWERED:
        idea.answer, idea.answered_at = note, now
    idea.history.append(IdeaStatusChange(at=now, state=target.value, note=note or None))
    audit.record(f"idea.{target.value}", f"idea:{idea.id}")
    kind = MAILED.get(target)
    if kind and idea.author is not None and idea.author.email:
        mail_address(
            kind, idea.author.email, language=idea.language, name=idea.author.name,
            title=idea.title, note=note, link=absolute_url(f"/ideas/{idea.id}"),
        )  # fmt: skip
    log.info("idea %s is now %s", idea.id, target)
