"""core.bulk_sql: plain rows stored as the ORM stores them, in statements of bounded size."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from apps.meter_service.core import bulk_sql
from apps.meter_service.dashboards.models import DashboardDayFigure

COLUMNS = (
    "day",
    "office",
    "city",
    "kind",
    "key",
    "key2",
    "n",
    "n2",
    "n3",
    "n4",
    "n5",
    "total",
    "total2",
)


def _row(n: int, city: str) -> tuple:
    day = connection.ops.adapt_datefield_value(datetime.date(2025, 1, 1) + datetime.timedelta(n))
    return (day, n, city, "channel", f"k{n}", "", n * 3, 0, 0, 0, 0, 10**12 + n, -5)


def test_values_are_stored_as_given(db):
    awkward = 'قزوین\'s \\ "x" %s ۱۲۳'
    bulk_sql.insert_rows(DashboardDayFigure._meta.db_table, COLUMNS, [_row(1, awkward)])
    stored = DashboardDayFigure.objects.get()
    assert stored.city == awkward
    assert stored.day == datetime.date(2025, 1, 2)
    assert (stored.office, stored.n, stored.total) == (1, 3, 10**12 + 1)
    assert (stored.n2, stored.total2) == (0, -5)


def test_statements_are_bounded(db, monkeypatch):
    monkeypatch.setattr(bulk_sql, "MAX_STATEMENT_BYTES", 2000)
    monkeypatch.setattr(bulk_sql, "EXECUTEMANY_ROWS", 40)
    rows = [_row(n, "آبیک") for n in range(200)]
    with CaptureQueriesContext(connection) as queries:
        bulk_sql.insert_rows(DashboardDayFigure._meta.db_table, COLUMNS, rows)
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert 1 < len(inserts) < len(rows)  # several statements, not one a row
    if connection.vendor == "mysql":
        assert all(len(sql.encode()) <= 2000 for sql in inserts)
    assert DashboardDayFigure.objects.count() == 200
    assert sorted(DashboardDayFigure.objects.values_list("office", flat=True)) == list(range(200))


def test_the_background_writer_refuses_to_run_inside_a_transaction(db):
    # It writes on a connection of its own, which would not see this transaction's rows.
    with pytest.raises(RuntimeError):
        bulk_sql.BackgroundWriter()


@pytest.mark.skipif(connection.vendor != "mysql", reason="the statements are MariaDB's")
@pytest.mark.django_db(transaction=True)
def test_the_background_writer_commits_each_batch_and_hands_back_its_error():
    table = DashboardDayFigure._meta.db_table
    with bulk_sql.BackgroundWriter() as writer:
        for start in (0, 50):
            writer.submit(
                bulk_sql.insert_statements(
                    table, COLUMNS, [_row(n, "آبیک") for n in range(start, start + 50)]
                )
            )
    assert DashboardDayFigure.objects.count() == 100
    # A batch the database refuses (a key already there) is rolled back whole, the batches
    # after it are dropped, and its error reaches the caller.
    writer = bulk_sql.BackgroundWriter()
    fresh = bulk_sql.insert_statements(table, COLUMNS, [_row(200, "آوج")])
    again = bulk_sql.insert_statements(table, COLUMNS, [_row(300, "آوج"), _row(1, "آبیک")])
    writer.submit(again)
    with pytest.raises(IntegrityError):
        try:
            for _n in range(5):  # raised by a later submit, else by close
                writer.submit(fresh)
        finally:
            writer.close()
    assert DashboardDayFigure.objects.count() == 100
    assert not DashboardDayFigure.objects.filter(city="آوج").exists()
