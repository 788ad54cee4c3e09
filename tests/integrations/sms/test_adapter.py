"""The Kavenegar adapter against the fake provider, over real HTTP."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import pytest

from apps.meter_service.integrations import fake
from apps.meter_service.integrations.sms import adapter
from apps.meter_service.integrations.sms.adapter import (
    KavenegarSms,
    SmsPermanentError,
    SmsTransientError,
    send_sms,
)
from apps.meter_service.integrations.sms.fake_server import sms_fake_app
from tests.integrations.sms_fake import API_KEY, SENDER

TEXT = "کد رهگیری شما: ۱۲۳-۴۵۶-۷۸۹۰"


def test_a_message_is_sent_and_stored_by_the_fake(fake_sms):
    receipt = send_sms(to="09121234567", body=TEXT)

    assert receipt.message_id.isdigit()
    assert receipt.status == 1
    assert receipt.status_text == "در صف ارسال"
    assert receipt.cost > 0
    [stored] = fake_sms.messages()
    assert stored["receptor"] == "09121234567"
    assert stored["sender"] == SENDER
    assert stored["message"] == TEXT
    assert str(stored["messageid"]) == receipt.message_id


def test_settings_are_read_at_each_call(fake_sms, settings):
    settings.METER_SMS = {**settings.METER_SMS, "API_KEY": "another-key"}

    with pytest.raises(SmsPermanentError) as caught:
        send_sms(to="09121234567", body=TEXT)

    assert caught.value.status == 403
    assert "another-key" not in str(caught.value)


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"to": "0912"}, 411),
        ({"to": "02112345678"}, 411),
        ({"body": "ب" * 269}, 413),
        ({"body": ""}, 400),
    ],
)
def test_refusals_are_permanent(fake_sms, change, status):
    fields = {"to": "09121234567", "body": TEXT, **change}

    with pytest.raises(SmsPermanentError) as caught:
        send_sms(**fields)

    assert caught.value.status == status
    assert not caught.value.retryable
    assert fake_sms.messages() == []


def test_a_sender_the_account_does_not_own_is_refused(fake_sms, settings):
    settings.METER_SMS = {**settings.METER_SMS, "SENDER": "3000123"}

    with pytest.raises(SmsPermanentError) as caught:
        send_sms(to="09121234567", body=TEXT)

    assert caught.value.status == 412


def test_low_credit_is_permanent(fake_sms):
    fake_sms.fail_next(1, status=418)

    with pytest.raises(SmsPermanentError) as caught:
        send_sms(to="09121234567", body=TEXT)

    assert caught.value.status == 418
    assert "اعتبار" in caught.value.detail


@pytest.mark.parametrize("status", [500, 502, 503, 409])
def test_outages_are_transient(fake_sms, status):
    fake_sms.fail_next(1, status=status)

    with pytest.raises(SmsTransientError) as caught:
        send_sms(to="09121234567", body=TEXT)

    assert caught.value.status == status
    assert caught.value.retryable
    # The failure was for one send only.
    assert send_sms(to="09121234567", body=TEXT).message_id


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_provider_is_transient():
    client = KavenegarSms(
        base_url=f"http://127.0.0.1:{_closed_port()}", api_key=API_KEY, sender=SENDER, timeout=2
    )

    with pytest.raises(SmsTransientError, match="unreachable"):
        client.send(to="09121234567", body=TEXT)


def test_a_provider_that_does_not_answer_times_out_as_transient():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the connection but never answers
        port = listener.getsockname()[1]
        client = KavenegarSms(
            base_url=f"http://127.0.0.1:{port}", api_key=API_KEY, sender=SENDER, timeout=0.3
        )

        with pytest.raises(SmsTransientError):
            client.send(to="09121234567", body=TEXT)


def test_a_repeated_local_id_is_not_sent_twice(fake_sms):
    first = send_sms(to="09121234567", body=TEXT, local_id=4242)
    again = send_sms(to="09121234567", body=TEXT, local_id=4242)
    other = send_sms(to="09121234567", body=TEXT, local_id=4243)

    assert again.message_id == first.message_id
    assert other.message_id != first.message_id
    assert len(fake_sms.messages()) == 2


def test_unreadable_answers():
    client = KavenegarSms(base_url="http://fake", api_key=API_KEY)

    with pytest.raises(SmsTransientError):
        client._receipt(200, b"<html>captive portal</html>")
    with pytest.raises(SmsTransientError):
        client._receipt(502, b"Bad Gateway")
    with pytest.raises(SmsPermanentError):
        client._receipt(404, b"Not Found")
    with pytest.raises(SmsTransientError):
        client._receipt(200, b'{"return": {"status": 200, "message": "ok"}, "entries": []}')
    with pytest.raises(SmsPermanentError) as caught:
        client._receipt(
            200,
            '{"return": {"status": 200}, "entries": [{"messageid": 1, "status": 14,'
            ' "statustext": "بلاک شده"}]}'.encode(),
        )
    assert caught.value.status == 14


def test_the_api_key_is_escaped_in_the_path(fake_sms, settings):
    settings.METER_SMS = {**settings.METER_SMS, "API_KEY": "a?b#c"}

    with pytest.raises(SmsPermanentError) as caught:
        send_sms(to="09121234567", body=TEXT)

    assert caught.value.status == 403  # it reached the send path: just a wrong key


def test_adapter_config_defaults_fill_gaps(settings):
    settings.METER_SMS = {"API_KEY": "k"}

    config = adapter.sms_config()

    # No provider by default: a site names one (the demo and the tests name the local fake).
    assert config["BASE_URL"] == ""
    assert config["TIMEOUT"] == 10
    assert not adapter.sms_configured(config)


# --- the fake's own hooks -----------------------------------------------------------------


def test_the_hooks_list_filter_and_reset(fake_sms):
    send_sms(to="09121234567", body="one")
    send_sms(to="+989351112233", body="two")

    assert [m["message"] for m in fake_sms.messages()] == ["one", "two"]
    assert [m["message"] for m in fake_sms.messages("۰۹۳۵۱۱۱۲۲۳۳")] == ["two"]
    assert fake_sms.messages()[1]["receptor"] == "09351112233"
    fake_sms.reset()
    assert fake_sms.messages() == []


def test_the_inbox_page_is_persian_and_escapes_text(fake_sms):
    send_sms(to="09121234567", body="کد ورود: ۴۸۲۹۱۰ <b>")
    send_sms(to="09351112233", body="پیام دیگر")

    page = fake_sms.inbox()
    only_one = fake_sms.inbox("09121234567")

    assert 'lang="fa" dir="rtl"' in page
    assert "صندوق پیامک آزمایشی" in page
    assert "کد ورود: ۴۸۲۹۱۰ &lt;b&gt;" in page
    assert "۰۹۱۲۱۲۳۴۵۶۷" in page
    assert page.index("پیام دیگر") < page.index("کد ورود: ۴۸۲۹۱۰")  # newest first
    assert "پیام دیگر" not in only_one


def test_unknown_paths_and_methods(sms_fake_server):
    base = sms_fake_server.base_url
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(base + "/v1/x/sms/nothing.json", timeout=5)
    assert caught.value.code == 404
    request = urllib.request.Request(f"{base}/v1/{API_KEY}/sms/send.json", method="PUT")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 405


def test_the_fake_is_registered_for_fake_providers():
    apps = fake.load_fakes()

    for prefix in ("/v1/", "/_fake/sms", "/sms/"):
        assert apps[prefix] is sms_fake_app


def test_the_registered_fake_follows_the_site_settings(settings):
    settings.METER_SMS = {
        **settings.METER_SMS,
        "API_KEY": "site-key",
        "SENDER": "500025194",
        "TIMEOUT": 5,
    }
    sms_fake_app.reset()
    server = fake.serve(fake.load_fakes())
    try:
        settings.METER_SMS = {**settings.METER_SMS, "BASE_URL": server.base_url}
        receipt = send_sms(to="09121234567", body=TEXT)
    finally:
        server.stop()

    assert [m["messageid"] for m in sms_fake_app.messages()] == [int(receipt.message_id)]
    sms_fake_app.reset()
