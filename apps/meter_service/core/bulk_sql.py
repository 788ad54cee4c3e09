"""Insert many plain rows fast: multi-row INSERT statements on MariaDB, executemany elsewhere.

For bulk loads (seed_scale, the dashboards' roll-up build) of hundreds of thousands of rows,
where Django's bulk_create spends most of its time compiling each value through its field.
The values must be what the database stores already (numbers, text, None, and what the
backend's adapters made of dates); the server still checks every constraint and foreign key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

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
