"""Moving many rows in and out at once, as fast as each database allows.

The member import must take 100,000 rows in well under 30 s on both databases
(``bench/bench_panel.py``). On PostgreSQL a multi-row ``INSERT ... RETURNING`` spends most
of that time in the server; ``COPY`` of the same rows, with the ids drawn from the table's
sequence beforehand, is about five times faster. SQLite has no COPY; rows whose ids come
back are inserted with SQLAlchemy's batched ``INSERT ... RETURNING``, the others go to the
driver's ``executemany`` as plain tuples: for the 336,497 counts a wave of 100,000
respondents stores when it closes (``surveys.results.tally``), preparing each row's
parameters in SQLAlchemy took longer than SQLite took to store them.

Rows go to the database as given: a column they leave out gets the database's default,
not one computed in Python.

Out of the database, a million ids come fastest grouped: each group's ids as one
comma-separated text (``integer_list``), which numpy parses at once (``read_integer_lists``),
instead of a Python row per id. The wave's sampling frame and the counting of a closed wave
read their respondents so.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any, cast

import numpy as np
from psycopg import sql
from sqlalchemy import ColumnElement, Table, Text, column, func, insert, select
from sqlalchemy import cast as sql_cast
from sqlalchemy import table as sql_table
from sqlalchemy.orm import QueryableAttribute

from extensions import Base, db


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def next_ids(model: type[Base], count: int) -> list[int]:
    """Reserve ``count`` ids of ``model``'s table (PostgreSQL); they are never reused."""
    sequence = func.pg_get_serial_sequence(_table(model).name, "id")
    query = select(func.nextval(sequence)).select_from(func.generate_series(1, count))
    return list(db.session.scalars(query))


def bulk_insert(
    model: type[Base], rows: Sequence[dict[str, Any]], *, ids: bool = True
) -> list[int]:
    """Insert ``rows`` (dicts of column values, all with the same keys) into ``model``'s table.

    Returns the new ids in the order of ``rows`` when the table has an ``id`` sequence
    and the rows do not bring their own ids; otherwise an empty list. ``ids=False``: the
    caller needs none, and the table's default numbers the rows (on PostgreSQL, reserving
    them first costs a round trip with every id).
    """
    if not rows:
        return []
    bind = db.session.get_bind()
    table = _table(model)
    wants_ids = ids and "id" in table.c and "id" not in rows[0] and table.c.id.autoincrement
    if bind.dialect.name != "postgresql":
        if wants_ids:
            returning = insert(model).returning(table.c.id, sort_by_parameter_order=True)
            return list(db.session.scalars(returning, list(rows)))
        columns = list(rows[0])
        given = insert(sql_table(table.name, *map(column, columns)))  # these columns only
        statement = str(given.compile(dialect=bind.dialect))
        db.session.connection().exec_driver_sql(statement, _values(table, columns, rows))
        return []
    reserved: list[int] = []
    if wants_ids:
        reserved = next_ids(model, len(rows))
        rows = [{"id": id_, **row} for id_, row in zip(reserved, rows, strict=True)]
    columns = list(rows[0])
    copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    connection = db.session.connection().connection.driver_connection
    if connection is None:
        raise RuntimeError("no database connection to COPY through")
    with connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for values in _values(table, columns, rows):
            copy.write_row(values)
    return reserved


def _values(
    table: Table, columns: list[str], rows: Sequence[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """Each row's values in the order of ``columns``, as the driver takes them."""
    dialect = db.session.get_bind().dialect
    processors = [table.c[name].type.bind_processor(dialect) for name in columns]
    if any(processors):
        return [
            tuple(
                process(row[name]) if process else row[name]
                for name, process in zip(columns, processors, strict=True)
            )
            for row in rows
        ]
    if len(columns) == 1:
        return [(row[columns[0]],) for row in rows]
    pick = itemgetter(*columns)  # plain values: taken in C, row by row
    return [pick(row) for row in rows]


def integer_list(integers: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[str]:
    """An aggregate: the group's integers as one comma-separated text (``string_agg`` on
    PostgreSQL, ``group_concat`` on SQLite)."""
    return func.aggregate_strings(sql_cast(integers, Text), ",")


def read_integer_lists(lists: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """The integers of ``integer_list`` texts, all in one array in the order given, and
    how many each text held (an empty or missing text holds none)."""
    sizes = np.array([text.count(",") + 1 if text else 0 for text in lists], dtype=np.int64)
    joined = ",".join(text for text in lists if text)
    integers = np.fromstring(joined, dtype=np.int64, sep=",") if joined else np.zeros(0, np.int64)
    return integers, sizes
