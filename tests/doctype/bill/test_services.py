"""Bills from the billing system: idempotent by bill ID and payment ID, refused whole when wrong."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core.identifiers import (
    build_payment_id,
    to_persian_digits,
)
from apps.meter_service.doctype.bill.models import Bill
from apps.meter_service.doctype.bill.selectors import billed_periods, bills_of
from apps.meter_service.doctype.bill.services import bill_upsert
from tests.doctype.bill.conftest import bill_data, foreign_payment_id

pytestmark = pytest.mark.django_db
D = datetime.date


def written() -> tuple[int, int]:
    return Bill.objects.count(), DocumentEvent.objects.filter(
        event_type__startswith="bill_"
    ).count()


def refused(data: dict) -> ValidationError:
    before = written()
    with pytest.raises(ValidationError) as caught:
        bill_upsert(data=data, source="api")
    assert written() == before
    return caught.value


def test_created_then_unchanged_then_updated(subscriber):
    data = bill_data(subscriber)
    bill, result = bill_upsert(data=data, source="import")
    assert result == "created"
    assert (bill.subscriber, bill.tariff_group, bill.climate_zone) == (subscriber, "household", 2)
    assert (bill.source, bill.is_estimated, bill.days) == ("import", False, 60)

    again, result = bill_upsert(data=dict(data), source="import")
    assert (again.pk, result) == (bill.pk, "unchanged")
    assert written() == (1, 1)

    corrected = {**data, "amount_rial": 140_000, "is_estimated": True}
    again, result = bill_upsert(data=corrected, source="api")
    assert (again.pk, result) == (bill.pk, "updated")
    bill.refresh_from_db()
    assert (bill.amount_rial, bill.is_estimated, bill.source) == (140_000, True, "import")
    event = DocumentEvent.objects.get(event_type="bill_updated")
    assert event.parameters["changes"]["amount_rial"] == [136_620, 140_000]
    assert event.parameters["source"] == "api"


def test_persian_digits_and_leading_zeros_in_the_ids_are_accepted(subscriber):
    data = bill_data(subscriber)
    data["bill_id"] = to_persian_digits("0" + data["bill_id"])
    data["payment_id"] = to_persian_digits(data["payment_id"])
    bill, result = bill_upsert(data=data, source="import")
    assert result == "created"
    assert (bill.bill_id, bill.payment_id) == (
        subscriber.bill_id,
        bill_data(subscriber)["payment_id"],
    )


def test_a_wrong_check_digit_is_refused(subscriber):
    data = bill_data(subscriber)
    data["bill_id"] = data["bill_id"][:-1] + str((int(data["bill_id"][-1]) + 1) % 10)
    error = refused(data)
    assert error.error_dict["bill_id"][0].code == "bill_id_checksum"


def test_a_payment_id_of_another_bill_is_refused(subscriber, make_subscriber):
    other = make_subscriber()
    data = bill_data(subscriber, payment_id=foreign_payment_id(other.bill_id, subscriber.bill_id))
    error = refused(data)
    assert error.error_dict["payment_id"][0].code == "payment_id_mismatch"


def test_a_bill_id_of_no_subscriber_is_refused(subscriber):
    from apps.meter_service.core.identifiers import build_bill_id

    stranger = build_bill_id("9999999", "281", 3)
    data = bill_data(
        subscriber, bill_id=stranger, payment_id=build_payment_id(stranger, 136_000, 3, 1)
    )
    assert refused(data).error_dict["bill_id"][0].code == "no_subscriber"


def test_overlapping_periods_are_refused_but_touching_ones_are_not(subscriber):
    first, _ = bill_upsert(data=bill_data(subscriber), source="import")
    # the next period starts on the day the first ends: end is exclusive
    bill_upsert(data=bill_data(subscriber, start=first.period_end, period=2), source="import")
    overlapping = bill_data(
        subscriber, start=first.period_end - datetime.timedelta(days=1), period=3
    )
    error = refused(overlapping)
    assert error.error_dict["period_start"][0].code == "bill_period_overlap"


def test_the_volume_must_be_the_readings_difference(subscriber):
    error = refused(bill_data(subscriber, volume_m3=Decimal("119")))
    assert error.error_dict["volume_m3"][0].code == "volume_mismatch"
    # an estimated bill may differ
    bill, _ = bill_upsert(
        data=bill_data(subscriber, volume_m3=Decimal("119"), is_estimated=True), source="api"
    )
    assert bill.volume_m3 == Decimal("119")


def test_a_missing_volume_is_the_readings_difference(subscriber):
    data = bill_data(subscriber)
    del data["volume_m3"]
    bill, _ = bill_upsert(data=data, source="api")
    assert bill.volume_m3 == Decimal("120")


def test_readings_going_back_need_a_meter_change(subscriber):
    data = bill_data(subscriber, current_reading=Decimal("10"), volume_m3=Decimal("130"))
    refused(data)
    bill, _ = bill_upsert(data={**data, "meter_changed": True}, source="api")
    assert bill.meter_changed


def test_a_period_must_end_after_it_starts(subscriber):
    refused(bill_data(subscriber, days=0))
    refused(bill_data(subscriber, period_end="not a date"))


def test_billed_periods_in_order_for_the_correction(subscriber):
    starts = [D(2024, 7, 18), D(2024, 3, 20), D(2024, 5, 19)]
    bills = {}
    for number, start in enumerate(starts, start=1):
        bills[start], _ = bill_upsert(
            data=bill_data(subscriber, start=start, period=number), source="import"
        )
    periods = billed_periods(subscriber)
    assert [p.start for p in periods] == sorted(starts)
    assert [p.bill_id for p in periods] == [str(bills[s].pk) for s in sorted(starts)]
    assert periods[0].end == D(2024, 5, 19) and periods[0].days == 60
    assert (periods[0].volume_m3, periods[0].amount_rial) == (Decimal("120"), 136_620)
    assert [p.start for p in billed_periods(subscriber, until=D(2024, 5, 19))] == [D(2024, 3, 20)]
    assert list(bills_of(subscriber)) == [bills[s] for s in sorted(starts)]


def test_every_check_constraint_of_the_table_is_checked_before_a_batch_insert():
    from django.db.models import CheckConstraint

    from apps.meter_service.doctype.bill.services import TABLE_CHECKS

    checks = {c.name for c in Bill._meta.constraints if isinstance(c, CheckConstraint)}
    assert checks == set(TABLE_CHECKS)


def test_what_the_import_form_checks_is_at_least_what_the_model_checks():
    """The batched import leaves out the model's checks of FORM_CHECKED: the form's fields
    must refuse whatever the model's would."""
    from apps.meter_service.core import formfields
    from apps.meter_service.core.jalali import JalaliDateField
    from apps.meter_service.doctype.bill.forms import BillImportForm
    from apps.meter_service.doctype.bill.services import FORM_CHECKED
    from apps.meter_service.doctype.import_batch.forms import ImportBooleanField

    form_fields = BillImportForm.base_fields
    for name in FORM_CHECKED:
        model_field = Bill._meta.get_field(name)
        field = form_fields[name]
        if name == "bill_id":
            assert isinstance(field, formfields.BillIdField) and field.gas_only
        elif name == "payment_id":
            assert isinstance(field, formfields.PaymentIdField)
        elif model_field.get_internal_type() == "DecimalField":
            assert (field.max_digits, field.decimal_places) == (
                model_field.max_digits,
                model_field.decimal_places,
            )
            assert field.min_value is not None and field.min_value >= 0
            limits = [v.limit_value for v in model_field.validators if hasattr(v, "limit_value")]
            assert limits == [0]
        elif model_field.get_internal_type() == "DateField":
            assert isinstance(field, JalaliDateField)
        else:
            assert isinstance(field, ImportBooleanField)
        assert field.required or model_field.blank or model_field.has_default(), name


def test_the_import_form_refuses_a_payment_id_of_another_bill(subscriber, make_subscriber):
    from apps.meter_service.doctype.bill.forms import BillImportForm

    other = make_subscriber()
    data = {k: str(v) for k, v in bill_data(subscriber).items()}
    data["payment_id"] = foreign_payment_id(other.bill_id, subscriber.bill_id)
    form = BillImportForm(data=data)
    assert not form.is_valid()
    assert list(form.errors) == ["payment_id"]
