"""The client's address behind the reverse proxy: rate limits key on each visitor, not on
the proxy (seven OTP requests for made-up numbers locked every subscriber out)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from apps.meter_service.core.client_address import client_ip, public_url


@pytest.fixture
def behind_proxy(settings):
    settings.METER_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.METER_TRUSTED_PROXIES = []
    assert client_ip(_request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_behind_trusted_proxies_the_nearest_untrusted_hop(behind_proxy):
    assert client_ip(_request("127.0.0.1", "198.51.100.7")) == "198.51.100.7"
    # A client's own X-Forwarded-For comes first; the proxies append what they saw.
    assert client_ip(_request("127.0.0.1", "1.2.3.4, 198.51.100.7, 10.1.2.3")) == "198.51.100.7"
    # A request that did not come through the proxy cannot choose its address.
    assert client_ip(_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"
    assert client_ip(_request("127.0.0.1", "not-an-address")) == "127.0.0.1"


def test_the_bank_callback_uses_the_public_url(settings):
    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1:8000")
    assert public_url(request, "/pay/callback/") == "http://127.0.0.1:8000/pay/callback/"
    settings.METER_PUBLIC_URL = "https://meter.example.ir"
    assert public_url(request, "/pay/callback/") == "https://meter.example.ir/pay/callback/"


@pytest.mark.django_db
def test_one_visitor_over_the_otp_limit_does_not_lock_out_another(
    behind_proxy, make_subscriber, settings
):
    """Sign-in codes asked for made-up numbers from one address, through the proxy."""
    from django.test import Client

    from apps.meter_service.doctype.otp.models import OtpChallenge

    limit = settings.METER_SERVICE["OTP_IP_MAX_PER_WINDOW"]
    subscribers = [make_subscriber() for _ in range(limit + 2)]
    attacker = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.66"}
    for target in subscribers[:-1]:
        Client().post("/portal/login/", {"identifier": target.subscription_number}, **attacker)
    assert OtpChallenge.objects.filter(requester_ip="198.51.100.66").count() == limit

    visitor = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.12"}
    number = subscribers[-1].subscription_number
    Client().post("/portal/login/", {"identifier": number}, **visitor)
    assert OtpChallenge.objects.filter(requester_ip="198.51.100.12").count() == 1
