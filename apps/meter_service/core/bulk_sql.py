"""Insert many plain rows fast: multi-row INSERT statements on MariaDB, executemany elsewhere.

For bulk loads (seed_scale, the dashboards' roll-up build) of hundreds of thousands of rows,
where Django's bulk_create spends most of its time compiling each value through its field.
The values must be what the database stores already (numbers, text, None, and what the
backend's adapters made of dates); the server still checks every constraint and foreign key.
"""

from __future__ import annotations

import datetime
import queue
import threading
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

# MariaDB: statements of up to this many bytes (its max_allowed_packet is 16 MB by default;
# the driver's own executemany stops at 64 KB, a round trip and a parse every few hundred rows).
MAX_STATEMENT_BYTES = 1 << 20
EXECUTEMANY_ROWS = 1000


def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT the rows (values in `columns` order) into `table`, on this thread's connection."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            for statement in insert_statements(table, columns, rows):
                cursor.execute(statement.decode())
            return
        sql = _head(table, columns) + f"({', '.join(['%s'] * len(columns))})"
        for start in range(0, len(rows), EXECUTEMANY_ROWS):
            cursor.executemany(sql, rows[start : start + EXECUTEMANY_ROWS])


def _converter(field: models.Field) -> Callable[[Any], Any] | None:
    """What the field's get_db_prep_save makes of a value of its type, without its checks
    (None: stored as it is: text, numbers, flags)."""
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        digits, places = field.max_digits, field.decimal_places
        return lambda value: ops.adapt_decimalfield_value(value, digits, places)
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    if isinstance(field, models.CharField | models.IntegerField | models.BooleanField):
        return None
    if isinstance(field, models.ForeignKey) and isinstance(
        field.target_field, models.AutoField | models.IntegerField
    ):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def insert_objects(objects: Sequence[models.Model]) -> None:
    """INSERT new, unsaved instances of one model (auto ids given by the database, not read
    back), as bulk_create would store them: each concrete field by its attribute, the
    auto_now and auto_now_add fields set to one time for all (on the objects too). For a
    model whose fields have no other pre_save; the caller has checked the objects."""
    if not objects:
        return
    meta = type(objects[0])._meta
    fields = [
        f for f in meta.concrete_fields if not (f.primary_key and isinstance(f, models.AutoField))
    ]
    now = timezone.now()
    # (attribute, its stamp or None, then the stamp as stored or the value's converter)
    plan: list[tuple[str, Any, Any]] = []
    for f in fields:
        convert = _converter(f)
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            # As their pre_save, once: a DateField's today, a DateTimeField's now.
            value = now if isinstance(f, models.DateTimeField) else datetime.date.today()
            plan.append((f.attname, value, convert(value) if convert else value))
        else:
            plan.append((f.attname, None, convert))
    rows = []
    for obj in objects:
        values = []
        for attname, stamp, convert in plan:
            if stamp is not None:
                setattr(obj, attname, stamp)
                values.append(convert)  # the stamp as stored
                continue
            value = getattr(obj, attname)
            if value is not None and convert is not None:
                value = convert(value)
            values.append(value)
        rows.append(values)
    insert_rows(meta.db_table, [f.column for f in fields], rows)


def adapted_now() -> tuple[datetime.datetime, Any]:
    """The time now, and as the backend stores a DateTimeField (one call for many rows)."""
    now = timezone.now()
    return now, connection.ops.adapt_datetimefield_value(now)


def insert_statements(
    table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[bytes]:
    """The multi-row INSERT statements of insert_rows on MariaDB (also for a BackgroundWriter):
    each value quoted by the driver (mysqlclient's string_literal for text, its literal for
    the rest); integers, flags and NULL are written directly, as a million-claim load quotes
    some 250 million values."""
    if not rows:
        return []
    quote = value_quoter()
    quoted = [b"(" + b",".join([quote(value) for value in values]) + b")" for values in rows]
    return joined_statements(table, columns, quoted)


def joined_statements(table: str, columns: Sequence[str], rows: Sequence[bytes]) -> list[bytes]:
    """Multi-row INSERT statements on MariaDB of rows quoted already (each `(v1,v2,...)`,
    see value_quoter), each statement of at most MAX_STATEMENT_BYTES."""
    start = _head(table, columns).encode()
    statements: list[bytes] = []
    statement: list[bytes] = []
    size = len(start)
    for row in rows:
        if statement and size + len(row) + 1 > MAX_STATEMENT_BYTES:
            statements.append(start + b",".join(statement))
            statement, size = [], len(start)
        statement.append(row)
        size += len(row) + 1
    if statement:
        statements.append(start + b",".join(statement))
    return statements


def _head(table: str, columns: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    return f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES "


def value_quoter() -> Callable[[Any], bytes]:
    """A function writing one value as MariaDB SQL (insert_statements writes each so), bound
    to this thread's connection (looked up once: the lookup costs more than the quoting)."""
    connection.ensure_connection()
    raw = connection.connection
    string_literal, literal = raw.string_literal, raw.literal

    def quote(value: Any) -> bytes:
        kind = type(value)
        if value is None:
            return b"NULL"
        if kind is int:
            return b"%d" % value
        if kind is str:
            return bytes(string_literal(value.encode()))
        if kind is bool:
            return b"1" if value else b"0"
        return bytes(literal(value))

    return quote


class BackgroundWriter:
    """Runs batches of statements on a thread of its own, one transaction a batch, while
    the caller builds the next batch: a bulk load on MariaDB keeps both cores busy (the
    client quoting values, the server inserting them) instead of taking turns.

    The thread has its own connection (Django's are per thread), so it sees only what is
    committed: use it outside any transaction. At most `depth` batches wait. The first
    error stops the writing (the batches after it are dropped) and is raised by the next
    submit() or by close(); the batches before it stay committed, as with one transaction
    a batch on the caller's connection.
    """

    def __init__(self, depth: int = 2) -> None:
        if connection.in_atomic_block:
            raise RuntimeError(
                "BackgroundWriter writes on its own connection: not in a transaction."
            )
        self._queue: queue.Queue[list[bytes] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="bulk-writer", daemon=True)
        self._thread.start()

    def submit(self, statements: list[bytes]) -> None:
        self._raise()
        self._queue.put(statements)

    def close(self) -> None:
        """Wait for the batches submitted; raise the writer's error, if any."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._raise()

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:  # the caller's own error is the one to see; the queued batches still finish
            self._queue.put(None)
            self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            while (batch := self._queue.get()) is not None:
                if self._error is not None:
                    continue  # drop it, but keep taking batches: submit() must not block
                try:
                    with transaction.atomic():
                        # The driver's own cursor: the statements are bytes, quoted already.
                        # (its errors raised as Django's, as a Django cursor's are).
                        cursor = connection.connection.cursor()
                        try:
                            with connection.wrap_database_errors:
                                for statement in batch:
                                    cursor.execute(statement)
                        finally:
                            cursor.close()
                except BaseException as exc:  # handed to the caller by submit() or close()
                    self._error = exc
        finally:
            connection.close()
