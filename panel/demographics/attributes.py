"""Demographic attributes: the defaults of a Danish region, and reading members' values.

Attributes and their categories are rows (``Attribute``, ``Category``) that staff can
change; this module knows how to install the defaults, validate a member's values
against whatever is configured, and derive the age band from a birth year.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, false, or_, select, type_coerce
from sqlalchemy.orm import selectinload

from core.clock import today
from extensions import db
from panel.demographics.models import Attribute, AttributeKind, Category
from panel.members.models import Member, dumps_canonical

#: The 19 municipalities of Region Midtjylland, by their official municipality code.
MIDTJYLLAND_MUNICIPALITIES: tuple[tuple[str, str], ...] = (
    ("710", "Favrskov"),
    ("766", "Hedensted"),
    ("657", "Herning"),
    ("661", "Holstebro"),
    ("615", "Horsens"),
    ("756", "Ikast-Brande"),
    ("665", "Lemvig"),
    ("707", "Norddjurs"),
    ("727", "Odder"),
    ("730", "Randers"),
    ("760", "Ringkøbing-Skjern"),
    ("741", "Samsø"),
    ("740", "Silkeborg"),
    ("746", "Skanderborg"),
    ("779", "Skive"),
    ("671", "Struer"),
    ("706", "Syddjurs"),
    ("791", "Viborg"),
    ("751", "Aarhus"),
)

AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("18-29", 18, 29),
    ("30-39", 30, 39),
    ("40-49", 40, 49),
    ("50-59", 50, 59),
    ("60-69", 60, 69),
    ("70+", 70, None),
)

#: The attributes a Danish region weights by; installed by ``install_default_attributes``.
DEFAULT_ATTRIBUTES: tuple[dict[str, Any], ...] = (
    {
        "key": "age",
        "labels": {"da": "Alder", "en": "Age"},
        "kind": AttributeKind.AGE_BAND,
        "aliases": ["alder", "age"],
        "categories": [
            {"code": code, "labels": {"da": f"{code} år", "en": code}, "min_age": lo, "max_age": hi}
            for code, lo, hi in AGE_BANDS
        ],
    },
    {
        "key": "gender",
        "labels": {"da": "Køn", "en": "Gender"},
        "kind": AttributeKind.CATEGORY,
        "aliases": ["køn", "kon", "sex", "gender"],
        "categories": [
            {"code": "f", "labels": {"da": "Kvinde", "en": "Woman"}, "aliases": ["kvinder"]},
            {"code": "m", "labels": {"da": "Mand", "en": "Man"}, "aliases": ["mænd", "maend"]},
        ],
    },
    {
        "key": "municipality",
        "labels": {"da": "Kommune", "en": "Municipality"},
        "kind": AttributeKind.CATEGORY,
        "aliases": ["kommune", "område", "omrade", "municipality"],
        "categories": [
            {"code": code, "labels": {"da": name, "en": name}, "aliases": [f"{name} kommune"]}
            for code, name in MIDTJYLLAND_MUNICIPALITIES
        ],
    },
    {
        "key": "education",
        "labels": {"da": "Højeste fuldførte uddannelse", "en": "Highest completed education"},
        "kind": AttributeKind.CATEGORY,
        "aliases": ["uddannelse", "hfudd", "education"],
        "categories": [
            {"code": "basic", "labels": {"da": "Grundskole", "en": "Primary and lower secondary"}},
            {
                "code": "upper",
                "labels": {
                    "da": "Gymnasial eller erhvervsfaglig uddannelse",
                    "en": "Upper secondary or vocational",
                },
            },
            {
                "code": "short",
                "labels": {
                    "da": "Kort eller mellemlang videregående uddannelse",
                    "en": "Short or medium-cycle higher education",
                },
            },
            {
                "code": "long",
                "labels": {
                    "da": "Lang videregående uddannelse",
                    "en": "Long-cycle higher education",
                },
            },
        ],
    },
    {
        "key": "postcode",
        "labels": {"da": "Postnummer", "en": "Postcode"},
        "kind": AttributeKind.CATEGORY,
        "required": False,
        "weighting": False,
        "aliases": ["postnr", "postnummer"],
        "categories": [],
    },
)


def install_default_attributes() -> list[Attribute]:
    """Create the default attributes that do not exist yet (idempotent); caller commits."""
    existing = {a.key for a in db.session.scalars(select(Attribute))}
    created = []
    for position, spec in enumerate(DEFAULT_ATTRIBUTES):
        if spec["key"] in existing:
            continue
        attribute = Attribute(
            key=spec["key"],
            labels=spec["labels"],
            kind=spec["kind"],
            required=spec.get("required", True),
            weighting=spec.get("weighting", True),
            position=position,
            aliases=spec.get("aliases", []),
        )
        for index, cat in enumerate(spec["categories"]):
            attribute.categories.append(
                Category(
                    code=cat["code"],
                    labels=cat["labels"],
                    position=index,
                    min_age=cat.get("min_age"),
                    max_age=cat.get("max_age"),
                    aliases=cat.get("aliases", []),
                )
            )
        db.session.add(attribute)
        created.append(attribute)
    return created


def load_attributes() -> list[Attribute]:
    """Every configured attribute with its categories, in display order (one query each)."""
    return list(
        db.session.scalars(
            select(Attribute)
            .options(selectinload(Attribute.categories))
            .order_by(Attribute.position, Attribute.id)
        )
    )


def age_on(birth_year: int, on: date | None = None) -> int:
    """Age reached during the year of ``on``: what registers like FOLK1A count by year."""
    on = on or today()
    return on.year - birth_year


def band_of_age(age: int, bands: Sequence[Category]) -> str | None:
    """The code of the band ``age`` falls in, or None (e.g. under 18)."""
    for band in bands:
        low = band.min_age if band.min_age is not None else 0
        if age >= low and (band.max_age is None or age <= band.max_age):
            return band.code
    return None


def age_band(birth_year: int, bands: Sequence[Category], on: date | None = None) -> str | None:
    """The code of the band a member born in ``birth_year`` is in on ``on``, or None."""
    return band_of_age(age_on(birth_year, on), bands)


def members_with(
    attribute: Attribute, codes: Collection[str], on: date | None = None
) -> ColumnElement[bool]:
    """SQL: members whose value for ``attribute`` is one of ``codes`` (age bands on ``on``).

    Attribute values are matched inside the canonical JSON text (``'"gender":"f"'`` followed
    by ``,`` or ``}``), which works alike on SQLite and PostgreSQL and needs no JSON index;
    age bands become ranges of birth years, matching ``age_on``.
    """
    if attribute.kind is AttributeKind.AGE_BAND:
        year = (on or today()).year
        ranges = []
        for band in attribute.categories:
            if band.code in codes:
                bounds = [Member.birth_year <= year - (band.min_age or 0)]
                if band.max_age is not None:
                    bounds.append(Member.birth_year >= year - band.max_age)
                ranges.append(and_(*bounds))
        return or_(false(), *ranges)
    raw = type_coerce(Member.attributes, Text)
    needles = [dumps_canonical({attribute.key: code})[1:-1] for code in codes]
    return or_(
        false(),
        *(raw.contains(n + end, autoescape=True) for n in needles for end in (",", "}")),
    )


def weighting_attributes(
    birth_year: int | None,
    values: Mapping[str, Any],
    attributes: Sequence[Attribute],
    on: date | None = None,
) -> dict[str, str | None]:
    """The values a response keeps for weighting: each weighting attribute's category.

    Taken when someone starts answering, with the age band at that day, so weighting a
    wave still works after the member has moved, grown older or been deleted.
    """
    snapshot: dict[str, str | None] = {}
    for attribute in attributes:
        if not attribute.weighting:
            continue
        if attribute.kind is AttributeKind.AGE_BAND:
            snapshot[attribute.key] = (
                age_band(birth_year, attribute.categories, on) if birth_year else None
            )
        else:
            snapshot[attribute.key] = values.get(attribute.key)
    return snapshot


@dataclass(frozen=True)
class CategoryIndex:
    """Finds a category by code, label (any language) or alias, case-insensitively."""

    attribute: Attribute
    lookup: Mapping[str, str]

    @classmethod
    def of(cls, attribute: Attribute) -> CategoryIndex:
        lookup: dict[str, str] = {}
        for cat in attribute.categories:
            for name in [cat.code, *cat.labels.values(), *(cat.aliases or [])]:
                lookup.setdefault(name.strip().casefold(), cat.code)
        return cls(attribute, lookup)

    def find(self, value: str) -> str | None:
        return self.lookup.get(value.strip().casefold())


def category_indexes(attributes: Sequence[Attribute]) -> list[CategoryIndex]:
    """Indexes for ``validate_attributes``; build them once per request or import."""
    return [CategoryIndex.of(attribute) for attribute in attributes]


def validate_attributes(
    values: Mapping[str, str | None], indexes: Sequence[CategoryIndex]
) -> tuple[dict[str, str], dict[str, str]]:
    """Check a member's category values against the configured attributes.

    Returns ``(clean, errors)``: ``clean`` maps attribute key to category code, ``errors``
    maps attribute key to a short English reason (callers translate for display).
    Age bands are skipped: they come from the birth year. An attribute without categories
    (e.g. postcode) takes free text of up to 40 characters.
    """
    clean: dict[str, str] = {}
    errors: dict[str, str] = {}
    for index in indexes:
        attribute = index.attribute
        if attribute.kind is AttributeKind.AGE_BAND:
            continue
        raw = (values.get(attribute.key) or "").strip()
        if not raw:
            if attribute.required:
                errors[attribute.key] = "missing"
            continue
        if not attribute.categories:
            if len(raw) > 40:
                errors[attribute.key] = "too long"
            else:
                clean[attribute.key] = raw
            continue
        code = index.find(raw)
        if code is None:
            errors[attribute.key] = "unknown"
        else:
            clean[attribute.key] = code
    return clean, errors
