"""The idea bank: citizens' ideas, their topics, their status history and the official answer.

An idea is public once moderated (``PUBLISHED``) and stays public through consideration and
its answer; each change of state is a row in ``idea_status_change``, with a note that is
shown on the idea's page, so the history is what citizens see. The author's name and
address live apart in ``idea_author`` and are never shown: the address is only used to tell
them of the answer.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.errors import InvalidTransition
from extensions import Base, value_enum

#: The topics an idea is filed under (stored by key).
TOPICS = {
    "hospital": _l("Hospitals"),
    "psychiatry": _l("Psychiatry"),
    "general_practice": _l("General practice and health care"),
    "transport": _l("Transport"),
    "environment": _l("Environment and climate"),
    "other": _l("Other"),
}


class IdeaState(enum.StrEnum):
    #: Waiting for moderation; only staff see it.
    SUBMITTED = "submitted"
    #: Public, waiting for the region to look at it.
    PUBLISHED = "published"
    #: Public; the region is looking at it.
    UNDER_CONSIDERATION = "under_consideration"
    #: Public, with the region's official answer.
    ANSWERED = "answered"
    #: Moderation kept it off the public pages (abusive, personal data, not an idea).
    REFUSED = "refused"


TRANSITIONS: dict[IdeaState, frozenset[IdeaState]] = {
    IdeaState.SUBMITTED: frozenset({IdeaState.PUBLISHED, IdeaState.REFUSED}),
    IdeaState.PUBLISHED: frozenset({IdeaState.UNDER_CONSIDERATION, IdeaState.ANSWERED}),
    IdeaState.UNDER_CONSIDERATION: frozenset({IdeaState.ANSWERED}),
    IdeaState.ANSWERED: frozenset(),
    IdeaState.REFUSED: frozenset(),
}
PUBLIC_STATES = frozenset({IdeaState.PUBLISHED, IdeaState.UNDER_CONSIDERATION, IdeaState.ANSWERED})
STATE_LABELS = {
    IdeaState.SUBMITTED: _l("Awaiting moderation"),
    IdeaState.PUBLISHED: _l("Published"),
    IdeaState.UNDER_CONSIDERATION: _l("Under consideration"),
    IdeaState.ANSWERED: _l("Answered"),
    IdeaState.REFUSED: _l("Not published"),
}


class Idea(Base):
    """One citizen's idea; change its state only through ``move_to``."""

    __tablename__ = "idea"
    __table_args__ = (Index("ix_idea_state_topic", "state", "topic"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[IdeaState] = mapped_column(
        value_enum(IdeaState, "idea_state"), default=IdeaState.SUBMITTED
    )
    #: A key of ``TOPICS``.
    topic: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    #: The language it is written in; it is shown as written.
    language: Mapped[str] = mapped_column(String(5), default="da")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: The region's official answer, shown on the idea's page.
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)

    author: Mapped[IdeaAuthor | None] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    history: Mapped[list[IdeaStatusChange]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="IdeaStatusChange.id"
    )

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_STATES

    def public_history(self) -> list[IdeaStatusChange]:
        """The steps citizens see: from publication on (moderation stays with staff)."""
        return [step for step in self.history if IdeaState(step.state) in PUBLIC_STATES]

    def topic_label(self) -> str:
        return str(TOPICS.get(self.topic, self.topic))

    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    def next_states(self) -> list[IdeaState]:
        return sorted(TRANSITIONS[self.state], key=list(IdeaState).index)

    def move_to(self, target: IdeaState) -> None:
        if target not in TRANSITIONS[self.state]:
            raise InvalidTransition(
                _(
                    "An idea that is “%(current)s” cannot become “%(target)s”.",
                    current=STATE_LABELS[self.state],
                    target=STATE_LABELS[target],
                )
            )
        self.state = target


class IdeaAuthor(Base):
    """Who wrote an idea, if they said; read by staff only, never shown."""

    __tablename__ = "idea_author"

    idea_id: Mapped[int] = mapped_column(
        ForeignKey("idea.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str | None] = mapped_column(String(200))
    #: Where to send the answer; none when the author wanted no mail.
    email: Mapped[str | None] = mapped_column(String(254))


class IdeaStatusChange(Base):
    """One step of an idea's status history, with the note shown beside it."""

    __tablename__ = "idea_status_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: The ``IdeaState`` value the idea moved to (plain text: one enum type per table on
    #: PostgreSQL would mean two types of one name).
    state: Mapped[str] = mapped_column(String(30))
    #: What the region says with this step (public for public states).
    note: Mapped[str | None] = mapped_column(Text)
