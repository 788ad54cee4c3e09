"""The public status lookup: tracking code + last four digits of the mobile, no login."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import normalize_digits, to_persian_digits

pytestmark = pytest.mark.django_db

URL = "/portal/status/"
NOT_FOUND = "No claim matches this tracking code and mobile number. Check both."
LIMITED = "Too many lookups from your connection. Try again in a few minutes."


def fa(msgid: str) -> str:
    with translation.override("fa"):
        return translation.gettext(msgid)


def filed_label() -> str:
    return f'<span class="timeline__label">{fa("Claim filed")}</span>'


def test_the_url():
    assert reverse("portal:status") == URL


def test_lookup_shows_status_and_timeline_without_personal_data(client, make_claim):
    claim = make_claim(contact_mobile="09121234567")
    code = to_persian_digits(tracking.display(claim.tracking_code))

    response = client.post(URL, {"code": code, "mobile_last4": "۴۵۶۷"})

    assert response.status_code == 200
    html = response.content.decode()
    assert tracking.display(claim.tracking_code) in normalize_digits(html)
    assert claim.get_status_display() in html
    assert filed_label() in html
    subscriber = claim.subscriber
    for private in (subscriber.name, subscriber.address, "09121234567", "۰۹۱۲۱۲۳۴۵۶۷"):
        assert private not in html
    assert claim.meter.serial not in html


@pytest.mark.parametrize(
    "data",
    [
        {"mobile_last4": "0000"},
        {"code": "1234567891"},
    ],
    ids=["wrong-last4", "unknown-code"],
)
def test_a_wrong_pair_gets_one_generic_message(client, make_claim, data):
    claim = make_claim(contact_mobile="09121234567")
    fields = {"code": claim.tracking_code, "mobile_last4": "4567", **data}
    if fields["code"] != claim.tracking_code:  # a well-formed code of no claim
        body = "123456789"
        fields["code"] = body + str(tracking.verhoeff_check_digit(body))

    response = client.post(URL, fields)

    assert response.status_code == 200
    html = response.content.decode()
    assert fa(NOT_FOUND) in html
    assert claim.get_status_display() not in html


def test_lookups_are_limited_per_address(client, make_claim):
    claim = make_claim(contact_mobile="09121234567")
    for _ in range(10):
        response = client.post(URL, {"code": claim.tracking_code, "mobile_last4": "0000"})
        assert response.status_code == 200

    response = client.post(URL, {"code": claim.tracking_code, "mobile_last4": "4567"})

    assert response.status_code == 429
    assert fa(LIMITED) in response.content.decode()
    assert "timeline__item--claim_filed" not in response.content.decode()
    # Another address is not held back.
    other = client.post(
        URL, {"code": claim.tracking_code, "mobile_last4": "4567"}, REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 200
    assert filed_label() in other.content.decode()


def test_a_malformed_code_is_a_field_error(client):
    response = client.post(URL, {"code": "12345", "mobile_last4": "12"})

    form = response.context["form"]
    assert set(form.errors) == {"code", "mobile_last4"}
