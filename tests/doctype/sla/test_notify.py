"""Warnings at 75 % and escalations at 100 % of the target: once, to the right people.

Started Sat 25 Apr 2026 07:00, the clock reaches 18 h (75 %) on Mon 27 Apr 09:00 and 24 h
on Mon 27 Apr 15:00 (see test_clock.py).
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.sla import selectors
from apps.meter_service.doctype.sla.models import SlaClock
from apps.meter_service.doctype.sla.services import (
    sla_clock_set_running,
    sla_clock_start,
    sla_clock_stop,
    sla_escalate,
    sla_warn,
)
from apps.meter_service.permissions import Role
from tests.doctype.sla.conftest import at

pytestmark = pytest.mark.django_db

SAT_0700 = at(2026, 4, 25, 7)


@pytest.fixture
def staff(make_user):
    """Who could be told: the clerks and managers are the ones the tests expect."""
    return {
        "clerk": make_user(Role.SERVICE_DESK_CLERK, email="clerk@example.ir"),
        "clerk_no_email": make_user(Role.SERVICE_DESK_CLERK),
        "clerk_gone": make_user(Role.SERVICE_DESK_CLERK, email="gone@example.ir", is_active=False),
        "technician": make_user(Role.TECHNICIAN, email="tech@example.ir"),
        "manager": make_user(Role.SERVICE_MANAGER, email="manager@example.ir"),
    }


def events(claim, event_type: str):
    return DocumentEvent.objects.filter(object_id=str(claim.pk), event_type=event_type)


def test_warning_goes_once_to_the_active_users_of_the_roles(
    claim, staff, django_capture_on_commit_callbacks
):
    sla_clock_start(claim=claim, now=SAT_0700)
    roles = [Role.SERVICE_DESK_CLERK]
    with django_capture_on_commit_callbacks(execute=True):
        early = sla_warn(claim=claim, roles=roles, now=at(2026, 4, 27, 8, 59))
    assert early is False and mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        assert sla_warn(claim=claim, roles=roles, now=at(2026, 4, 27, 9)) is True
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["clerk@example.ir"]
    # the code in Persian digits, in a left-to-right isolate: its groups in order
    code = f"\u2066{to_persian_digits(tracking.display(claim.tracking_code))}\u2069"
    assert code in message.subject and code in message.body
    # In the site's language, Persian: due Monday 27 Apr 15:00, that is 1405/02/07.
    assert "۱۴۰۵/۰۲/۰۷ ۱۵:۰۰" in message.body
    clock = SlaClock.objects.get(claim=claim)
    assert clock.warned_at == at(2026, 4, 27, 9)
    event = events(claim, "sla_warned").get()
    assert event.parameters["recipients"] == [staff["clerk"].username]

    # Asked again (the timer fired twice, or the process re-entered): reached, not re-sent.
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_warn(claim=claim, roles=roles, now=at(2026, 4, 27, 10)) is True
    assert len(mail.outbox) == 1
    assert events(claim, "sla_warned").count() == 1
    assert SlaClock.objects.get(claim=claim).warned_at == at(2026, 4, 27, 9)


def test_escalation_goes_once_to_the_service_managers(
    claim, staff, django_capture_on_commit_callbacks
):
    sla_clock_start(claim=claim, now=SAT_0700)
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_escalate(claim=claim, now=at(2026, 4, 27, 14, 59)) is False
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_escalate(claim=claim, now=at(2026, 4, 27, 16)) is True
        assert sla_escalate(claim=claim, now=at(2026, 4, 28, 9)) is True
    assert [m.to for m in mail.outbox] == [["manager@example.ir"]]
    clock = SlaClock.objects.get(claim=claim)
    assert clock.escalated_at == at(2026, 4, 27, 16)
    assert clock.breached_at == at(2026, 4, 27, 15)
    assert events(claim, "sla_escalated").count() == 1


def test_a_pause_moves_the_due_time_so_an_early_timer_sends_nothing(
    claim, staff, django_capture_on_commit_callbacks
):
    # The process set its timer for Mon 09:00 when the clock started; on Sun 26 Apr 15:00 it
    # paused at 16 h (waiting for access to the meter) and resumed Mon 09:00.
    sla_clock_start(claim=claim, now=SAT_0700)
    clock = SlaClock.objects.get(claim=claim)
    assert selectors.sla_due_at(clock, 0.75, SAT_0700) == at(2026, 4, 27, 9)
    sla_clock_set_running(claim=claim, running=False, now=at(2026, 4, 26, 15))
    sla_clock_set_running(claim=claim, running=True, now=at(2026, 4, 27, 9))
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_warn(claim=claim, roles=[Role.SERVICE_DESK_CLERK], now=at(2026, 4, 27, 9)) is (
            False
        )
        assert sla_escalate(claim=claim, now=at(2026, 4, 27, 15)) is False
    assert mail.outbox == []
    assert not events(claim, "sla_warned").exists()
    # The new due times: 2 h more for 75 % (Mon 11:00), 8 h more for 100 % (Tue 09:00).
    clock.refresh_from_db()
    assert selectors.sla_due_at(clock, 0.75, at(2026, 4, 27, 9)) == at(2026, 4, 27, 11)
    assert selectors.sla_due_at(clock, 1.0, at(2026, 4, 27, 9)) == at(2026, 4, 28, 9)
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_warn(claim=claim, roles=[Role.SERVICE_DESK_CLERK], now=at(2026, 4, 27, 11))
    assert len(mail.outbox) == 1


def test_a_stopped_clock_warns_no_one(claim, staff, django_capture_on_commit_callbacks):
    sla_clock_start(claim=claim, now=SAT_0700)
    sla_clock_stop(claim=claim, now=at(2026, 4, 27, 10))
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_warn(claim=claim, roles=[Role.SERVICE_DESK_CLERK], now=at(2026, 4, 28, 9)) is (
            False
        )
        assert sla_escalate(claim=claim, now=at(2026, 4, 28, 9)) is False
    assert mail.outbox == []


def test_an_english_site_gets_english_email_whatever_the_request_language(
    claim, staff, settings, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "en"
    sla_clock_start(claim=claim, now=SAT_0700)
    with translation.override("fa"), django_capture_on_commit_callbacks(execute=True):
        sla_warn(claim=claim, roles=[Role.SERVICE_DESK_CLERK], now=at(2026, 4, 27, 9))
        sla_escalate(claim=claim, now=at(2026, 4, 28, 8, 30))
    warning, escalation = (m.body for m in mail.outbox)
    # 18 h used of 24 h: 6 h left, due Mon 27 Apr 15:00.
    assert "18 h 0 min" in warning and "Time left: 6 h 0 min" in warning
    assert "2026-04-27 15:00" in warning
    # Ended Mon 15:00; on Tue 08:30 it is overdue by Tue 07:00-08:30, 1 h 30 min of working
    # time (the evening does not count).
    assert "Overdue by: 1 h 30 min" in escalation
