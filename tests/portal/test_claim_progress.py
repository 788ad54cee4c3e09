"""The portal's claim page as the process moves on: a truthful timeline, the access step."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from apps.meter_service.doctype.claim.services import claim_mark_paid
from apps.meter_service.doctype.process.models import ProcessTask
from apps.meter_service.doctype.process.services import process_complete_task
from apps.meter_service.portal.timeline import timeline_entries

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
