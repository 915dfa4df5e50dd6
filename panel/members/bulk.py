"""Inserting many rows at once, as fast as each database allows.

The member import must take 100,000 rows in well under 30 s on both databases
(``bench/bench_panel.py``). On PostgreSQL a multi-row ``INSERT ... RETURNING`` spends most
of that time in the server; ``COPY`` of the same rows, with the ids drawn from the table's
sequence beforehand, is about five times faster. SQLite has no COPY and is fast with
SQLAlchemy's batched inserts, so it keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from psycopg import sql
from sqlalchemy import Table, func, insert, select

from extensions import Base, db


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def next_ids(model: type[Base], count: int) -> list[int]:
    """Reserve ``count`` ids of ``model``'s table (PostgreSQL); they are never reused."""
    sequence = func.pg_get_serial_sequence(_table(model).name, "id")
    query = select(func.nextval(sequence)).select_from(func.generate_series(1, count))
    return list(db.session.scalars(query))


def bulk_insert(model: type[Base], rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (dicts of column values, all with the same keys) into ``model``'s table.

    Returns the new ids in the order of ``rows`` when the table has an ``id`` sequence
    and the rows do not bring their own ids; otherwise an empty list.
    """
    if not rows:
        return []
    bind = db.session.get_bind()
    table = _table(model)
    wants_ids = "id" in table.c and "id" not in rows[0] and table.c.id.autoincrement
    if bind.dialect.name != "postgresql":
        if wants_ids:
            returning = insert(model).returning(table.c.id, sort_by_parameter_order=True)
            return list(db.session.scalars(returning, list(rows)))
        db.session.execute(insert(model), list(rows))
        return []
    ids: list[int] = []
    if wants_ids:
        ids = next_ids(model, len(rows))
        rows = [{"id": id_, **row} for id_, row in zip(ids, rows, strict=True)]
    columns = list(rows[0])
    processors = [table.c[name].type.bind_processor(bind.dialect) for name in columns]
    copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    connection = db.session.connection().connection.driver_connection
    if connection is None:
        raise RuntimeError("no database connection to COPY through")
    with connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for row in rows:
            copy.write_row(
                [
                    process(row[name]) if process else row[name]
                    for name, process in zip(columns, processors, strict=True)
                ]
            )
    return ids
