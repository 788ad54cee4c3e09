"""Fees added to the next gas bill: one charge per claim, exported to billing exactly once."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.claim.models import ClaimStatus
from apps.meter_service.doctype.payment import selectors, services
from apps.meter_service.doctype.payment.models import BillCharge
from apps.meter_service.permissions import Role


def _rows(csv_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_text)))


def test_filing_for_the_next_bill_creates_one_charge(make_claim):
    # when
    claim = make_claim(payment_method="next_bill")
    # then
    assert claim.status == ClaimStatus.PAID
    charge = BillCharge.objects.get(claim=claim)
    assert charge.bill_id == claim.subscriber.bill_id
    assert charge.amount_rial == claim.total_fee
    assert charge.exported_at is None
    assert services.bill_charge_for_claim(claim=claim).pk == charge.pk
    assert BillCharge.objects.count() == 1
    assert DocumentEvent.objects.filter(event_type="bill_charge_created").count() == 1


def test_a_claim_paid_otherwise_gets_no_charge(make_claim):
    claim = make_claim()
    assert not BillCharge.objects.exists()
    with pytest.raises(ValidationError) as caught:
        services.bill_charge_for_claim(claim=claim)
    assert caught.value.code == "not_next_bill"


def test_export_hands_each_charge_over_once(make_claim, make_user):
    # given
    claim = make_claim(payment_method="next_bill")
    officer = make_user(Role.BILLING_OFFICER)
    assert list(selectors.bill_charges_pending()) == [claim.bill_charge]
    # when
    batch_id, csv_text = services.bill_charges_export(actor=officer)
    again_batch, again_text = services.bill_charges_export(actor=officer)
    # then
    assert batch_id
    [row] = _rows(csv_text)
    assert list(row) == list(selectors.BILL_CHARGE_COLUMNS)
    assert row["bill_id"] == claim.subscriber.bill_id
    assert row["subscription_number"] == claim.subscriber.subscription_number
    assert row["tracking_code"] == claim.tracking_code
    assert int(row["amount_rial"]) == claim.total_fee
    assert row["description"]
    charge = BillCharge.objects.get(claim=claim)
    assert charge.exported_at is not None
    assert charge.export_batch == batch_id
    assert (again_batch, _rows(again_text)) == ("", [])
    assert again_text.strip() == ",".join(selectors.BILL_CHARGE_COLUMNS)
    assert not selectors.bill_charges_pending().exists()
    exported = DocumentEvent.objects.get(event_type="bill_charge_exported")
    assert (exported.actor, exported.parameters) == (officer, {"batch": batch_id})


def test_a_later_charge_goes_in_the_next_batch(make_claim, make_user, installed, make_meter):
    from apps.meter_service.doctype.meter.services import meter_install

    officer = make_user(Role.SYSTEM_ADMIN)
    make_claim(payment_method="next_bill")
    first_batch, _ = services.bill_charges_export(actor=officer)

    other = meter_install(
        subscriber=_another_subscriber(),
        meter=make_meter(),
        installed_on=installed.installed_on,
        initial_reading=installed.initial_reading,
    )
    second = make_claim(installation=other, payment_method="next_bill")
    second_batch, csv_text = services.bill_charges_export(actor=officer)

    assert second_batch and second_batch != first_batch
    assert [r["tracking_code"] for r in _rows(csv_text)] == [second.tracking_code]


def _another_subscriber():
    from apps.meter_service.doctype.subscriber.services import subscriber_create
    from tests.conftest import subscriber_fields

    return subscriber_create(**subscriber_fields())


@pytest.mark.parametrize(
    "role", [Role.SERVICE_DESK_CLERK, Role.SERVICE_MANAGER, Role.COUNTER_OFFICE_OPERATOR]
)
def test_only_billing_may_export(make_claim, make_user, role):
    make_claim(payment_method="next_bill")
    with pytest.raises(PermissionDenied):
        services.bill_charges_export(actor=make_user(role))
    assert selectors.bill_charges_pending().count() == 1
