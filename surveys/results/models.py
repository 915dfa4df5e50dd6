"""A wave's weighting: the settings staff chose, its diagnostics, and one weight per response.

The weights live in a table of their own (``response_weight``) rather than a column on
``response``: they are derived data, replaced wholesale whenever staff recompute the
weighting, and belong to that weighting. Deleting the ``Weighting`` row deletes its
weights with it (ON DELETE CASCADE), so a recompute is "delete, insert" in one
transaction and never touches the answers the answering pages write.

A closed wave's answers no longer change, so its answers are also counted once
(``AnswerTally``, built by ``surveys.results.tally``) and the summary reads those few
hundred thousand counts instead of grouping millions of answer rows on every view.
``WaveTally`` marks a wave whose counts are complete; without it the summary counts live.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from extensions import Base, value_enum


class WeightingMethod(enum.StrEnum):
    #: Raking (iterative proportional fitting) on the margins of each chosen attribute.
    RAKE = "rake"
    #: Post-stratification on the cells formed by all chosen attributes together.
    POSTSTRATIFY = "poststratify"


class Weighting(Base):
    """How one wave's respondents are weighted to the population; at most one per wave."""

    __tablename__ = "weighting"
    __table_args__ = (
        CheckConstraint(
            "(bound_low IS NULL AND bound_high IS NULL) OR "
            "(bound_low >= 0 AND bound_low < 1 AND bound_high > 1)",
            name="bounds",
        ),
        CheckConstraint("iterations >= 0", name="iterations_not_negative"),
        CheckConstraint("respondents > 0", name="respondents_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), unique=True)
    method: Mapped[WeightingMethod] = mapped_column(
        value_enum(WeightingMethod, "weighting_method", native_enum=False, length=20)
    )
    #: Attribute keys weighted by, in the order chosen, e.g. ["age", "gender"].
    attribute_keys: Mapped[list[str]] = mapped_column(JSON)
    #: Trimming: every weight within bound_low..bound_high times the mean weight; None: none.
    bound_low: Mapped[float | None] = mapped_column(Float)
    bound_high: Mapped[float | None] = mapped_column(Float)
    #: The population figures weighted to; NULL once that table is deleted.
    population_table_id: Mapped[int | None] = mapped_column(
        ForeignKey("population_table.id", ondelete="SET NULL")
    )
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: Whether the weights start from design weights (the stratum's eligible members over
    #: its respondents, ``surveys.results.respondents.design_weights``) rather than from
    #: equal ones; weightings stored before there were design weights have not.
    design_weighted: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Whether every margin matched within the tolerance (always true for post-stratification).
    converged: Mapped[bool] = mapped_column(default=True)
    #: Raking passes over all margins (1 for post-stratification).
    iterations: Mapped[int] = mapped_column(Integer, default=0)
    #: Kish's design effect of the weights, 1 + CV².
    design_effect: Mapped[float] = mapped_column(Float)
    #: (Σw)² / Σw²: the simple random sample as precise as these weights.
    effective_n: Mapped[float] = mapped_column(Float)
    #: Completed, non-public responses weighted.
    respondents: Mapped[int] = mapped_column(Integer)
    min_weight: Mapped[float] = mapped_column(Float)
    max_weight: Mapped[float] = mapped_column(Float)

    weights: Mapped[list[ResponseWeight]] = relationship(
        back_populates="weighting", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def bounds(self) -> tuple[float, float] | None:
        if self.bound_low is None or self.bound_high is None:
            return None
        return (self.bound_low, self.bound_high)


class ResponseWeight(Base):
    """One response's weight in its wave's weighting (the number of citizens it speaks for)."""

    __tablename__ = "response_weight"
    __table_args__ = (CheckConstraint("weight > 0", name="weight_positive"),)

    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), primary_key=True
    )
    weighting_id: Mapped[int] = mapped_column(
        ForeignKey("weighting.id", ondelete="CASCADE"), index=True
    )
    weight: Mapped[float] = mapped_column(Float)

    weighting: Mapped[Weighting] = relationship(back_populates="weights")


class WaveTally(Base):
    """A closed wave whose answers are counted in ``answer_tally``: the counts are complete.

    Only ``surveys.results.tally`` writes it, in the same transaction as the counts, so a
    wave with this row has all its counts and a wave without it has none that are read.
    """

    __tablename__ = "wave_tally"
    __table_args__ = (CheckConstraint("respondents >= 0", name="respondents_not_negative"),)

    wave_id: Mapped[int] = mapped_column(
        ForeignKey("wave.id", ondelete="CASCADE"), primary_key=True
    )
    tallied_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: Completed, non-public responses counted; the summary counts live if the wave now
    #: has another number (an answer completed just as the wave closed).
    respondents: Mapped[int] = mapped_column(Integer)


class AnswerTally(Base):
    """How many of a closed wave's respondents with these attributes gave this answer.

    One row per (question, attributes, answer) as ``GROUP BY`` gives it; no unique
    constraint, since ``value`` may be NULL and NULLs never collide in one: the tally is
    only ever written whole, after deleting the wave's old rows, under a lock on the wave.

    ``wave_id`` has no foreign key: PostgreSQL checks one row at a time, which for the
    336,497 counts of a wave of 100,000 respondents took 0.9 s, a third of closing it
    (``bench/bench_results.py``). The rows are written only under a lock on the wave's
    row and read only beside its ``WaveTally``, which has the foreign key; and a wave with
    counts has responses, which keep it from being deleted (``response.wave_id``).
    """

    __tablename__ = "answer_tally"
    __table_args__ = (
        CheckConstraint("count > 0", name="count_positive"),
        Index("ix_answer_tally_wave_question", "wave_id", "question_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(Integer)
    question_key: Mapped[str] = mapped_column(String(80))
    #: The responses' attributes as JSON text, exactly as ``respondents.ATTRIBUTES_TEXT``
    #: gives it, so it finds its profile in ``Respondents.position``.
    attributes: Mapped[str] = mapped_column(Text)
    #: The answer as JSON text (``CAST(answer.value AS TEXT)``).
    value: Mapped[str | None] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer)
