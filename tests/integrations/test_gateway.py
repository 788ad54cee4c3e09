"""The gateway adapter against the fake ZarinPal over real HTTP: the whole protocol."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import translation

from apps.meter_service.integrations.gateway.adapter import (
    NETWORK_MESSAGE,
    GatewayError,
    get_gateway,
)
from tests.integrations.fakes import MERCHANT_ID, closed_port, http

CALLBACK = "http://testserver/pay/callback/"


def _request(amount: int = 1_635_000, **overrides):
    fields = {
        "amount_rial": amount,
        "callback_url": CALLBACK,
        "description": "هزینه آزمایش کنتور",
        "mobile": "09121234567",
        "order_id": "1234567890",
    }
    fields.update(overrides)
    return get_gateway().request_payment(**fields)


def _pay(fake, authority: str, *, button: str = "pay") -> dict[str, list[str]]:
    """Press a button on the payment page; return the query the payer is sent back with."""
    status, headers, _body = http(
        "POST", f"{fake.base_url}/pg/StartPay/{authority}", form={"action": button}
    )
    assert status == 302
    location = urlsplit(headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    return parse_qs(location.query)


def test_request_gives_an_authority_and_sends_rial(fake_gateway):
    # when
    answer = _request()
    # then
    assert len(answer.authority) == 36
    assert answer.authority.startswith("A")
    [stored] = fake_gateway.snapshot()
    assert stored["merchant_id"] == MERCHANT_ID
    assert stored["amount"] == 1_635_000
    assert stored["currency"] == "IRR"
    assert stored["metadata"] == {"mobile": "09121234567", "order_id": "1234567890"}
    assert get_gateway().start_pay_url(answer.authority) == (
        f"{fake_gateway.base_url}/pg/StartPay/{answer.authority}"
    )


def test_the_payment_page_is_persian_with_pay_and_cancel(fake_gateway):
    answer = _request()
    status, headers, body = http("GET", get_gateway().start_pay_url(answer.authority))
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert 'dir="rtl"' in body
    assert "پرداخت" in body
    assert "انصراف" in body
    assert "۱٬۶۳۵٬۰۰۰" in body


def test_pay_then_verify_is_100_then_101_with_the_same_reference(fake_gateway):
    answer = _request()
    query = _pay(fake_gateway, answer.authority)
    assert query == {"Authority": [answer.authority], "Status": ["OK"]}

    first = get_gateway().verify(amount_rial=1_635_000, authority=answer.authority)
    again = get_gateway().verify(amount_rial=1_635_000, authority=answer.authority)

    assert (first.code, first.verified, first.already_verified) == (100, True, False)
    assert first.ref_id.isdigit()
    assert first.card_pan == "502229******5995"
    assert (again.code, again.verified, again.already_verified) == (101, True, True)
    assert again.ref_id == first.ref_id


def test_cancel_sends_the_payer_back_with_nok_and_verify_refuses(fake_gateway):
    answer = _request()
    assert _pay(fake_gateway, answer.authority, button="cancel")["Status"] == ["NOK"]
    result = get_gateway().verify(amount_rial=1_635_000, authority=answer.authority)
    assert (result.code, result.verified) == (-51, False)


def test_verify_with_another_amount_is_refused(fake_gateway):
    answer = _request()
    _pay(fake_gateway, answer.authority)
    result = get_gateway().verify(amount_rial=1_000_000, authority=answer.authority)
    assert (result.code, result.verified) == (-50, False)
    assert "amounts" in result.message
    # the refusal settled nothing: the right amount still verifies
    assert get_gateway().verify(amount_rial=1_635_000, authority=answer.authority).code == 100


def test_verify_of_an_unknown_authority_is_refused(fake_gateway):
    result = get_gateway().verify(amount_rial=1_635_000, authority="A" + "9" * 35)
    assert (result.code, result.verified) == (-54, False)


def test_a_request_below_the_minimum_is_a_gateway_error_with_its_code(fake_gateway):
    with pytest.raises(GatewayError) as caught:
        _request(amount=500)
    assert caught.value.code == -9
    with translation.override("en"):
        assert str(caught.value) == "The payment gateway refused the request (code -9)."
    assert fake_gateway.snapshot() == []


def test_a_wrong_merchant_id_is_refused(fake_gateway, settings):
    settings.METER_GATEWAY = {**settings.METER_GATEWAY, "MERCHANT_ID": "short"}
    with pytest.raises(GatewayError) as caught:
        _request()
    assert caught.value.code == -9


def test_connection_refused_is_a_clear_error(settings):
    settings.METER_GATEWAY = {
        "BASE_URL": f"http://127.0.0.1:{closed_port()}",
        "MERCHANT_ID": MERCHANT_ID,
        "TIMEOUT": 2,
    }
    with pytest.raises(GatewayError) as caught:
        _request()
    assert caught.value.code is None
    assert caught.value.message == NETWORK_MESSAGE
    with translation.override("en"):
        assert str(caught.value) == (
            "The payment gateway could not be reached; please try again in a few minutes."
        )


def test_a_slow_gateway_times_out(fake_gateway, settings):
    settings.METER_GATEWAY = {**settings.METER_GATEWAY, "TIMEOUT": 0.3}
    fake_gateway.set_options(delay_seconds=2)
    started = time.monotonic()
    with pytest.raises(GatewayError) as caught:
        _request()
    assert time.monotonic() - started < 1.5
    assert caught.value.message == NETWORK_MESSAGE


def test_settings_are_read_when_the_client_is_made(settings):
    settings.METER_GATEWAY = {"BASE_URL": "http://127.0.0.1:1/", "MERCHANT_ID": "m", "TIMEOUT": 3}
    gateway = get_gateway()
    assert (gateway.base_url, gateway.merchant_id, gateway.timeout) == (
        "http://127.0.0.1:1",
        "m",
        3.0,
    )


def test_test_hooks_over_http(fake_gateway):
    answer = _request()
    status, _headers, body = http("GET", f"{fake_gateway.base_url}/_fake/gateway/payments")
    assert status == 200
    assert answer.authority in body

    hook = f"{fake_gateway.base_url}/_fake/gateway/pay/{answer.authority}?status=OK"
    status, _headers, body = http("POST", hook)
    assert status == 200
    assert "Status=OK" in body

    status, _headers, _body = http(
        "POST", f"{fake_gateway.base_url}/_fake/gateway/options", body={"verify_extra": {"x": 1}}
    )
    assert status == 200
    assert (
        get_gateway().verify(amount_rial=1_635_000, authority=answer.authority).raw["data"]["x"]
        == 1
    )

    status, _headers, _body = http("POST", f"{fake_gateway.base_url}/_fake/gateway/reset")
    assert (status, fake_gateway.snapshot()) == (200, [])
