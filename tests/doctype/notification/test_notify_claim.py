"""What a claim's events text the subscriber: filed, paid, expired."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.claim.services import claim_expire_unpaid, claim_mark_paid
from apps.meter_service.doctype.notification import services
from apps.meter_service.doctype.notification.models import MessageTemplate, SmsMessage, SmsStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def templates(db):
    services.message_templates_ensure_defaults()


def persian_code(claim) -> str:
    return to_persian_digits(tracking.display(claim.tracking_code))


def test_filing_texts_the_tracking_code_amount_and_deadline(
    templates, fake_sms, make_claim, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        claim = make_claim(contact_mobile="09351112233")

    [sms] = fake_sms.messages("09351112233")
    text = sms["message"]
    assert "درخواست تست کنتور شما ثبت شد" in text
    # ۱۲۳-۴۵۶-۷۸۹۰ in a left-to-right isolate, so the RTL sentence keeps the groups in order
    assert f"\u2066{persian_code(claim)}\u2069" in text
    assert to_persian_digits(f"{claim.total_fee:,}".replace(",", "\u066c")) in text
    assert format_date(claim.expires_at) in text
    assert not any(ch.isascii() and ch.isdigit() for ch in text)  # Persian digits only
    [logged] = SmsMessage.objects.filter(claim=claim)
    assert logged.template_key == "claim_filed"
    assert logged.status == SmsStatus.SENT
    assert logged.body == text


def test_payment_is_texted(templates, fake_sms, make_claim, django_capture_on_commit_callbacks):
    claim = make_claim()  # on_commit not run: no filing SMS in this test

    with django_capture_on_commit_callbacks(execute=True):
        claim_mark_paid(claim=claim, reference="gw:1")

    [sms] = fake_sms.messages()
    assert "ثبت شد" in sms["message"]
    assert persian_code(claim) in sms["message"]
    assert SmsMessage.objects.get(claim=claim).template_key == "claim_paid"


def test_expiry_is_texted(templates, fake_sms, make_claim, django_capture_on_commit_callbacks):
    claim = make_claim()
    later = timezone.now() + datetime.timedelta(days=30)

    with django_capture_on_commit_callbacks(execute=True):
        assert claim_expire_unpaid(now=later) == [claim.tracking_code]

    [sms] = fake_sms.messages()
    assert "پرداخت نشد" in sms["message"]
    assert format_date(claim.expires_at) in sms["message"]
    assert SmsMessage.objects.get(claim=claim).template_key == "claim_expired"


def test_a_job_run_twice_texts_once(
    templates, fake_sms, make_claim, django_capture_on_commit_callbacks
):
    claim = make_claim()

    with django_capture_on_commit_callbacks(execute=True):
        first = services.notify_claim(claim_id=claim.pk, event="claim_filed")
        second = services.notify_claim(claim_id=claim.pk, event="claim_filed")

    assert first.pk == second.pk
    assert len(fake_sms.messages()) == 1


def test_an_inactive_or_missing_template_sends_nothing(
    templates, fake_sms, make_claim, django_capture_on_commit_callbacks
):
    MessageTemplate.objects.filter(key="claim_filed").update(is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        claim = make_claim()
        assert services.notify_claim(claim_id=claim.pk, event="claim_cancelled") is None

    assert fake_sms.messages() == []
    assert not SmsMessage.objects.exists()


def test_an_unknown_claim_sends_nothing(templates, fake_sms):
    assert services.notify_claim(claim_id=987654, event="claim_filed") is None


def test_a_claim_paid_before_its_filing_text_goes_out_still_names_the_deadline(
    templates, fake_sms, make_claim, django_capture_on_commit_callbacks
):
    # Both texts go out after both actions, as when a counter takes the fee at once.
    with django_capture_on_commit_callbacks(execute=True):
        claim = make_claim(contact_mobile="09351112233")
        deadline = claim.expires_at
        claim_mark_paid(claim=claim, reference="office:1")

    filed, paid = (sms["message"] for sms in fake_sms.messages("09351112233"))
    assert format_date(deadline) in filed
    assert not filed.rstrip().endswith(":")
    assert "ثبت شد" in paid
