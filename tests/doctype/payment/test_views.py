"""The whole online round trip through the Django views, with the fake gateway over HTTP."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.claim.models import ClaimStatus
from apps.meter_service.doctype.payment.models import Payment, PaymentStatus
from apps.meter_service.doctype.subscriber.services import subscriber_update
from apps.meter_service.permissions import Role
from tests.integrations.fakes import closed_port, http


@pytest.fixture
def owner(make_user, installed):
    """The installed subscriber's portal account."""
    user = make_user(Role.SUBSCRIBER)
    subscriber_update(subscriber=installed.subscriber, user=user)
    return user


def _start(client, claim):
    """Press "pay" on the claim's page; return the gateway URL the payer is sent to."""
    response = client.post(reverse("payment:start", args=[claim.tracking_code]))
    assert response.status_code == 302, response.content
    return response["Location"]


def _pay_at_the_bank(gateway_url: str, *, button: str = "pay") -> str:
    """Open the gateway's page over HTTP and press a button; return the callback's path."""
    status, _headers, page = http("GET", gateway_url)
    assert status == 200
    assert "پرداخت" in page and "انصراف" in page
    status, headers, _body = http("POST", gateway_url, form={"action": button})
    assert status == 302
    back = urlsplit(headers["Location"])
    assert back.netloc == "testserver"
    return f"{back.path}?{back.query}"


def test_the_owner_pays_online_and_returns_to_the_claim(client, owner, make_claim, fake_gateway):
    # given
    claim = make_claim()
    client.force_login(owner)
    # when
    gateway_url = _start(client, claim)
    assert gateway_url.startswith(f"{fake_gateway.base_url}/pg/StartPay/")
    callback = _pay_at_the_bank(gateway_url)
    response = client.get(callback)
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:claim_detail", args=[claim.tracking_code])
    payment = Payment.objects.get(claim=claim)
    assert payment.status == PaymentStatus.PAID
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    page = client.get(response["Location"])
    assert page.status_code == 200


def test_a_payer_without_a_session_sees_the_public_result(client, owner, make_claim, fake_gateway):
    claim = make_claim()
    client.force_login(owner)
    callback = _pay_at_the_bank(_start(client, claim))
    client.logout()  # the bank's redirect may come back without the session

    response = client.get(callback)

    payment = Payment.objects.get(claim=claim)
    assert response.status_code == 302
    assert response["Location"] == reverse("payment:result", args=[payment.authority])
    with_language = {"HTTP_ACCEPT_LANGUAGE": "en"}
    client.cookies["meter_language"] = "en"
    result = client.get(response["Location"], **with_language)
    text = result.content.decode()
    assert result.status_code == 200
    assert claim.tracking_code[:3] in text
    assert "The payment was received" in text
    assert claim.subscriber.name not in text
    assert claim.contact_mobile not in text


def test_a_replayed_callback_changes_nothing(client, owner, make_claim, fake_gateway):
    claim = make_claim()
    client.force_login(owner)
    callback = _pay_at_the_bank(_start(client, claim))
    client.get(callback)
    before = (Payment.objects.count(), DocumentEvent.objects.count())

    for _ in range(3):
        assert client.get(callback).status_code == 302

    assert (Payment.objects.count(), DocumentEvent.objects.count()) == before


def test_cancelling_at_the_bank_leaves_the_claim_unpaid(client, owner, make_claim, fake_gateway):
    claim = make_claim()
    client.force_login(owner)
    callback = _pay_at_the_bank(_start(client, claim), button="cancel")
    assert "Status=NOK" in callback

    response = client.get(callback)

    assert response.status_code == 302
    assert Payment.objects.get(claim=claim).status == PaymentStatus.FAILED
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AWAITING_PAYMENT


def test_an_unknown_callback_is_404(client, db):
    assert client.get("/pay/callback/?Authority=A123&Status=OK").status_code == 404
    assert client.get("/pay/callback/").status_code == 404


def test_the_gateway_down_at_the_callback_asks_to_retry(
    client, owner, make_claim, fake_gateway, settings
):
    claim = make_claim()
    client.force_login(owner)
    callback = _pay_at_the_bank(_start(client, claim))
    reachable = settings.METER_GATEWAY
    settings.METER_GATEWAY = {**reachable, "BASE_URL": f"http://127.0.0.1:{closed_port()}"}

    response = client.get(callback)

    assert response.status_code == 503
    assert Payment.objects.get(claim=claim).status == PaymentStatus.INITIATED
    settings.METER_GATEWAY = reachable
    assert client.get(callback).status_code == 302
    assert Payment.objects.get(claim=claim).status == PaymentStatus.PAID


def test_starting_needs_a_login_and_a_post(client, make_claim, fake_gateway):
    claim = make_claim()
    url = reverse("payment:start", args=[claim.tracking_code])
    response = client.post(url)
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert client.get(url).status_code == 405
    assert not Payment.objects.exists()


def test_someone_elses_claim_is_404(client, make_user, make_claim, fake_gateway):
    claim = make_claim()
    client.force_login(make_user(Role.SUBSCRIBER))  # a subscriber, not this one
    assert client.post(reverse("payment:start", args=[claim.tracking_code])).status_code == 404
    assert client.post(reverse("payment:start", args=["1234567890"])).status_code == 404
    assert not Payment.objects.exists()


def test_staff_may_start_a_payment_for_a_subscriber(client, make_user, make_claim, fake_gateway):
    claim = make_claim()
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    assert _start(client, claim).startswith(fake_gateway.base_url)


def test_the_gateway_down_at_start_shows_why_and_writes_nothing(
    client, owner, make_claim, settings
):
    claim = make_claim()
    client.force_login(owner)
    settings.METER_GATEWAY = {
        "BASE_URL": f"http://127.0.0.1:{closed_port()}",
        "MERCHANT_ID": "11111111-2222-4333-8444-555555555555",
        "TIMEOUT": 2,
    }
    response = client.post(reverse("payment:start", args=[claim.tracking_code]))
    assert response.status_code == 503
    assert not Payment.objects.exists()


def test_a_paid_claim_cannot_be_paid_again(client, owner, make_claim, fake_gateway):
    claim = make_claim(payment_method="next_bill")
    client.force_login(owner)
    response = client.post(reverse("payment:start", args=[claim.tracking_code]))
    assert response.status_code == 409
    assert fake_gateway.snapshot() == []
