"""The shipped fixtures (roles, message texts, holidays, process version 1), loaded once per
test session and put back into each test's transaction with one INSERT a table.

`load_fixtures` runs services that look before they write (about 440 queries, half a second
on CI's two cores, more on MariaDB), and most tests need its rows. The rows it makes are
read once, in a transaction that is rolled back; a test then gets the same rows, same keys.
A transactional test's flush gives content types and permissions new keys; the next test
takes the snapshot again for them. When no snapshot can stand for the command, it runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext

# INSERT OR IGNORE (SQLite) and INSERT IGNORE (MariaDB): how Django adds many-to-many rows.
_INSERT = re.compile(r'^INSERT\s+(?:OR\s+\w+\s+|IGNORE\s+)?INTO\s+[`"]?(\w+)[`"]?', re.IGNORECASE)
_CHANGE = re.compile(r'^(?:UPDATE|DELETE FROM)\s+[`"]?(\w+)[`"]?', re.IGNORECASE)


@dataclass(frozen=True)
class Snapshot:
    tables: list[tuple[type[models.Model], list[models.Model]]]  # in the command's insert order
    permission_keys: tuple
    empty_before: frozenset[str]  # the tables that held no row before the command


def _permission_keys() -> tuple:
    return tuple(
        Permission.objects.order_by("pk").values_list(
            "pk", "codename", "content_type__app_label", "content_type__model"
        )
    )


def take() -> Snapshot | None:
    """Run the command in a rolled-back transaction and keep the rows it inserted; None when
    it also changed rows it did not make (a snapshot of inserts would not stand for it).

    An UPDATE or DELETE of a table that was empty before the command can only touch the
    command's own rows (activating process version 1 updates the row it just inserted), and
    the snapshot keeps those rows as they ended."""
    by_table = {
        m._meta.db_table: m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    }
    with transaction.atomic():
        keys_before = _permission_keys()  # the state the snapshot is put back onto
        before = {
            table: set(model._base_manager.values_list("pk", flat=True))
            for table, model in by_table.items()
        }
        with CaptureQueriesContext(connection) as queries:
            call_command("load_fixtures", verbosity=0)
        order: list[str] = []
        for query in queries.captured_queries:
            sql = query["sql"].lstrip()
            changed = _CHANGE.match(sql)
            if changed and (changed.group(1) not in by_table or before[changed.group(1)]):
                transaction.set_rollback(True)
                return None
            found = _INSERT.match(sql)
            if found and found.group(1) in by_table and found.group(1) not in order:
                order.append(found.group(1))
        tables = []
        for table in order:
            model = by_table[table]
            rows = list(model._base_manager.exclude(pk__in=before[table]).order_by("pk"))
            tables.append((model, rows))
        snapshot = Snapshot(
            tables=tables,
            permission_keys=keys_before,
            empty_before=frozenset(table for table in order if not before[table]),
        )
        transaction.set_rollback(True)
    return snapshot


# Snapshots taken again after a transactional test's flush, by the permission keys they fit.
_retaken: dict[tuple, Snapshot | None] = {}


def put_back(snapshot: Snapshot | None) -> None:
    """Give the current test the command's rows: from the snapshot when it still fits, else
    from one taken again for the keys the flush gave (once per flush, not once per test)."""
    keys = _permission_keys()
    if snapshot is None or keys != snapshot.permission_keys:
        if keys not in _retaken:
            _retaken.clear()  # the earlier keys are gone with the flush
            _retaken[keys] = take()
        snapshot = _retaken[keys]
    # A test that made some of these rows first (filing makes process version 1) gets the
    # command, which looks before it writes. Keys alone would not tell: MariaDB does not
    # give back the AUTO_INCREMENT values of rolled-back rows.
    fits = snapshot is not None and not any(
        model._base_manager.exists()
        if model._meta.db_table in snapshot.empty_before
        else model._base_manager.filter(pk__in=[row.pk for row in rows]).exists()
        for model, rows in snapshot.tables
    )
    if not fits or snapshot is None:
        call_command("load_fixtures", verbosity=0)
        return
    for model, rows in snapshot.tables:
        model._base_manager.bulk_create(rows, batch_size=500)
