"""Rating a closed complaint by texting a digit 1-5 to the short code: the fake provider
posts the text to the site's webhook over HTTP, as Kavenegar does; tracking codes, help and
texts from other mobiles still read as before."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.core.tracking import display
from apps.meter_service.doctype.complaint import services
from apps.meter_service.doctype.complaint.models import ComplaintRating
from apps.meter_service.doctype.notification.models import InboundKind, InboundSms
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "inbound-secret-for-tests"
MOBILE = "09121234567"  # the claims' contact mobile (tests/conftest.py claim_fields)
STRANGER = "09357654321"


def text(fake_sms, site, sender: str, message: str) -> dict:
    url = site.url + reverse("sms_inbound", args=[SECRET])
    return json.loads(
        fake_sms._call(
            "POST", "/_fake/sms/deliver", {"url": url, "from": sender, "message": message}
        )
    )


def test_a_digit_from_the_asked_mobile_rates_the_closed_complaint(
    live_server, fake_sms, settings, act, file_complaint, make_claim, officer, client, make_user
):
    settings.METER_SMS = {**settings.METER_SMS, "INBOUND_SECRET": SECRET}
    claim = make_claim()
    complaint = file_complaint(claim=claim)
    # Before the complaint closes, a digit is no rating: it reads as any other text.
    text(fake_sms, live_server, MOBILE, "۴")
    assert InboundSms.objects.get().kind == InboundKind.MALFORMED
    act(services.complaint_close, complaint=complaint, actor=officer)
    assert complaint.contact_mobile == MOBILE
    fake_sms.reset()

    # Another mobile's digit is not this complaint's rating.
    text(fake_sms, live_server, STRANGER, "5")
    assert InboundSms.objects.latest("id").kind == InboundKind.MALFORMED
    # A tracking code from the asked mobile still gets the claim's status.
    text(fake_sms, live_server, MOBILE, to_persian_digits(display(claim.tracking_code)))
    assert InboundSms.objects.latest("id").kind == InboundKind.STATUS
    assert ComplaintRating.objects.get().rated_at is None

    text(fake_sms, live_server, MOBILE, " ٤ ")  # Arabic-Indic four, with spaces
    row = InboundSms.objects.latest("id")
    assert row.kind == InboundKind.RATING
    rating = ComplaintRating.objects.get()
    assert (rating.score, rating.channel) == (4, "sms")
    answer = fake_sms.messages(MOBILE)[-1]["message"]
    assert row.answer.body == answer and "۴" in answer
    assert row.answer.template_key == "inbound_rating"

    # Rated once: the next digit is an ordinary text again.
    text(fake_sms, live_server, MOBILE, "1")
    assert InboundSms.objects.latest("id").kind == InboundKind.MALFORMED
    assert ComplaintRating.objects.get().score == 4

    # And it reaches the manager's dashboard.
    cache.clear()
    client.force_login(make_user(Role.SERVICE_MANAGER))
    figure = client.get(reverse("dashboards:page")).context["view"]["csat"]
    assert (figure["count"], figure["average"]) == (1, 4.0)
