"""Bills files through the import: Jalali dates, Persian digits, all rows or none."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.bill.models import Bill
from apps.meter_service.doctype.import_batch import services
from apps.meter_service.doctype.import_batch.models import ImportStatus
from apps.meter_service.permissions import Role
from tests.doctype.bill.conftest import bill_data

COLUMNS = [
    "bill_id",
    "payment_id",
    "period_start",
    "period_end",
    "previous_reading",
    "current_reading",
    "volume_m3",
    "amount_rial",
    "is_estimated",
]


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def row(subscriber, *, jalali_start: str, jalali_end: str, period: int, **overrides) -> list[str]:
    data = bill_data(subscriber, period=period)
    values = {
        **{name: str(data[name]) for name in COLUMNS if name in data},
        "period_start": jalali_start,
        "period_end": jalali_end,
        "is_estimated": "خیر",
        **overrides,
    }
    return [to_persian_digits(values[name]) for name in COLUMNS]


def bills_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def run(capture, content: bytes, actor):
    with capture(execute=True):
        batch = services.import_batch_create(
            target="bill", uploaded_file=SimpleUploadedFile("bills.csv", content), actor=actor
        )
    batch.refresh_from_db()
    if batch.status == ImportStatus.VALID:
        with capture(execute=True):
            services.import_batch_start(batch=batch, actor=actor)
        batch.refresh_from_db()
    return batch


def test_a_bills_file_imports_and_again_changes_nothing(
    subscriber, make_user, django_capture_on_commit_callbacks
):
    manager = make_user(Role.SERVICE_MANAGER)
    content = bills_csv(
        [
            row(subscriber, jalali_start="1403/01/01", jalali_end="1403/03/01", period=1),
            row(subscriber, jalali_start="1403/03/01", jalali_end="1403/05/01", period=2),
        ]
    )
    batch = run(django_capture_on_commit_callbacks, content, manager)
    assert batch.status == ImportStatus.IMPORTED, batch.errors
    assert batch.created_rows == 2
    first = Bill.objects.order_by("period_start").first()
    assert first.period_start.isoformat() == "2024-03-20" and first.source == "import"
    assert first.climate_zone == subscriber.climate_zone

    again = run(django_capture_on_commit_callbacks, content, manager)
    assert again.status == ImportStatus.IMPORTED
    assert (again.created_rows, again.updated_rows) == (0, 2)
    assert Bill.objects.count() == 2


def test_one_bad_row_refuses_the_file_and_writes_nothing(
    subscriber, make_user, django_capture_on_commit_callbacks
):
    manager = make_user(Role.SERVICE_MANAGER)
    content = bills_csv(
        [
            row(subscriber, jalali_start="1403/01/01", jalali_end="1403/03/01", period=1),
            # overlaps the first row's period by a month
            row(subscriber, jalali_start="1403/02/01", jalali_end="1403/04/01", period=2),
            row(
                subscriber,
                jalali_start="1403/05/01",
                jalali_end="1403/07/01",
                period=3,
                volume_m3="7",
            ),
        ]
    )
    batch = run(django_capture_on_commit_callbacks, content, manager)
    assert batch.status == ImportStatus.INVALID
    assert [(e["row"], e["field"]) for e in batch.errors] == [
        (3, "period_start"),
        (4, "volume_m3"),
    ]
    assert "overlaps" in batch.errors[0]["messages"]["en"]
    assert batch.errors[1]["messages"]["fa"]
    assert Bill.objects.count() == 0
