"""The portal's claim page as the process moves on: a truthful timeline, the access step."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.claim.receipt import render_receipt_html
from apps.meter_service.doctype.claim.services import claim_mark_paid
from apps.meter_service.doctype.claim.timeline import timeline_entries
from apps.meter_service.doctype.payment.services import payment_record_in_person
from apps.meter_service.engine.models import ProcessTask
from apps.meter_service.engine.services import process_complete_task

pytestmark = pytest.mark.django_db

SCHEDULE = {"test_type": "field", "visit_date": "1405/09/10", "visit_time": "morning"}


def fa(text: str) -> str:
    with translation.override("fa"):
        return translation.gettext(text)


def complete(claim, element_id: str, user, **data) -> None:
    task = ProcessTask.objects.get(
        instance__claim=claim, element_id=element_id, completed_at__isnull=True
    )
    process_complete_task(task_id=task.task_id, user=user, data=data)


@pytest.fixture
def no_access_claim(make_claim, make_user):
    """A paid claim whose technician found no access to the meter."""
    technician = make_user("technician")
    claim = claim_mark_paid(claim=make_claim(), reference="test-payment")
    complete(claim, "Task_schedule", technician, **SCHEDULE)
    complete(claim, "Task_test", technician, outcome="no_access")
    return claim


def labels(claim) -> list[str]:
    with translation.override("fa"):
        return [entry.label for entry in timeline_entries(claim=claim)]


def test_after_no_access_the_timeline_says_so_and_schedules_once(no_access_claim):
    shown = labels(no_access_claim)

    assert shown == [
        fa("Claim filed"),
        fa("Fee paid"),
        fa("Test visit scheduled"),
        fa("The technician could not reach the meter"),
    ]
    assert fa("Test the meter") not in shown and fa("Meter tested") not in shown


def test_access_given_and_a_second_visit_read_in_order(no_access_claim, subscriber_user, make_user):
    complete(no_access_claim, "Task_access", subscriber_user, available_from="1405/09/20")
    complete(no_access_claim, "Task_schedule", make_user("technician", "tech2"), **SCHEDULE)

    assert labels(no_access_claim)[-3:] == [
        fa("The technician could not reach the meter"),
        fa("Access to the meter offered"),
        fa("Test visit scheduled again"),
    ]


def test_the_access_date_has_the_jalali_calendar_and_a_hint(portal_client, no_access_claim):
    response = portal_client.get(
        reverse("portal:claim_detail", args=[no_access_claim.tracking_code])
    )

    html = response.content.decode()
    [date_input] = re.findall(r'<input[^>]*name="available_from"[^>]*>', html)
    assert 'data-jalali="1"' in date_input
    assert 'inputmode="numeric"' in date_input and 'dir="ltr"' in date_input
    assert 'placeholder="۱۴' in date_input  # today, in the Jalali calendar
    assert 'aria-describedby="id_available_from_helptext"' in date_input
    assert 'id="id_available_from_helptext"' in html
    assert "jalalidatepicker" in html  # the calendar script is on the page


# --- what a closed claim shows ----------------------------------------------------------


def test_a_closed_claim_shows_verdict_correction_and_refund(portal_client, make_claim, make_user):
    technician, crew, billing = (
        make_user(role) for role in ("technician", "emergency_crew", "billing_officer")
    )
    claim = claim_mark_paid(claim=make_claim(), reference="test-payment")
    complete(claim, "Task_schedule", technician, **SCHEDULE)
    complete(claim, "Task_test", technician, outcome="tested", error_percent="4.5")
    complete(
        claim,
        "Task_replace",
        crew,
        old_final_reading="900",
        new_serial="NEW-1",
        new_initial_reading="0",
    )
    complete(
        claim, "Task_correction", billing, correction_rial="-2400000", correction_method="scaled"
    )
    claim.refresh_from_db()

    response = portal_client.get(reverse("portal:claim_detail", args=[claim.tracking_code]))

    html = response.content.decode()
    assert fa("Result of the test") in html
    assert fa("Runs fast") in html
    assert "۲٬۴۰۰٬۰۰۰" in html  # the credit
    assert fa("Fee refunded") in html
    assert to_persian_digits(f"{claim.total_fee:,}".replace(",", "\u066c")) in html


def test_an_open_claim_shows_no_result(portal_client, make_claim):
    claim = make_claim()
    response = portal_client.get(reverse("portal:claim_detail", args=[claim.tracking_code]))
    assert fa("Result of the test") not in response.content.decode()


def test_the_office_receipt_number_is_printed_where_the_payment_is(
    portal_client, make_claim, make_user
):
    claim = make_claim(channel="in_person", payment_method="in_person")
    payment_record_in_person(
        claim=claim, actor=make_user("service_desk_clerk"), receipt_number="۷۷۴۱۲"
    )

    receipt = render_receipt_html(claim)
    page = portal_client.get(reverse("portal:claim_detail", args=[claim.tracking_code]))

    assert fa("Office receipt number") in receipt and "۷۷۴۱۲" in receipt
    html = page.content.decode()
    assert fa("Office receipt number") in html and "۷۷۴۱۲" in html
