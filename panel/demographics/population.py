"""Population figures from Statistics Denmark (StatBank) exports, e.g. table FOLK1A.

StatBank's long format has one column per variable and the count last::

    OMRÅDE;KØN;ALDER;TID;INDHOLD
    Aarhus;Kvinder;25 år;2026K3;1234

Columns are matched to the configured attributes and values to their categories, single
ages are summed into the configured age bands, and children (outside every band) are
skipped. Like the member import it is all or nothing: one bad row and nothing is stored,
because a table with a hole would silently skew every comparison made with it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import insert

from core.i18n import current_language
from extensions import db
from panel.demographics.attributes import CategoryIndex, band_of_age, load_attributes
from panel.demographics.models import (
    Attribute,
    AttributeKind,
    PopulationFigure,
    PopulationTable,
)
from panel.members.imports import (
    CsvRows,
    RowError,
    Source,
    UnreadableCsv,
    attribute_for_header,
    read_csv,
)

COUNT_HEADERS = {"indhold", "count", "antal"}
TIME_HEADERS = {"tid", "time", "period", "periode"}
#: Values StatBank uses for a total over a variable.
TOTALS = {"i alt", "total", "alle", "hele landet"}
AGE_VALUE = re.compile(r"(\d{1,3})(?:\s*år)?(?:\s+og\s+derover)?", re.IGNORECASE)


@dataclass
class PopulationResult:
    table: PopulationTable | None = None
    errors: list[RowError] = field(default_factory=list)
    #: Data rows outside every age band (children), left out on purpose.
    skipped: int = 0


@dataclass(frozen=True)
class _Columns:
    attributes: list[tuple[int, CategoryIndex]]
    count: int
    time: int | None


def upload_population(
    source: Source, *, name: str, note: str = "", uploaded_by_id: int | None = None
) -> PopulationResult:
    """Parse a StatBank CSV and store it as a new table when every row is good; caller commits."""
    try:
        table = read_csv(source)
    except UnreadableCsv as unreadable:
        return PopulationResult(errors=unreadable.errors)
    columns, errors = _match_columns(table.header, load_attributes())
    if columns is None:
        return PopulationResult(errors=errors)
    cells, errors, skipped = _read_cells(table, columns)
    if errors:
        return PopulationResult(errors=errors, skipped=skipped)
    keys = [index.attribute.key for _, index in columns.attributes]
    population = PopulationTable(
        name=name, source=note, attribute_keys=keys, uploaded_by_id=uploaded_by_id
    )
    db.session.add(population)
    db.session.flush()
    if cells:
        db.session.execute(
            insert(PopulationFigure),
            [
                {"table_id": population.id, "cell": dict(zip(keys, combo, strict=True)), "count": n}
                for combo, n in cells.items()
            ],
        )
    current_app.logger.info(
        "population table %s: %s cells, %s rows skipped", population.id, len(cells), skipped
    )
    return PopulationResult(table=population, skipped=skipped)


def _match_columns(
    header: Sequence[str], attributes: Sequence[Attribute]
) -> tuple[_Columns | None, list[RowError]]:
    errors: list[RowError] = []
    if not header:
        return None, [(1, _("The file is empty."))]
    folded = [name.casefold() for name in header]
    count = next((i for i, name in enumerate(folded) if name in COUNT_HEADERS), len(header) - 1)
    time = None
    matched: list[tuple[int, CategoryIndex]] = []
    for position, name in enumerate(header):
        if position == count:
            continue
        if folded[position] in TIME_HEADERS:
            time = position
            continue
        attribute = attribute_for_header(name, attributes)
        if attribute is None:
            errors.append((1, _("Unknown column “%(name)s”.", name=name)))
        elif any(index.attribute is attribute for _, index in matched):
            errors.append((1, _("Column “%(name)s” appears twice.", name=name)))
        else:
            matched.append((position, CategoryIndex.of(attribute)))
    if not matched and not errors:
        errors.append((1, _("No column matches an attribute of the panel.")))
    if errors:
        return None, errors
    return _Columns(matched, count, time), []


def _read_cells(
    table: CsvRows, columns: _Columns
) -> tuple[dict[tuple[str, ...], int], list[RowError], int]:
    """Sum the counts per combination of category codes; collect every row's problems."""
    cells: dict[tuple[str, ...], int] = defaultdict(int)
    errors: list[RowError] = []
    skipped = 0
    period: str | None = None
    width = len(table.header)
    for line, row in table.rows:
        if len(row) != width:
            errors.append((line, _("Expected %(n)d columns, found %(m)d.", n=width, m=len(row))))
            continue
        problems: list[str] = []
        if columns.time is not None:
            value = row[columns.time].strip()
            if period is None:
                period = value
            elif value != period:
                problems.append(
                    _(
                        "Several periods (%(first)s, %(other)s): upload one period at a time.",
                        first=period,
                        other=value,
                    )
                )
        raw_count = row[columns.count].strip().replace(" ", "")
        if not re.fullmatch(r"-?\d+", raw_count):
            problems.append(_("The count “%(value)s” is not a whole number.", value=raw_count))
        elif int(raw_count) < 0:
            problems.append(_("The count %(value)s is negative.", value=raw_count))
        combo: list[str] = []
        outside_bands = False
        for position, index in columns.attributes:
            value = row[position].strip()
            attribute = index.attribute
            label = attribute.label(current_language())
            if value.casefold() in TOTALS or value.casefold().endswith(" i alt"):
                problems.append(
                    _(
                        "“%(value)s” is a total row; export the table without totals.",
                        value=value,
                    )
                )
                continue
            code = index.find(value)
            if code is None and attribute.kind is AttributeKind.AGE_BAND:
                age = AGE_VALUE.fullmatch(value)
                if age is not None:
                    code = band_of_age(int(age.group(1)), attribute.categories)
                    outside_bands = code is None
                    if outside_bands:
                        continue
            if code is None:
                problems.append(
                    _(
                        "“%(value)s” is not a known value for %(attribute)s.",
                        value=value,
                        attribute=label,
                    )
                )
            else:
                combo.append(code)
        if problems:
            errors.append((line, " ".join(problems)))
        elif outside_bands:
            skipped += 1
        else:
            cells[tuple(combo)] += int(raw_count)
    return dict(cells), errors, skipped
