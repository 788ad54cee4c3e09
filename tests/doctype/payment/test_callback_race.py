"""Two callbacks for one payment at the same moment, in two threads: one paid payment."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.claim.models import ClaimStatus
from apps.meter_service.doctype.payment import services
from apps.meter_service.doctype.payment.models import Payment, PaymentStatus
from tests.db_locks import retry_while_locked

CALLBACK = "http://testserver/pay/callback/"


@pytest.fixture
def no_jobs(monkeypatch):
    """Keep the claim's notification jobs out of this test (they would send SMS)."""
    sent = []
    monkeypatch.setattr(
        "apps.meter_service.doctype.outbox.services.outbox_add",
        lambda *args, **kwargs: sent.append(args),
    )
    return sent


def _settle(authority: str) -> Payment:
    """Call the callback service as a request would."""
    return retry_while_locked(
        lambda: services.payment_handle_callback(authority=authority, status="OK")
    )


@pytest.mark.django_db(transaction=True)
def test_racing_callbacks_record_one_payment(fake_gateway, make_claim, no_jobs):
    # given: a payment paid at the bank
    claim = make_claim()
    services.payment_start_gateway(claim=claim, callback_url=CALLBACK)
    payment = Payment.objects.get(claim=claim)
    fake_gateway.decide(payment.authority, paid=True)
    start = threading.Barrier(2)
    results, errors = [], []

    def callback() -> None:
        try:
            start.wait(timeout=5)
            results.append(_settle(payment.authority))
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    # when: both callbacks arrive together
    threads = [threading.Thread(target=callback) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then
    assert errors == []
    assert [r.pk for r in results] == [payment.pk, payment.pk]
    assert {r.status for r in results} == {PaymentStatus.PAID}
    assert Payment.objects.filter(claim=claim, status=PaymentStatus.PAID).count() == 1
    assert DocumentEvent.objects.filter(event_type="payment_paid").count() == 1
    assert DocumentEvent.objects.filter(event_type="claim_paid").count() == 1
    assert fake_gateway.snapshot()[0]["verify_calls"] == 1
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
