"""Subscriber imports with custom field columns: named by the field's key, checked by the
same rules as the desk; a bad value makes the file invalid and nothing is written."""

from __future__ import annotations

import pytest

from apps.meter_service.doctype.custom_field.services import custom_field_create
from apps.meter_service.doctype.import_batch.models import ImportStatus
from apps.meter_service.doctype.import_batch.targets import SPECS
from apps.meter_service.doctype.subscriber.models import Subscriber
from tests.doctype.import_batch.test_import import (
    _jobs_and_files,  # noqa: F401  # the autouse fixture of those tests
    admin_user,  # noqa: F401
    csv_bytes,
    desk_user,  # noqa: F401
    role_groups,  # noqa: F401
    start,
    subscriber_row,
    upload,
    written_state,
)

pytestmark = pytest.mark.django_db

COLUMNS = ["subscription_number", "bill_id", "customer_type", "national_id", "name", "mobile"]
COLUMNS += ["city", "address"]


@pytest.fixture
def floors(db):
    return custom_field_create(
        actor=None,
        target="subscriber",
        key="floors",
        field_type="integer",
        label_fa="تعداد طبقه",
        label_en="Floors",
        max_value=40,
    )


def custom_csv(rows: list[dict]) -> bytes:
    header = [*COLUMNS, "floors"]
    return csv_bytes(header, [[row[c] for c in header] for row in rows])


def test_custom_fields_are_columns_of_the_subscriber_import(floors):
    names = [column.name for column in SPECS["subscriber"].columns]
    assert names[-1] == "floors"
    assert "floors" not in [column.name for column in SPECS["meter"].columns]


def test_custom_column_is_imported(admin_user, floors, django_capture_on_commit_callbacks):  # noqa: F811
    rows = [subscriber_row(1601, floors="۳"), subscriber_row(1602, floors="")]
    batch = upload(
        django_capture_on_commit_callbacks,
        target="subscriber",
        name="custom.csv",
        content=custom_csv(rows),
        actor=admin_user,
    )
    assert batch.status == ImportStatus.VALID, batch.errors
    batch = start(django_capture_on_commit_callbacks, batch, admin_user)
    assert batch.status == ImportStatus.IMPORTED, batch.errors
    stored = dict(Subscriber.objects.values_list("subscription_number", "custom_fields"))
    assert stored == {"1601": {"floors": 3}, "1602": {}}


def test_bad_custom_value_makes_the_file_invalid(
    admin_user,  # noqa: F811
    floors,
    django_capture_on_commit_callbacks,
):
    before = written_state()
    rows = [subscriber_row(1701, floors="2"), subscriber_row(1702, floors="۹۹")]
    batch = upload(
        django_capture_on_commit_callbacks,
        target="subscriber",
        name="bad.csv",
        content=custom_csv(rows),
        actor=admin_user,
    )
    assert batch.status == ImportStatus.INVALID
    assert [error["row"] for error in batch.errors] == [3]
    assert "Floors" in batch.errors[0]["messages"]["en"]
    assert "تعداد طبقه" in batch.errors[0]["messages"]["fa"]
    assert written_state() == before
