"""Fees taken in person: at the claim's own counter office, or at the service desk."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.claim.models import ClaimStatus
from apps.meter_service.doctype.counter_office.services import office_set_operators
from apps.meter_service.doctype.payment import services
from apps.meter_service.doctype.payment.models import Payment, PaymentStatus
from apps.meter_service.permissions import Role
from tests.conftest import OFFICE_FEE


@pytest.fixture
def office_claim(make_claim, make_office, make_user):
    """A claim filed at office X, with an operator of X and an operator of office Y."""
    office_x, office_y = make_office(), make_office()
    operator_x = make_user(Role.COUNTER_OFFICE_OPERATOR)
    operator_y = make_user(Role.COUNTER_OFFICE_OPERATOR)
    office_set_operators(office=office_x, users=[operator_x])
    office_set_operators(office=office_y, users=[operator_y])
    claim = make_claim(
        channel="counter_office", payment_method="counter_office", counter_office=office_x
    )
    return claim, operator_x, operator_y


def test_the_offices_own_operator_records_the_fee_with_the_office_fee(office_claim):
    # given
    claim, operator, _other = office_claim
    # when
    payment = services.payment_record_counter(claim=claim, actor=operator, receipt_number="۴۵۶۷")
    # then
    assert payment.status == PaymentStatus.PAID
    assert payment.method == "counter_office"
    assert payment.amount_rial == claim.total_fee
    assert claim.channel_fee == OFFICE_FEE
    assert payment.amount_rial == claim.test_fee + claim.vat + OFFICE_FEE
    assert payment.receipt_number == "4567"
    assert payment.recorded_by == operator
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    paid = DocumentEvent.objects.get(event_type="claim_paid", object_id=str(claim.pk))
    assert paid.actor == operator
    assert paid.parameters["reference"] == "counter_office:4567"


def test_another_offices_operator_is_refused_and_nothing_is_written(office_claim, make_user):
    claim, _operator, other = office_claim
    for outsider in (other, make_user(Role.SERVICE_DESK_CLERK), make_user(Role.SUBSCRIBER)):
        with pytest.raises(PermissionDenied):
            services.payment_record_counter(claim=claim, actor=outsider)
    assert not Payment.objects.filter(claim=claim).exists()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AWAITING_PAYMENT


def test_a_fee_is_recorded_once(office_claim):
    claim, operator, _other = office_claim
    services.payment_record_counter(claim=claim, actor=operator)
    with pytest.raises(ValidationError) as caught:
        services.payment_record_counter(claim=claim, actor=operator)
    assert caught.value.code == "not_payable"
    assert Payment.objects.filter(claim=claim).count() == 1


def test_the_service_desk_records_a_fee_in_person(make_claim, make_user):
    claim = make_claim(channel="in_person", payment_method="in_person")
    clerk = make_user(Role.SERVICE_DESK_CLERK)

    payment = services.payment_record_in_person(claim=claim, actor=clerk, receipt_number="R-12")

    assert (payment.status, payment.method, payment.amount_rial) == (
        PaymentStatus.PAID,
        "in_person",
        claim.total_fee,
    )
    assert payment.paid_at is not None
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID


@pytest.mark.parametrize(
    "role", [Role.TECHNICIAN, Role.BILLING_OFFICER, Role.COUNTER_OFFICE_OPERATOR, Role.SUBSCRIBER]
)
def test_only_desk_staff_take_fees_in_person(make_claim, make_user, role):
    claim = make_claim(channel="in_person", payment_method="in_person")
    with pytest.raises(PermissionDenied):
        services.payment_record_in_person(claim=claim, actor=make_user(role))
    assert not Payment.objects.exists()


def test_a_counter_office_claim_is_not_paid_at_the_desk(office_claim, make_user):
    claim, _operator, _other = office_claim
    with pytest.raises(ValidationError) as caught:
        services.payment_record_in_person(claim=claim, actor=make_user(Role.SERVICE_DESK_CLERK))
    assert caught.value.code == "wrong_payment_method"


def test_the_database_holds_at_most_one_paid_payment_per_claim(make_claim, make_user):
    claim = make_claim(channel="in_person", payment_method="in_person")
    services.payment_record_in_person(claim=claim, actor=make_user(Role.SERVICE_DESK_CLERK))
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            claim=claim, method="in_person", amount_rial=1, status="paid", is_paid=True
        )
    # failed and cancelled payments are not limited
    for number, status in enumerate(("failed", "cancelled", "failed")):
        Payment.objects.create(
            claim=claim, method="gateway", amount_rial=1, status=status, authority=f"A{number}"
        )


def test_the_paid_marker_follows_the_status(make_claim):
    claim = make_claim()
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(claim=claim, method="in_person", amount_rial=1, status="paid")
