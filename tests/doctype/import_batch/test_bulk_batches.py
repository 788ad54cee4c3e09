"""The import works in batches: bounded transactions and statements, the same results as the
row-by-row saves for good and bad rows, a progress that follows the committed rows, and a
partial import that says so."""

from __future__ import annotations

import csv
import dataclasses
import functools
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core import identifiers
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.bill.models import Bill
from apps.meter_service.doctype.import_batch import services, targets
from apps.meter_service.doctype.import_batch.models import ImportBatch, ImportStatus
from apps.meter_service.doctype.subscriber import rules as subscriber_rules
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.doctype.subscriber.services import subscriber_create
from apps.meter_service.permissions import Role
from tests.doctype.bill.conftest import bill_data

from .test_import import subscriber_csv, subscriber_row

BATCH = 10
# Stamped by each save: not compared between the two paths.
IGNORED = {"id", "created_at", "updated_at"}
FIRST = 41_000_000


@pytest.fixture(autouse=True)
def _small_batches(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(services, "IMPORT_BATCH_ROWS", BATCH)


@pytest.fixture
def uploader(make_user):
    return make_user(Role.SERVICE_MANAGER)


def _upload(target: str, content: bytes, actor) -> ImportBatch:
    """Store the file (the check job is queued, not run) and return the batch."""
    batch = services.import_batch_create(
        target=target, uploaded_file=SimpleUploadedFile(f"{target}.csv", content), actor=actor
    )
    return ImportBatch.objects.get(pk=batch.pk)


def _check(target: str, content: bytes, actor) -> ImportBatch:
    batch = _upload(target, content, actor)
    return services.import_batch_validate(batch_id=batch.pk)


def _row_by_row(monkeypatch, target: str) -> None:
    """The saves one row at a time through the services, as before the batches."""
    spec = targets.SPECS[target]
    monkeypatch.setitem(targets.SPECS, target, dataclasses.replace(spec, bulk=None))


def _outcome(batch: ImportBatch) -> tuple:
    return (
        batch.status,
        batch.created_rows,
        batch.updated_rows,
        [(e["row"], e["field"], e["messages"]) for e in batch.errors],
        batch.preview,
    )


# --- subscribers ----------------------------------------------------------------------------


def _subscriber_rows() -> list[dict]:
    """Good rows in Persian digits, and every kind of bad row, across several batches."""
    rows = [subscriber_row(FIRST + n) for n in range(25)]
    rows = [{k: to_persian_digits(v) for k, v in row.items()} for row in rows]
    rows[3]["national_id"] = "1234567890"  # a wrong check digit
    rows[7]["subscription_number"] = rows[2]["subscription_number"]  # twice in the file
    rows[12]["bill_id"] = rows[11]["bill_id"]  # a bill ID taken by the row before
    rows[15]["national_id"] = ""  # a citizen without a national ID
    rows[18]["customer_type"] = "نامعلوم"  # no such choice
    rows[21]["mobile"] = "123"
    return rows


def test_subscriber_check_gives_the_same_results_as_row_by_row(db, uploader, monkeypatch):
    # One existing subscriber the file updates, one whose bill ID a new row takes.
    subscriber_create(**subscriber_row(FIRST + 5, name="نام قدیم"))
    subscriber_create(**subscriber_row(FIRST + 900))
    rows = _subscriber_rows()
    rows[9]["bill_id"] = to_persian_digits(_bill_id(FIRST + 900))  # taken by the one above
    content = subscriber_csv(rows)
    in_batches = _check("subscriber", content, uploader)
    _row_by_row(monkeypatch, "subscriber")
    one_by_one = _check("subscriber", content, uploader)

    assert _outcome(in_batches) == _outcome(one_by_one)
    assert in_batches.status == ImportStatus.INVALID
    assert in_batches.updated_rows == 1
    assert in_batches.created_rows == 25 - 1 - 7
    rows_with_errors = sorted({e["row"] for e in in_batches.errors})
    assert rows_with_errors == [5, 9, 11, 14, 17, 20, 23]  # file rows (the header is row 1)
    assert Subscriber.objects.count() == 2  # a check writes nothing


def _bill_id(number: int) -> str:
    return identifiers.build_bill_id(number, "281", 3)


def test_subscriber_import_commits_batch_by_batch_with_bounded_statements(db, uploader):
    rows = [subscriber_row(FIRST + n) for n in range(35)]
    batch = _check("subscriber", subscriber_csv(rows), uploader)
    assert batch.status == ImportStatus.VALID, batch.errors
    services.import_batch_start(batch=batch, actor=uploader)
    with CaptureQueriesContext(connection) as queries:
        batch = services.import_batch_apply(batch_id=batch.pk)
    assert batch.status == ImportStatus.IMPORTED
    assert (batch.created_rows, batch.updated_rows, batch.processed_rows) == (35, 0, 35)
    assert Subscriber.objects.count() == 35
    sql = [q["sql"] for q in queries.captured_queries]
    inserts = [s for s in sql if s.startswith('INSERT INTO "meter_service_subscriber"')]
    inserts += [s for s in sql if s.startswith("INSERT INTO `meter_service_subscriber`")]
    batches = 4  # 35 rows, 10 a batch
    assert len(inserts) == batches  # one insert a batch, not one a row
    # Each batch: its lock of the import row, two reads of the keys, the insert, the
    # events' insert, the progress update, savepoints; not a statement per row.
    assert len(sql) <= batches * 12 + 10
    commits = sum(1 for s in sql if s.upper().startswith("COMMIT"))
    assert commits in (0, batches + 1) or commits >= batches


def test_apply_reports_progress_batch_by_batch(db, uploader, monkeypatch):
    reported: list[tuple[int, int]] = []
    real = services._report_progress

    def report(batch_id: int, processed: int, total: int) -> None:
        reported.append((processed, total))
        real(batch_id, processed, total)

    rows = [subscriber_row(FIRST + n) for n in range(25)]
    batch = _check("subscriber", subscriber_csv(rows), uploader)
    services.import_batch_start(batch=batch, actor=uploader)
    monkeypatch.setattr(services, "_report_progress", report)
    seen_in_batch: list[int] = []
    real_run = services._run_rows

    def run_rows(**kwargs):
        # The batch row holds the rows committed before this batch.
        seen_in_batch.append(ImportBatch.objects.get(pk=batch.pk).processed_rows)
        return real_run(**kwargs)

    monkeypatch.setattr(services, "_run_rows", run_rows)
    services.import_batch_apply(batch_id=batch.pk)
    assert seen_in_batch == [0, 10, 20]
    assert [p for p, _total in reported if p] == [10, 20, 25]
    assert all(total == 25 for _p, total in reported)


def test_a_row_refused_at_import_stops_it_and_says_what_was_imported(db, uploader, monkeypatch):
    # A site whose bill IDs do not hold the subscription number, so another subscriber
    # may take the bill ID of a row of the file.
    real_rule = subscriber_rules.rule_value
    monkeypatch.setattr(
        subscriber_rules,
        "rule_value",
        lambda key: False if key == "BILL_ID_CONTAINS_SUBSCRIPTION_NUMBER" else real_rule(key),
    )
    rows = [subscriber_row(FIRST + n) for n in range(25)]
    batch = _check("subscriber", subscriber_csv(rows), uploader)
    assert batch.status == ImportStatus.VALID, batch.errors
    services.import_batch_start(batch=batch, actor=uploader)
    # After the check, someone saves a subscriber with the bill ID of the file's 23rd row.
    subscriber_create(**subscriber_row(FIRST + 700, bill_id=rows[22]["bill_id"]))

    batch = services.import_batch_apply(batch_id=batch.pk)

    assert batch.status == ImportStatus.FAILED
    assert (batch.processed_rows, batch.created_rows) == (20, 20)
    assert Subscriber.objects.count() == 20 + 1  # and the one saved meanwhile
    assert batch.errors[0]["row"] is None
    assert batch.errors[0]["messages"]["en"].startswith("The first ۲۰ of the ۲۵ rows")
    assert "۲۰" in batch.errors[0]["messages"]["fa"]
    assert [e["row"] for e in batch.errors[1:]] == [24]
    assert batch.errors[1]["field"] == "bill_id"


def test_a_second_run_of_the_apply_changes_nothing(db, uploader):
    rows = [subscriber_row(FIRST + n) for n in range(15)]
    batch = _check("subscriber", subscriber_csv(rows), uploader)
    services.import_batch_start(batch=batch, actor=uploader)
    services.import_batch_apply(batch_id=batch.pk)
    again = services.import_batch_apply(batch_id=batch.pk)
    assert again.status == ImportStatus.IMPORTED
    assert again.created_rows == 15
    assert Subscriber.objects.count() == 15


# --- bills ----------------------------------------------------------------------------------

BILL_COLUMNS = [
    "bill_id",
    "payment_id",
    "period_start",
    "period_end",
    "previous_reading",
    "current_reading",
    "volume_m3",
    "amount_rial",
]


def _bill_line(subscriber, *, start: str, end: str, period: int, **overrides) -> list[str]:
    data = bill_data(subscriber, period=period)
    values = {
        **{name: str(data[name]) for name in BILL_COLUMNS if name in data},
        "period_start": start,
        "period_end": end,
        **overrides,
    }
    return [to_persian_digits(values[name]) for name in BILL_COLUMNS]


def _bills_csv(lines: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(BILL_COLUMNS)
    writer.writerows(lines)
    return buffer.getvalue().encode("utf-8-sig")


def test_bill_check_gives_the_same_results_as_row_by_row(make_subscriber, uploader, monkeypatch):
    subscribers = [make_subscriber() for _n in range(8)]
    first = subscribers[0]
    # A bill already there: the file sends it again with a corrected amount (an update).
    data = bill_data(first, period=1)
    from apps.meter_service.doctype.bill.services import bill_upsert

    bill_upsert(data={**data, "period_start": _d("1403/01/01"), "period_end": _d("1403/03/01")},
                source="import")  # fmt: skip
    lines = []
    for subscriber in subscribers:
        lines.append(_bill_line(subscriber, start="1403/03/01", end="1403/05/01", period=2))
        lines.append(_bill_line(subscriber, start="1403/05/01", end="1403/07/01", period=3))
    lines[0] = _bill_line(first, start="1403/01/01", end="1403/03/01", period=1, amount_rial="1")
    lines[3] = _bill_line(subscribers[1], start="1403/04/01", end="1403/06/01", period=4)
    lines[6][0] = "1234567890123"  # no such bill ID
    lines[9] = _bill_line(subscribers[4], start="1403/05/01", end="1403/07/01", period=5,
                          volume_m3="7")  # fmt: skip
    lines[12] = _bill_line(subscribers[6], start="1403/03/01", end="1403/02/01", period=6)
    lines.append(list(lines[14]))  # the same bill twice: the second changes nothing
    content = _bills_csv(lines)

    in_batches = _check("bill", content, uploader)
    _row_by_row(monkeypatch, "bill")
    one_by_one = _check("bill", content, uploader)

    assert _outcome(in_batches) == _outcome(one_by_one)
    assert in_batches.status == ImportStatus.INVALID
    assert sorted({e["row"] for e in in_batches.errors}) == [5, 8, 11, 14]
    assert Bill.objects.count() == 1


def _d(jalali: str):
    from apps.meter_service.core.jalali import parse_date

    return parse_date(jalali)


def test_bill_import_inserts_a_batch_at_once(make_subscriber, uploader):
    subscribers = [make_subscriber() for _n in range(25)]
    lines = [_bill_line(s, start="1403/01/01", end="1403/03/01", period=1) for s in subscribers]
    batch = _check("bill", _bills_csv(lines), uploader)
    assert batch.status == ImportStatus.VALID, batch.errors
    services.import_batch_start(batch=batch, actor=uploader)
    with CaptureQueriesContext(connection) as queries:
        batch = services.import_batch_apply(batch_id=batch.pk)
    assert batch.status == ImportStatus.IMPORTED
    assert Bill.objects.count() == 25
    sql = [q["sql"] for q in queries.captured_queries]
    inserts = [s for s in sql if "INTO" in s and "meter_service_bill" in s.split("(")[0]]
    assert len(inserts) == 3  # 25 rows, 10 a batch
    assert len(sql) <= 3 * 12 + 10


# Every column a bill file may have, for rows that the form passes and the model or the
# table refuses (the batched path leaves out the model checks the form made: bill services'
# FORM_CHECKED), and rows that pass both with every optional column given.
ALL_BILL_COLUMNS = [
    *BILL_COLUMNS,
    "tariff_group",
    "climate_zone",
    "is_estimated",
    "meter_changed",
    "issued_on",
]


def _full_line(subscriber, *, start: str, end: str, period: int, **overrides) -> list[str]:
    data = bill_data(subscriber, period=period)
    values = {
        **{name: str(data[name]) for name in BILL_COLUMNS if name in data},
        "period_start": start,
        "period_end": end,
        "tariff_group": "",
        "climate_zone": "",
        "is_estimated": "",
        "meter_changed": "",
        "issued_on": "",
        **overrides,
    }
    return [to_persian_digits(values[name]) for name in ALL_BILL_COLUMNS]


def _full_csv(lines: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ALL_BILL_COLUMNS)
    writer.writerows(lines)
    return buffer.getvalue().encode("utf-8-sig")


def test_bill_rows_the_form_passes_get_the_services_errors(make_subscriber, uploader, monkeypatch):
    subscribers = [make_subscriber() for _n in range(12)]
    line = functools.partial(_full_line, start="1403/01/01", end="1403/03/01", period=1)
    lines = [
        line(subscribers[0]),  # good, optional columns empty
        # good, every optional column given (an estimated volume, a meter change)
        line(
            subscribers[1],
            tariff_group="household",
            climate_zone="2",
            is_estimated="بله",
            volume_m3="50",
            issued_on="1403/03/05",
        ),
        line(
            subscribers[2],
            meter_changed="1",
            previous_reading="900",
            current_reading="30",
            volume_m3="400",
        ),
        # the amount beyond the model's upper bound (the form has none)
        line(subscribers[3], amount_rial=str(2**64)),
        # no volume, and the readings go down: the volume worked out is below zero
        line(subscribers[4], previous_reading="900", current_reading="800", volume_m3=""),
        # the readings go down and the meter was not changed (a check constraint)
        line(subscribers[5], previous_reading="900", current_reading="800", volume_m3="0"),
        # the period ends on its first day (a check constraint)
        line(subscribers[6], end="1403/01/01"),
        # a volume that is not the readings' difference
        line(subscribers[7], volume_m3="121"),
        line(subscribers[8], volume_m3=""),  # good: the volume worked out
        line(subscribers[9], climate_zone="9"),  # no such zone: the form's error
        line(subscribers[10], payment_id=bill_data(subscribers[11])["payment_id"]),
        line(subscribers[11], is_estimated="شاید"),  # the form's error
    ]
    content = _full_csv(lines)

    in_batches = _check("bill", content, uploader)
    _row_by_row(monkeypatch, "bill")
    one_by_one = _check("bill", content, uploader)

    assert _outcome(in_batches) == _outcome(one_by_one)
    assert sorted({e["row"] for e in in_batches.errors}) == [5, 6, 7, 8, 9, 11, 12, 13]
    assert in_batches.created_rows == 4
    assert Bill.objects.count() == 0


def test_bills_saved_in_batches_are_the_services_bills(make_subscriber, uploader, monkeypatch):
    """The rows and audit events the batched inserts write are those the service writes."""
    subscribers = [make_subscriber() for _n in range(12)]
    given = {"tariff_group": "household", "issued_on": "1403/03/02", "is_estimated": "1"}
    lines = [
        _full_line(s, start="1403/01/01", end="1403/03/01", period=1, **(given if n % 3 else {}))
        for n, s in enumerate(subscribers)
    ]
    content = _full_csv(lines)

    def imported() -> tuple[list, list]:
        batch = _check("bill", content, uploader)
        assert batch.status == ImportStatus.VALID, batch.errors
        services.import_batch_start(batch=batch, actor=uploader)
        batch = services.import_batch_apply(batch_id=batch.pk)
        assert batch.status == ImportStatus.IMPORTED
        bills = list(
            Bill.objects.order_by("payment_id").values(
                *[f.attname for f in Bill._meta.concrete_fields if f.attname not in IGNORED]
            )
        )
        events = DocumentEvent.objects.filter(event_type="bill_created").order_by("object_repr")
        for event in events:  # about the bill it names
            assert str(Bill.objects.get(pk=int(event.object_id))) == event.object_repr
        described = [(e.object_repr, e.actor_id, e.parameters, e.content_type_id) for e in events]
        return bills, described

    in_batches = imported()
    Bill.objects.all().delete()
    DocumentEvent.objects.filter(event_type="bill_created").delete()
    _row_by_row(monkeypatch, "bill")
    one_by_one = imported()
    assert len(in_batches[0]) == len(in_batches[1]) == 12
    assert in_batches == one_by_one
