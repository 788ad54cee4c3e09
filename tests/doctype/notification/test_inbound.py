"""Texts to the short code: the fake provider posts them to the site's webhook over HTTP,
and the answers come back to the fake through the outbox and the send API."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.urls import reverse
from django.utils import translation

from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.core.jalali import format_date
from apps.meter_service.core.tracking import display
from apps.meter_service.doctype.claim.timeline import timeline_entries
from apps.meter_service.doctype.notification import services
from apps.meter_service.doctype.notification.inbound import inbound_poll
from apps.meter_service.doctype.notification.models import InboundKind, InboundSms, SmsMessage

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "inbound-secret-for-tests"
MOBILE = "09121234567"  # the claims' contact mobile (tests/conftest.py claim_fields)
STRANGER = "09357654321"


@pytest.fixture
def site(live_server, fake_sms, settings):
    """The live site with its webhook secret and templates; the fake provider, emptied."""
    settings.METER_SMS = {**settings.METER_SMS, "INBOUND_SECRET": SECRET}
    services.message_templates_ensure_defaults()
    return live_server


def webhook(site, secret: str = SECRET) -> str:
    return site.url + reverse("sms_inbound", args=[secret])


def text(fake_sms, site, sender: str, message: str, *, messageid: str = "", secret=SECRET):
    """A subscriber texts the short code: the fake posts it to the site; returns its answer."""
    fields = {"url": webhook(site, secret), "from": sender, "message": message}
    if messageid:
        fields["messageid"] = messageid
    return json.loads(fake_sms._call("POST", "/_fake/sms/deliver", fields))


def answers(fake_sms, mobile: str) -> list[str]:
    return [m["message"] for m in fake_sms.messages(mobile)]


def test_a_tracking_code_in_persian_digits_with_dashes_gets_its_status(site, fake_sms, make_claim):
    claim = make_claim()
    fake_sms.reset()  # the claim's own "filed" text
    typed = to_persian_digits(display(claim.tracking_code))  # ۱۲۳-۴۵۶-۷۸۹۰

    result = text(fake_sms, site, MOBILE, typed)

    assert result["status"] == 200
    [answer] = answers(fake_sms, MOBILE)
    assert "در انتظار پرداخت" in answer  # the status in words (Awaiting payment)
    with translation.override("fa"):
        step = timeline_entries(claim=claim)[-1]
        assert f"{step.label} ({format_date(step.at)})" in answer  # the step and its Jalali day
    assert to_persian_digits(claim.tracking_code[:3]) in answer
    assert claim.subscriber.subscription_number not in answer  # nothing about the subscriber
    [row] = InboundSms.objects.all()
    assert (row.kind, row.claim, row.sender) == (InboundKind.STATUS, claim, MOBILE)
    assert row.answer.body == answer
    assert row.answer.template_key == "inbound_status"


def test_latin_and_arabic_indic_digits_with_spaces_are_read(site, fake_sms, make_claim):
    claim = make_claim()
    fake_sms.reset()  # the claim's own "filed" text
    arabic = claim.tracking_code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))

    text(fake_sms, site, MOBILE, f" {claim.tracking_code[:3]} {claim.tracking_code[3:]} ")
    text(fake_sms, site, MOBILE, arabic)

    assert list(InboundSms.objects.values_list("kind", flat=True)) == [InboundKind.STATUS] * 2


def test_help_in_english_and_persian(site, fake_sms):
    for word in ("help", "HELP", "راهنما", "كمك"):  # the last typed on an Arabic keyboard
        text(fake_sms, site, MOBILE, word)

    replies = answers(fake_sms, MOBILE)
    assert len(replies) == 4
    assert all("درخواست را" in reply and "۵۰۰۰۲۵۱۹۴" in reply for reply in replies)
    assert set(InboundSms.objects.values_list("kind", flat=True)) == {InboundKind.HELP}


def test_a_well_formed_code_of_no_claim_is_unknown(site, fake_sms, make_claim):
    claim = make_claim()
    fake_sms.reset()  # the claim's own "filed" text

    text(fake_sms, site, MOBILE, "1234567890" if claim.tracking_code != "1234567890" else "")
    # The right code from another mobile is unknown too: the sender's number is the check
    # the web lookup makes with the mobile's last four digits.
    text(fake_sms, site, STRANGER, claim.tracking_code)

    [mine] = answers(fake_sms, MOBILE)
    [theirs] = answers(fake_sms, STRANGER)
    assert "پیدا نشد" in mine and "پیدا نشد" in theirs
    assert "وضعیت" not in theirs
    kinds = set(InboundSms.objects.values_list("kind", flat=True))
    assert kinds == {InboundKind.UNKNOWN_CODE}
    assert not InboundSms.objects.filter(claim__isnull=False).exists()


def test_a_malformed_text_gets_a_short_note(site, fake_sms, make_claim):
    claim = make_claim()
    fake_sms.reset()  # the claim's own "filed" text
    slip = claim.tracking_code[:-1] + str((int(claim.tracking_code[-1]) + 1) % 10)

    for message in ("سلام", "12345", slip, ""):
        text(fake_sms, site, MOBILE, message)

    replies = answers(fake_sms, MOBILE)
    assert len(replies) == 4
    assert all("خوانده نشد" in reply for reply in replies)
    assert set(InboundSms.objects.values_list("kind", flat=True)) == {InboundKind.MALFORMED}


def test_a_repeated_message_id_is_answered_once(site, fake_sms, make_claim):
    claim = make_claim()
    fake_sms.reset()  # the claim's own "filed" text

    first = text(fake_sms, site, MOBILE, claim.tracking_code, messageid="777001")
    again = text(fake_sms, site, MOBILE, claim.tracking_code, messageid="777001")

    assert first["status"] == again["status"] == 200  # the provider stops retrying
    assert len(answers(fake_sms, MOBILE)) == 1
    assert InboundSms.objects.count() == 1
    assert SmsMessage.objects.filter(template_key="inbound_status").count() == 1


def test_a_flood_from_one_sender_is_logged_not_answered(site, fake_sms, settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "INBOUND_SMS_PER_SENDER_PER_HOUR": 3}

    for _ in range(5):
        text(fake_sms, site, MOBILE, "help")
    text(fake_sms, site, STRANGER, "help")

    assert len(answers(fake_sms, MOBILE)) == 3
    assert len(answers(fake_sms, STRANGER)) == 1
    limited = InboundSms.objects.filter(kind=InboundKind.LIMITED)
    assert limited.count() == 2
    assert not limited.filter(answer__isnull=False).exists()
    assert InboundSms.objects.count() == 6  # every text logged


def test_a_wrong_or_missing_secret_is_refused_with_a_bare_403(site, fake_sms, settings):
    result = text(fake_sms, site, MOBILE, "help", secret="not-the-secret")
    assert result["status"] == 403

    request = urllib.request.Request(
        webhook(site, "x" * len(SECRET)),
        data=urllib.parse.urlencode({"messageid": "1", "from": MOBILE}).encode(),
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 403
    assert refused.value.read() == b""  # never says why

    settings.METER_SMS = {**settings.METER_SMS, "INBOUND_SECRET": ""}
    assert text(fake_sms, site, MOBILE, "help", secret=SECRET)["status"] == 403
    assert InboundSms.objects.count() == 0
    assert answers(fake_sms, MOBILE) == []


def test_the_receive_api_is_polled_once_per_text(site, fake_sms, make_claim):
    claim = make_claim()
    fake_sms.reset()  # the claim's own "filed" text
    fake_sms._call("POST", "/_fake/sms/deliver", {"from": MOBILE, "message": claim.tracking_code})

    assert inbound_poll() == 1
    assert inbound_poll() == 0  # the provider marks what it handed over as read

    [row] = InboundSms.objects.all()
    assert row.kind == InboundKind.STATUS
    assert len(answers(fake_sms, MOBILE)) == 1


def test_the_desk_lists_texts_with_their_answers_read_only(site, fake_sms, client, admin_user):
    text(fake_sms, site, MOBILE, "help")
    row = InboundSms.objects.get()
    client.force_login(admin_user)

    listing = client.get(reverse("admin:meter_service_inboundsms_changelist"))
    page = client.get(reverse("admin:meter_service_inboundsms_change", args=[row.pk]))

    assert listing.status_code == 200
    assert row.answer.body.splitlines()[0] in listing.content.decode()
    assert page.status_code == 200
    assert 'name="kind"' not in page.content.decode()  # nothing to edit
    assert client.get(reverse("admin:meter_service_inboundsms_add")).status_code == 403
