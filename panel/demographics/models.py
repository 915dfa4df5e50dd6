"""The attributes the panel weights by, their categories, and the population figures."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.i18n import text_in
from extensions import Base, value_enum
from panel.members.models import (
    CanonicalJSON,
)


class AttributeKind(enum.StrEnum):
    #: The member picks one of the attribute's categories.
    CATEGORY = "category"
    #: Derived from the birth year: each category is an age range.
    AGE_BAND = "age_band"


class Attribute(Base):
    """A demographic attribute members have (gender, municipality, ...): data, not code."""

    __tablename__ = "attribute"
    __table_args__ = (CheckConstraint("key <> ''", name="key_not_empty"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Stable machine name, used in CSV headers and in ``Member.attributes``.
    key: Mapped[str] = mapped_column(String(40), unique=True)
    #: Label per language, e.g. {"da": "Køn", "en": "Gender"}.
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    kind: Mapped[AttributeKind] = mapped_column(value_enum(AttributeKind, "attribute_kind"))
    #: Asked when joining, and needed for weighting and composition.
    required: Mapped[bool] = mapped_column(default=True)
    #: Shown on the composition page and offered for weighting.
    weighting: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: Other column names that mean this attribute in uploaded CSVs (e.g. "KØN", "sex").
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)

    categories: Mapped[list[Category]] = relationship(
        back_populates="attribute",
        cascade="all, delete-orphan",
        order_by="Category.position",
    )

    def label(self, language: str) -> str:
        return text_in(self.labels, language) or self.key


class Category(Base):
    """One value of an attribute; an age band carries its age range."""

    __tablename__ = "attribute_category"
    __table_args__ = (
        UniqueConstraint("attribute_id", "code"),
        CheckConstraint("min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="ages"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attribute_id: Mapped[int] = mapped_column(ForeignKey("attribute.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: For age bands: inclusive bounds; ``max_age`` None means "and older".
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    #: Other spellings in uploaded CSVs (e.g. "Kvinder" for "f").
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)

    attribute: Mapped[Attribute] = relationship(back_populates="categories")

    def label(self, language: str) -> str:
        return text_in(self.labels, language) or self.code


class PopulationTable(Base):
    """An uploaded set of population figures (e.g. FOLK1A for the region, one quarter)."""

    __tablename__ = "population_table"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Where the figures come from, e.g. "Danmarks Statistik, FOLK1A, 2026K3".
    source: Mapped[str] = mapped_column(String(500), default="")
    #: Attribute keys each cell is broken down by, in upload order.
    attribute_keys: Mapped[list[str]] = mapped_column(JSON)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )

    figures: Mapped[list[PopulationFigure]] = relationship(
        back_populates="table", cascade="all, delete-orphan", passive_deletes=True
    )


class PopulationFigure(Base):
    """The population count of one cell, e.g. {"age": "30-39", "gender": "f"}: 10412."""

    __tablename__ = "population_figure"
    __table_args__ = (
        UniqueConstraint("table_id", "cell"),
        CheckConstraint("count >= 0", name="count_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("population_table.id", ondelete="CASCADE"))
    cell: Mapped[dict[str, str]] = mapped_column(CanonicalJSON)
    count: Mapped[int] = mapped_column(BigInteger)

    table: Mapped[PopulationTable] = relationship(back_populates="figures")
