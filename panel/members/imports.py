"""Members in and out as CSV: the import staff use for paper and phone recruits, the export.

An import is all or nothing: every bad row is reported with its line number, and if there
is one, no member is created, so staff fix the file and upload it again instead of
working out which half got in. Validation runs in Python against prebuilt category
indexes and the rows go in with executemany, so 100,000 rows take seconds.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import DateTime, String, Text, insert, literal, select, type_coerce
from sqlalchemy.orm import selectinload

from core.clock import utcnow
from core.i18n import current_language
from core.spreadsheets import safe_cell
from extensions import db
from panel.demographics.attributes import (
    CategoryIndex,
    age_on,
    category_indexes,
    load_attributes,
    validate_attributes,
)
from panel.demographics.models import Attribute, AttributeKind
from panel.members.bulk import bulk_insert
from panel.members.consent import CONSENT_VERSION, add_years
from panel.members.models import Consent, Member, MemberContact, MemberStatus
from panel.members.operations import send_confirmation

#: Ages a member may have; the panel is for adults.
MIN_AGE, MAX_AGE = 18, 110
BATCH = 5000
#: Header names of the fixed columns, case-insensitive, Danish and English.
FIXED_COLUMNS = {
    "email": {"email", "e-mail", "mail", "e-mailadresse"},
    "birth_year": {"birth_year", "birth year", "fødselsår", "foedselsaar"},
    "name": {"name", "navn"},
    "language": {"language", "sprog"},
}
#: Ordinary addresses, checked without email-validator to keep big imports fast.
PLAIN_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)

Source = bytes | str | IO[bytes] | IO[str]
#: Rows one upload may have, counted before anything is parsed; larger files are split.
MAX_ROWS = 200_000
RowError = tuple[int, str]


@dataclass(frozen=True)
class CsvRows:
    header: list[str]
    #: (line number in the file, cells) for every non-blank data row.
    rows: list[tuple[int, list[str]]]


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) first; StatBank and Excel on Windows write cp1252."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


class UnreadableCsv(ValueError):
    """The file cannot be read as CSV: nothing can be imported; ``errors`` say where."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"unreadable CSV at lines {[line for line, _reason in errors]}")
        self.errors = errors


def read_csv(source: Source) -> CsvRows:
    """Read an uploaded CSV whose delimiter is ``;``, ``,`` or a tab (whichever the header uses).

    Raises ``UnreadableCsv`` when the file cannot be read, so callers report those lines.
    """
    data = source.read() if hasattr(source, "read") else source
    text = decode(data) if isinstance(data, bytes) else str(data).removeprefix("\ufeff")
    if text.count("\n") > MAX_ROWS + 1:  # up front: parsing a million rows kills the worker
        message = _(
            "The file has more than %(n)s rows. Split it into files of at most %(n)s rows.",
            n=f"{MAX_ROWS:,}".replace(",", "."),
        )
        raise UnreadableCsv([(MAX_ROWS + 2, message)])
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(";,\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] = []
    rows = []
    with_nul = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if any("\x00" in cell for cell in cells):
                with_nul.append(reader.line_num)
            if not header:
                header = [cell.strip() for cell in cells]
            else:
                rows.append((reader.line_num, cells))
    except csv.Error as error:
        message = _("This line cannot be read as CSV: a cell is too long or a quote is not closed.")
        raise UnreadableCsv([(reader.line_num, message)]) from error
    if with_nul:  # no database stores a NUL; a UTF-16 file read as cp1252 is full of them
        message = _(
            "This line contains NUL characters. Save the file as CSV (UTF-8) and try again."
        )
        raise UnreadableCsv([(line, message) for line in with_nul])
    return CsvRows(header, rows)


def attribute_for_header(name: str, attributes: Sequence[Attribute]) -> Attribute | None:
    """The attribute a column header means: its key, a label in any language, or an alias."""
    wanted = name.strip().casefold()
    for attribute in attributes:
        names = [attribute.key, *attribute.labels.values(), *(attribute.aliases or [])]
        if wanted in {n.strip().casefold() for n in names}:
            return attribute
    return None


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0


@dataclass(frozen=True)
class _Row:
    line: int
    email: str
    name: str | None
    language: str
    birth_year: int
    attributes: dict[str, str]


def import_members(source: Source, *, consent_given: bool) -> ImportResult:
    """Validate a member CSV and, when every row is good, create the members; caller commits.

    With ``consent_given`` (consent on paper or by phone) members are active at once with
    an "import" consent; otherwise they are pending and each is mailed a confirmation link,
    as if they had joined on the web. Error reasons are translated in the current locale.
    """
    try:
        table = read_csv(source)
    except UnreadableCsv as unreadable:
        return ImportResult(unreadable.errors)
    attributes = load_attributes()
    columns, errors = _match_columns(table.header, attributes)
    if errors:
        return ImportResult(errors)
    rows, errors = _validate(table.rows, columns, category_indexes(attributes))
    errors.extend(_already_in_panel(rows))
    if errors:
        return ImportResult(sorted(errors))
    _create(rows, consent_given)
    current_app.logger.info("imported %s members (consent given: %s)", len(rows), consent_given)
    return ImportResult(created=len(rows))


def _match_columns(
    header: Sequence[str], attributes: Sequence[Attribute]
) -> tuple[dict[str, int], list[RowError]]:
    """Column index per fixed name or attribute key; header problems are errors on line 1."""
    columns: dict[str, int] = {}
    errors: list[RowError] = []
    for position, name in enumerate(header):
        key = next((k for k, names in FIXED_COLUMNS.items() if name.casefold() in names), None)
        if key is None:
            attribute = attribute_for_header(name, attributes)
            if attribute is not None and attribute.kind is AttributeKind.AGE_BAND:
                errors.append(
                    (
                        1,
                        _(
                            "Remove the column “%(name)s”: the age comes from the birth year.",
                            name=name,
                        ),
                    )
                )
                continue
            key = attribute.key if attribute is not None else None
        if key is None:
            errors.append((1, _("Unknown column “%(name)s”.", name=name)))
        elif key in columns:
            errors.append((1, _("Column “%(name)s” appears twice.", name=name)))
        else:
            columns[key] = position
    for key, label in (("email", _("e-mail")), ("birth_year", _("birth year"))):
        if key not in columns:
            errors.append((1, _("The column “%(name)s” is missing.", name=label)))
    for attribute in attributes:
        required = attribute.required and attribute.kind is AttributeKind.CATEGORY
        if required and attribute.key not in columns:
            errors.append((1, _("The column “%(name)s” is missing.", name=attribute.key)))
    return columns, errors


def _validate(
    rows: Sequence[tuple[int, list[str]]],
    columns: dict[str, int],
    indexes: Sequence[CategoryIndex],
) -> tuple[list[_Row], list[RowError]]:
    good: list[_Row] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    labels = {index.attribute.key: index.attribute.label(current_language()) for index in indexes}
    checked = [i for i in indexes if i.attribute.kind is AttributeKind.CATEGORY]
    year = utcnow().year

    def cell(cells: list[str], key: str) -> str:
        position = columns.get(key)
        return cells[position].strip() if position is not None and position < len(cells) else ""

    for line, cells in rows:
        problems: list[str] = []
        if len(cells) != len(columns):
            problems.append(_("Expected %(n)d columns, found %(m)d.", n=len(columns), m=len(cells)))
        email = cell(cells, "email").lower()
        if not email:
            problems.append(_("The e-mail is missing."))
        elif not _valid_email(email):
            problems.append(_("“%(email)s” is not a valid e-mail address.", email=email))
        elif email in first_line:
            problems.append(
                _("%(email)s is also on line %(line)d.", email=email, line=first_line[email])
            )
        else:
            first_line[email] = line
        raw_year = cell(cells, "birth_year")
        birth_year = int(raw_year) if re.fullmatch(r"\d{4}", raw_year) else None
        if birth_year is None:
            problems.append(_("The birth year “%(value)s” is not a year.", value=raw_year))
        elif not MIN_AGE <= age_on(birth_year) <= MAX_AGE:
            problems.append(
                _(
                    "Age %(age)d is outside %(low)d–%(high)d.",
                    age=year - birth_year,
                    low=MIN_AGE,
                    high=MAX_AGE,
                )
            )
        values = {i.attribute.key: cell(cells, i.attribute.key) for i in checked}
        clean, bad = validate_attributes(values, checked)
        for key, reason in bad.items():
            label = labels.get(key, key)
            if reason == "missing":
                problems.append(_("%(attribute)s is missing.", attribute=label))
            else:
                problems.append(
                    _(
                        "“%(value)s” is not a known value for %(attribute)s.",
                        value=values[key],
                        attribute=label,
                    )
                )
        language = cell(cells, "language").lower() or "da"
        if language not in current_app.config["LANGUAGES"]:
            problems.append(_("Unknown language “%(value)s” (use da or en).", value=language))
        name = cell(cells, "name") or None
        if name is not None and len(name) > 200:
            problems.append(_("The name is longer than 200 characters."))
        if problems:
            errors.append((line, " ".join(problems)))
        elif birth_year is not None:
            good.append(_Row(line, email, name, language, birth_year, clean))
    return good, errors


def _valid_email(email: str) -> bool:
    """A plain ASCII address passes a quick pattern; anything else (e.g. æøå) goes to
    email-validator, the check the join form uses, which costs 60 µs an address."""
    if len(email) <= 254 and PLAIN_EMAIL.fullmatch(email) and ".." not in email:
        return True
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _already_in_panel(rows: Sequence[_Row]) -> list[RowError]:
    """Addresses that already belong to a member, looked up a thousand at a time."""
    errors = []
    for start in range(0, len(rows), 1000):
        batch = {row.email: row.line for row in rows[start : start + 1000]}
        taken = db.session.scalars(
            select(MemberContact.email).where(MemberContact.email.in_(list(batch)))
        )
        for email in taken:
            errors.append((batch[email], _("%(email)s is already in the panel.", email=email)))
    return errors


def _create(rows: Sequence[_Row], consent_given: bool) -> None:
    now = utcnow()
    expires = add_years(now, current_app.config["CONSENT_YEARS"])
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        ids = bulk_insert(
            Member,
            [
                {
                    "status": MemberStatus.ACTIVE if consent_given else MemberStatus.PENDING,
                    "language": row.language,
                    "birth_year": row.birth_year,
                    "attributes": row.attributes,
                    "source": "import",
                    "synthetic": False,
                    "joined_at": now,
                    "confirmed_at": now if consent_given else None,
                    "consent_expires_at": expires if consent_given else None,
                    "profile_checked_at": now if consent_given else None,
                }
                for row in batch
            ],
        )
        bulk_insert(
            MemberContact,
            [
                {"member_id": id_, "email": row.email, "name": row.name}
                for id_, row in zip(ids, batch, strict=True)
            ],
        )
        if consent_given:
            # one INSERT ... SELECT: a parameter set per row costs 4x as much on PostgreSQL
            db.session.execute(
                insert(Consent).from_select(
                    ["member_id", "text_version", "given_at", "expires_at", "source"],
                    select(
                        Member.id,
                        literal(CONSENT_VERSION, String),
                        literal(now, DateTime),
                        literal(expires, DateTime),
                        literal("import", String),
                    ).where(Member.id.in_(ids)),
                )
            )
        else:
            _send_confirmations(ids)


def _send_confirmations(ids: Sequence[int]) -> None:
    """The confirmation mail a member who joins on the web gets."""
    members = db.session.scalars(
        select(Member).where(Member.id.in_(ids)).options(selectinload(Member.contact))
    )
    for member in members:
        send_confirmation(member)


def export_members(batch: int = 2000) -> Iterator[str]:
    """The whole panel as CSV text, yielded in chunks while the rows stream from the database."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["id", "status", "email", "name", "birth_year", "attributes", "joined", "confirmed", "left"]
    )
    query = (
        select(
            Member.id,
            Member.status,
            MemberContact.email,
            MemberContact.name,
            Member.birth_year,
            type_coerce(Member.attributes, Text),
            Member.joined_at,
            Member.confirmed_at,
            Member.left_at,
        )
        .outerjoin(MemberContact)
        .order_by(Member.id)
        .execution_options(yield_per=batch)
    )
    for n, row in enumerate(db.session.execute(query), start=1):
        writer.writerow(
            [
                row[0],
                row[1].value,
                safe_cell(row[2] or ""),
                safe_cell(row[3] or ""),
                row[4],
                row[5],
                *(_date(value) for value in row[6:]),
            ]
        )
        if n % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _date(value: Any) -> str:
    return value.date().isoformat() if value is not None else ""
