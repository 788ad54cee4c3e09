"""What the subscriber is texted at each step of the process, with the figures.

The texts reach the fake SMS provider over HTTP; the figures are read back from them in
Persian digits as the subscriber sees them.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.notification import rules
from apps.meter_service.doctype.notification.models import SmsMessage

from .conftest import SCHEDULE

pytestmark = pytest.mark.django_db

REPLACEMENT = {
    "old_final_reading": "1250.5",
    "new_serial": "NEW-778899",
    "new_initial_reading": "0",
}


def rial_fa(amount: int) -> str:
    return to_persian_digits(f"{amount:,}".replace(",", "\u066c"))


def texts(fake_sms, claim) -> dict[str, str]:
    """The texts the claim's mobile received, by template, checked against the fake's inbox."""
    received = [m["message"] for m in fake_sms.messages(claim.contact_mobile)]
    logged = SmsMessage.objects.filter(claim=claim).order_by("id")
    assert [m.body for m in logged] == received
    return {m.template_key: m.body for m in logged}


def keys(claim) -> list[str]:
    return list(
        SmsMessage.objects.filter(claim=claim).order_by("id").values_list("template_key", flat=True)
    )


def test_a_test_within_tolerance_texts_the_verdict_then_the_closing(
    paid_claim, step, django_capture_on_commit_callbacks, fake_sms
):
    with django_capture_on_commit_callbacks(execute=True):
        step(paid_claim, "Task_schedule", **SCHEDULE)
        step(paid_claim, "Task_test", outcome="tested", error_percent="1.2")

    sent = texts(fake_sms, paid_claim)
    assert keys(paid_claim)[-2:] == ["test_result", "claim_closed"]
    result = sent["test_result"]
    assert "در محدوده مجاز" in result
    # The measured error and the allowed band (class 1.5 at Qt..Qmax, IN_SERVICE_TOLERANCE_BANDS).
    assert "+۱٫۲" in result and "±۱٫۵" in result
    assert to_persian_digits(tracking.display(paid_claim.tracking_code)) in result
    closing = sent["claim_closed"]
    assert "استرداد" not in closing and "اعتبار" not in closing  # nothing to give back


def test_a_fast_meter_texts_verdict_replacement_correction_and_refund(
    tested, step, django_capture_on_commit_callbacks, fake_sms
):
    with django_capture_on_commit_callbacks(execute=True):
        claim = tested(error_percent="4.5")
        step(claim, "Task_replace", "emergency_crew", **REPLACEMENT)
        step(
            claim,
            "Task_correction",
            "billing_officer",
            correction_rial="-2400000",
            correction_method="scaled",
        )

    claim.refresh_from_db()
    told = ["test_result", "meter_replaced", "correction_approved", "claim_closed"]
    assert keys(claim)[-4:] == told
    sent = texts(fake_sms, claim)
    assert "+۴٫۵" in sent["test_result"] and "±۱٫۵" in sent["test_result"]
    assert "NEW-778899" in sent["meter_replaced"]
    assert rial_fa(2_400_000) in sent["correction_approved"]
    assert "اعتبار" in sent["correction_approved"]  # a credit, not a charge
    closing = sent["claim_closed"]
    assert rial_fa(2_400_000) in closing  # the credit
    assert claim.fee_outcome == "refund"
    assert rial_fa(claim.total_fee) in closing and "مسترد" in closing  # the fee refund


def test_a_correction_above_the_limit_is_texted_once_approved(
    tested, step, django_capture_on_commit_callbacks, fake_sms
):
    with django_capture_on_commit_callbacks(execute=True):
        claim = tested(error_percent="-6")
        step(claim, "Task_replace", "emergency_crew", **REPLACEMENT)
        step(
            claim,
            "Task_correction",
            "billing_officer",
            correction_rial="60000000",
            correction_method="scaled",
        )
    assert "correction_approved" not in keys(claim)  # waiting for the manager

    with django_capture_on_commit_callbacks(execute=True):
        step(claim, "Task_approve", "service_manager", decision="approve")

    sent = texts(fake_sms, claim)
    assert rial_fa(60_000_000) in sent["correction_approved"]
    assert "افزوده" in sent["correction_approved"]  # a slow meter: added to the bill
    assert rial_fa(60_000_000) in sent["claim_closed"]


def test_no_access_asks_for_access_with_the_deadline(
    paid_claim, step, django_capture_on_commit_callbacks, fake_sms, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        step(paid_claim, "Task_schedule", **SCHEDULE)
        step(paid_claim, "Task_test", outcome="no_access")

    days = settings.METER_SERVICE["ACCESS_WAIT_DAYS"]
    deadline = timezone.now() + datetime.timedelta(days=days)
    text = texts(fake_sms, paid_claim)["access_needed"]
    assert keys(paid_claim)[-1] == "access_needed"
    assert format_date(deadline) in text
    assert "دسترسی" in text


def test_a_next_bill_claim_is_told_the_fee_goes_on_the_bill(
    roles, make_claim, django_capture_on_commit_callbacks, fake_sms
):
    with django_capture_on_commit_callbacks(execute=True):
        claim = make_claim(payment_method="next_bill")

    assert keys(claim) == ["claim_filed_next_bill"]
    text = texts(fake_sms, claim)["claim_filed_next_bill"]
    assert "قبض بعدی" in text and rial_fa(claim.total_fee) in text
    assert "مهلت پرداخت" not in text
    assert not text.rstrip().endswith(":")  # no empty deadline


def test_the_english_texts_carry_the_same_figures(make_claim):
    claim = make_claim()
    claim.findings = {"correction_rial": -1500}
    claim.fee_outcome = "refund"
    values = rules.claim_values(claim, rules.CLAIM_CLOSED, language="en")
    assert "credit of 1,500 Rial" in values["settlement"]
    assert f"refunded: {claim.total_fee:,} Rial" in values["settlement"]
    result = rules.claim_values(
        claim,
        rules.TEST_RESULT,
        language="en",
        facts={"verdict": "slow", "error_percent": -3.25, "mpe": 3.0},
    )["result"]
    assert result == "Runs slow (measured error -3.25%, allowed ±3%)"


def test_a_tampered_meter_is_texted_the_damage_charge(
    tested, step, django_capture_on_commit_callbacks, fake_sms
):
    with django_capture_on_commit_callbacks(execute=True):
        claim = tested(tampered=True, error_percent="1")
        step(claim, "Task_tamper_charge", "billing_officer", damage_rial="25000000")

    sent = texts(fake_sms, claim)
    assert keys(claim)[-2:] == ["test_result", "claim_closed"]
    assert "دستکاری" in sent["test_result"] or "Tampered" in sent["test_result"]
    assert "خسارت" in sent["claim_closed"] and rial_fa(25_000_000) in sent["claim_closed"]
