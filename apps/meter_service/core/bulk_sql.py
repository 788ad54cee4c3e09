"""Insert many plain rows fast: multi-row INSERT statements on MariaDB, executemany elsewhere.

For bulk loads (seed_scale, the dashboards' roll-up build) of hundreds of thousands of rows,
where Django's bulk_create spends most of its time compiling each value through its field.
The values must be what the database stores already (numbers, text, None, and what the
backend's adapters made of dates); the server still checks every constraint and foreign key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models

# MariaDB: statements of up to this many bytes (its max_allowed_packet is 16 MB by default;
# the driver's own executemany stops at 64 KB, a round trip and a parse every few hundred rows).
MAX_STATEMENT_BYTES = 1 << 20
EXECUTEMANY_ROWS = 1000


def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT the rows (values in `columns` order) into `table`, on this thread's connection."""
    if not rows:
        return
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES "
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            _multirow(cursor, head, rows)
            return
        sql = head + f"({', '.join(['%s'] * len(columns))})"
        for start in range(0, len(rows), EXECUTEMANY_ROWS):
            cursor.executemany(sql, rows[start : start + EXECUTEMANY_ROWS])


def _multirow(cursor: Any, head: str, rows: Sequence[Sequence[Any]]) -> None:
    """Multi-row statements, each value quoted by the driver (mysqlclient's string_literal for
    text, its literal for the rest); integers, flags and NULL are written directly, as a
    million-claim load quotes some 250 million values."""
    raw = connection.connection
    string_literal, literal = raw.string_literal, raw.literal
    start = head.encode()
    statement: list[bytes] = []
    size = len(start)
    for values in rows:
        parts = []
        for value in values:
            kind = type(value)
            if value is None:
                parts.append(b"NULL")
            elif kind is int:
                parts.append(b"%d" % value)
            elif kind is str:
                parts.append(string_literal(value.encode()))
            elif kind is bool:
                parts.append(b"1" if value else b"0")
            else:
                parts.append(literal(value))
        row = b"(" + b",".join(parts) + b")"
        if statement and size + len(row) + 1 > MAX_STATEMENT_BYTES:
            cursor.execute((start + b",".join(statement)).decode())
            statement, size = [], len(start)
        statement.append(row)
        size += len(row) + 1
    if statement:
        cursor.execute((start + b",".join(statement)).decode())


def insert_objects(objects: Sequence[models.Model]) -> None:
    """INSERT unsaved model instances of one model, as bulk_create would, without compiling
    each value through the query compiler (most of the cost of a few rows).

    Each concrete field's pre_save (auto_now_add...) and get_db_prep_save run as in a save;
    like bulk_create, no signals are sent, and the primary keys are not set on the objects.
    For small batches on hot paths (the audit trail's events of one action).
    """
    if not objects:
        return
    meta = objects[0]._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    rows = [
        [field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in fields]
        for obj in objects
    ]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with connection.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(sql, rows[0])
        else:
            cursor.executemany(sql, rows)
