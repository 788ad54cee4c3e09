"""Online payments: started with the gateway, settled by its callback, verified, once."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.claim.models import ClaimStatus
from apps.meter_service.doctype.claim.services import claim_expire_unpaid
from apps.meter_service.doctype.payment import services
from apps.meter_service.doctype.payment.models import Payment, PaymentStatus
from apps.meter_service.integrations.gateway.adapter import get_gateway
from apps.meter_service.permissions import Role
from tests.integrations.fakes import closed_port

CALLBACK = "http://testserver/pay/callback/"


def _start(claim) -> Payment:
    url = services.payment_start_gateway(claim=claim, callback_url=CALLBACK)
    payment = Payment.objects.get(claim=claim, status=PaymentStatus.INITIATED)
    assert url.endswith(f"/pg/StartPay/{payment.authority}")
    return payment


def _counts() -> tuple[int, int]:
    return Payment.objects.count(), DocumentEvent.objects.count()


def test_start_asks_for_the_claims_fee_and_stores_an_initiated_payment(fake_gateway, make_claim):
    # given
    claim = make_claim()
    # when
    url = services.payment_start_gateway(claim=claim, callback_url=CALLBACK)
    # then
    payment = Payment.objects.get(claim=claim)
    assert url == f"{fake_gateway.base_url}/pg/StartPay/{payment.authority}"
    assert (payment.status, payment.method, payment.amount_rial) == (
        PaymentStatus.INITIATED,
        "gateway",
        claim.total_fee,
    )
    [asked] = fake_gateway.snapshot()
    assert (asked["amount"], asked["currency"], asked["callback_url"]) == (
        claim.total_fee,
        "IRR",
        CALLBACK,
    )
    assert asked["metadata"]["order_id"] == claim.tracking_code
    assert DocumentEvent.objects.filter(event_type="payment_initiated").count() == 1


def test_start_refuses_a_claim_not_awaiting_payment(fake_gateway, make_claim):
    claim = make_claim(payment_method="next_bill")  # charged to the bill: paid at filing
    with pytest.raises(ValidationError) as caught:
        services.payment_start_gateway(claim=claim, callback_url=CALLBACK)
    assert caught.value.code == "not_payable"
    assert fake_gateway.snapshot() == []


def test_start_refuses_a_claim_to_be_paid_at_a_counter_office(
    fake_gateway, make_claim, make_office
):
    claim = make_claim(
        channel="counter_office", payment_method="counter_office", counter_office=make_office()
    )
    with pytest.raises(ValidationError) as caught:
        services.payment_start_gateway(claim=claim, callback_url=CALLBACK)
    assert caught.value.code == "wrong_payment_method"


def test_start_with_the_gateway_down_writes_nothing(settings, make_claim):
    claim = make_claim()
    settings.METER_GATEWAY = {
        "BASE_URL": f"http://127.0.0.1:{closed_port()}",
        "MERCHANT_ID": "11111111-2222-4333-8444-555555555555",
        "TIMEOUT": 2,
    }
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        services.payment_start_gateway(claim=claim, callback_url=CALLBACK)
    assert caught.value.code == "gateway_unavailable"
    assert _counts() == before


def test_callback_ok_verifies_and_pays_the_claim(fake_gateway, make_claim):
    # given
    claim = make_claim()
    payment = _start(claim)
    fake_gateway.decide(payment.authority, paid=True)
    # when
    settled = services.payment_handle_callback(authority=payment.authority, status="OK")
    # then
    assert settled.status == PaymentStatus.PAID
    assert settled.ref_id
    assert settled.card_pan == "502229******5995"
    assert settled.paid_at is not None
    assert settled.verify_response["data"]["code"] == 100
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    paid_event = DocumentEvent.objects.get(event_type="claim_paid", object_id=str(claim.pk))
    assert paid_event.parameters["reference"] == f"gateway:{settled.ref_id}"
    [at_gateway] = fake_gateway.snapshot()
    assert (at_gateway["state"], at_gateway["verify_calls"]) == ("verified", 1)


def test_a_replayed_callback_records_nothing_new(fake_gateway, make_claim):
    claim = make_claim()
    payment = _start(claim)
    fake_gateway.decide(payment.authority, paid=True)
    first = services.payment_handle_callback(authority=payment.authority, status="OK")
    before = _counts()

    again = services.payment_handle_callback(authority=payment.authority, status="OK")
    nok = services.payment_handle_callback(authority=payment.authority, status="NOK")

    assert again.pk == nok.pk == first.pk
    assert again.status == nok.status == PaymentStatus.PAID
    assert again.ref_id == first.ref_id
    assert _counts() == before
    assert fake_gateway.snapshot()[0]["verify_calls"] == 1  # not even asked again


def test_callback_nok_fails_and_the_claim_still_awaits_payment(fake_gateway, make_claim):
    claim = make_claim()
    payment = _start(claim)
    fake_gateway.decide(payment.authority, paid=False)

    settled = services.payment_handle_callback(authority=payment.authority, status="NOK")

    assert settled.status == PaymentStatus.FAILED
    assert settled.failure_reason
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AWAITING_PAYMENT
    assert fake_gateway.snapshot()[0]["verify_calls"] == 0
    # the subscriber may try again
    assert _start_again(claim).status == PaymentStatus.INITIATED


def _start_again(claim) -> Payment:
    services.payment_start_gateway(claim=claim, callback_url=CALLBACK)
    return Payment.objects.filter(claim=claim).order_by("-id").first()


def test_callback_ok_without_payment_at_the_bank_fails(fake_gateway, make_claim):
    claim = make_claim()
    payment = _start(claim)  # the payer never pressed "pay"
    settled = services.payment_handle_callback(authority=payment.authority, status="OK")
    assert settled.status == PaymentStatus.FAILED
    assert "-51" in settled.failure_reason or "۵۱" in settled.failure_reason
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AWAITING_PAYMENT


def test_a_verify_answer_with_another_amount_is_refused(fake_gateway, make_claim):
    claim = make_claim()
    payment = _start(claim)
    fake_gateway.decide(payment.authority, paid=True)
    fake_gateway.set_options(verify_extra={"amount": 1000})

    settled = services.payment_handle_callback(authority=payment.authority, status="OK")

    assert settled.status == PaymentStatus.FAILED
    assert settled.ref_id is None
    assert settled.verify_response["data"]["amount"] == 1000
    assert "۱٬۰۰۰" in settled.failure_reason  # Persian digits in a Persian sentence
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AWAITING_PAYMENT
    failed = DocumentEvent.objects.get(event_type="payment_failed")
    assert failed.parameters["code"] == "verify_mismatch"


def test_a_verify_answer_about_another_authority_is_refused(fake_gateway, make_claim):
    claim = make_claim()
    payment = _start(claim)
    fake_gateway.decide(payment.authority, paid=True)
    fake_gateway.set_options(verify_extra={"authority": "A" + "1" * 35})
    settled = services.payment_handle_callback(authority=payment.authority, status="OK")
    assert settled.status == PaymentStatus.FAILED
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AWAITING_PAYMENT


def test_a_tampered_stored_amount_is_refused_without_verifying(fake_gateway, make_claim):
    claim = make_claim()
    payment = _start(claim)
    fake_gateway.decide(payment.authority, paid=True)
    Payment.objects.filter(pk=payment.pk).update(amount_rial=1000)

    settled = services.payment_handle_callback(authority=payment.authority, status="OK")

    assert settled.status == PaymentStatus.FAILED
    assert fake_gateway.snapshot()[0]["verify_calls"] == 0
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AWAITING_PAYMENT


def test_the_gateway_refusing_our_amount_fails_the_payment(fake_gateway, make_claim):
    claim = make_claim()
    payment = _start(claim)
    fake_gateway.decide(payment.authority, paid=True)
    fake_gateway.payments[payment.authority]["amount"] = 1000  # paid less at the bank

    settled = services.payment_handle_callback(authority=payment.authority, status="OK")

    assert settled.status == PaymentStatus.FAILED
    assert settled.verify_response["errors"]["code"] == -50
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AWAITING_PAYMENT


def test_already_verified_101_counts_once(fake_gateway, make_claim):
    """A verify done before a crash (so never committed here) is answered 101 next time."""
    claim = make_claim()
    payment = _start(claim)
    fake_gateway.decide(payment.authority, paid=True)
    lost = get_gateway().verify(amount_rial=claim.total_fee, authority=payment.authority)
    assert lost.code == 100

    settled = services.payment_handle_callback(authority=payment.authority, status="OK")
    again = services.payment_handle_callback(authority=payment.authority, status="OK")

    assert settled.status == PaymentStatus.PAID
    assert settled.verify_response["data"]["code"] == 101
    assert settled.ref_id == lost.ref_id
    assert again.pk == settled.pk
    assert Payment.objects.filter(claim=claim, status=PaymentStatus.PAID).count() == 1
    assert DocumentEvent.objects.filter(event_type="claim_paid").count() == 1


def test_the_gateway_down_at_verify_writes_nothing_and_a_retry_pays(
    fake_gateway, make_claim, settings
):
    claim = make_claim()
    payment = _start(claim)
    fake_gateway.decide(payment.authority, paid=True)
    reachable = settings.METER_GATEWAY
    settings.METER_GATEWAY = {**reachable, "BASE_URL": f"http://127.0.0.1:{closed_port()}"}
    before = _counts()

    with pytest.raises(ValidationError) as caught:
        services.payment_handle_callback(authority=payment.authority, status="OK")

    assert caught.value.code == "gateway_unavailable"
    assert _counts() == before
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.INITIATED
    settings.METER_GATEWAY = reachable
    settled = services.payment_handle_callback(authority=payment.authority, status="OK")
    assert settled.status == PaymentStatus.PAID


def test_an_unknown_authority_is_refused(fake_gateway, db):
    with pytest.raises(ValidationError) as caught:
        services.payment_handle_callback(authority="A" + "0" * 35, status="OK")
    assert caught.value.code == "unknown_payment"
    with pytest.raises(ValidationError):
        services.payment_handle_callback(authority="", status="OK")


def test_an_online_payment_after_the_claim_is_paid_otherwise_is_never_verified(
    fake_gateway, make_claim, make_user
):
    # given: the subscriber started online, then paid at the service desk
    claim = make_claim()
    payment = _start(claim)
    fake_gateway.decide(payment.authority, paid=True)
    services.payment_record_in_person(claim=claim, actor=make_user(Role.SERVICE_DESK_CLERK))
    # when the bank's callback arrives
    late = services.payment_handle_callback(authority=payment.authority, status="OK")
    # then it is not verified, so the gateway returns the money
    assert late.status == PaymentStatus.CANCELLED
    assert fake_gateway.snapshot()[0]["verify_calls"] == 0
    assert Payment.objects.filter(claim=claim, status=PaymentStatus.PAID).count() == 1


def test_an_online_payment_for_an_expired_claim_is_never_verified(fake_gateway, make_claim):
    claim = make_claim()
    payment = _start(claim)
    fake_gateway.decide(payment.authority, paid=True)
    claim_expire_unpaid(now=timezone.now() + datetime.timedelta(days=30))

    late = services.payment_handle_callback(authority=payment.authority, status="OK")

    assert late.status == PaymentStatus.CANCELLED
    assert fake_gateway.snapshot()[0]["verify_calls"] == 0
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.EXPIRED


def test_two_online_payments_of_one_claim_pay_it_once(fake_gateway, make_claim):
    """Two tabs: both paid at the bank; the first callback pays, the second is not verified."""
    claim = make_claim()
    first, second = _start(claim), _start_again(claim)
    assert first.pk != second.pk
    for payment in (first, second):
        fake_gateway.decide(payment.authority, paid=True)

    one = services.payment_handle_callback(authority=first.authority, status="OK")
    two = services.payment_handle_callback(authority=second.authority, status="OK")

    assert (one.status, two.status) == (PaymentStatus.PAID, PaymentStatus.CANCELLED)
    assert Payment.objects.filter(claim=claim, status=PaymentStatus.PAID).count() == 1


def test_a_payment_whose_callback_never_came_is_settled_with_the_bank(
    fake_gateway, make_claim, install, settings
):
    """The payer paid and closed the browser, or the callback met a database outage: the
    payment stayed `initiated` and the claim unpaid although the bank had the money."""
    paid_claim, abandoned_claim = make_claim(), make_claim(install())
    paid, abandoned = _start(paid_claim), _start(abandoned_claim)
    fake_gateway.decide(paid.authority, paid=True)  # the bank took the money
    recent = _start(make_claim(install()))
    fake_gateway.decide(recent.authority, paid=True)
    old = timezone.now() - datetime.timedelta(minutes=45)
    Payment.objects.filter(pk__in=[paid.pk, abandoned.pk]).update(created_at=old)

    counts = services.payments_reconcile()

    paid.refresh_from_db(), abandoned.refresh_from_db(), recent.refresh_from_db()
    assert paid.status == PaymentStatus.PAID
    paid_claim.refresh_from_db()
    assert paid_claim.status == ClaimStatus.PAID
    assert abandoned.status == PaymentStatus.FAILED  # the bank returns an unverified payment
    assert recent.status == PaymentStatus.INITIATED  # the payer may still be at the bank
    assert counts["paid"] == 1 and counts["failed"] == 1
    assert services.payments_reconcile() == {"paid": 0, "failed": 0, "cancelled": 0, "left": 0}
