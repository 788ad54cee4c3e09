"""The bank's callback while the database is out of reach: the payer reads, in Persian, that
the payment is being confirmed (never a 500, never English), and nothing is settled until
payments_reconcile asks the bank."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from apps.meter_service.doctype.claim.models import ClaimStatus
from apps.meter_service.doctype.payment.models import Payment, PaymentStatus
from apps.meter_service.doctype.payment.services import payments_reconcile
from apps.meter_service.doctype.subscriber.services import subscriber_update
from apps.meter_service.permissions import Role
from tests.doctype.payment.test_views import _pay_at_the_bank, _start

CONFIRMING_FA = "در حال تأیید پرداخت شما هستیم"


@contextmanager
def database_down():
    """Every query of this thread's connection fails as a lost MariaDB connection does."""

    def refuse(execute, sql, params, many, context):
        raise OperationalError(2013, "Lost connection to server during query")

    with connection.execute_wrapper(refuse):
        yield


@pytest.fixture
def owner(make_user, installed):
    user = make_user(Role.SUBSCRIBER)
    subscriber_update(subscriber=installed.subscriber, user=user)
    return user


@pytest.fixture
def browser(settings):
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def _assert_confirming_page(response) -> None:
    page = response.content.decode()
    assert response.status_code == 202, page[:500]
    assert response["Content-Type"].startswith("text/html")
    assert CONFIRMING_FA in page
    assert 'dir="rtl"' in page
    assert "We are confirming" not in page and "Server Error" not in page


@pytest.mark.parametrize("signed_in", [False, True], ids=["no-session", "owner-signed-in"])
def test_the_callback_during_an_outage_says_the_payment_is_being_confirmed(
    browser, owner, make_claim, fake_gateway, settings, signed_in
):
    # given: the payer paid at the bank
    settings.METER_SERVICE = {**settings.METER_SERVICE, "PAYMENT_RECONCILE_MINUTES": 0}
    claim = make_claim()
    browser.force_login(owner)
    callback = _pay_at_the_bank(_start(browser, claim))
    if not signed_in:
        browser.logout()
    # when: the bank sends the payer back while the database does not answer (with a
    # session, the middleware meets the outage before the view does)
    with database_down():
        response = browser.get(callback)
    # then
    _assert_confirming_page(response)
    payment = Payment.objects.get(claim=claim)
    assert payment.status == PaymentStatus.INITIATED
    # and the reconciling job settles it once, as the callback would have
    assert payments_reconcile()["paid"] == 1
    assert payments_reconcile()["paid"] == 0
    payment.refresh_from_db()
    claim.refresh_from_db()
    assert (payment.status, claim.status) == (PaymentStatus.PAID, ClaimStatus.PAID)
    assert Payment.objects.filter(claim=claim, status=PaymentStatus.PAID).count() == 1
    result = browser.get(reverse("payment:result", args=[payment.authority]))
    assert result.status_code == 200


def test_other_pages_answer_a_persian_503_during_an_outage(browser, owner):
    browser.force_login(owner)
    with database_down():
        response = browser.get("/portal/")
    page = response.content.decode()
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "سامانه لحظه‌ای در دسترس نیست" in page and "Server Error" not in page
