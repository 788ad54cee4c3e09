"""The process's SLA watch on a controlled clock: 75 % tells the role, 100 % escalates.

The SLA is 24 working hours (Saturday–Wednesday 07:00–15:00, Thursday 07:00–12:00), so 75 %
is 18 working hours; the due times come from the working-time calendar.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from apps.meter_service.doctype.claim.services import claim_mark_paid
from apps.meter_service.doctype.notification.services import notification_rule_create
from apps.meter_service.doctype.sla.calendar import add_working_seconds
from apps.meter_service.doctype.sla.models import SlaClock
from apps.meter_service.engine.services import process_run_timers

from .conftest import SCHEDULE

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
# Saturday 1405/09/15 at 08:00 in Tehran.
FILED = datetime.datetime(2026, 12, 6, 8, 0, tzinfo=TEHRAN)
HOUR = 3600


class Clock:
    """The application's time, moved by the test (timezone.now and the engine follow it)."""

    def __init__(self, at: datetime.datetime):
        self.at = at

    def now(self) -> datetime.datetime:
        return self.at.astimezone(datetime.UTC)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(FILED)
    monkeypatch.setattr("django.utils.timezone.now", clock.now)
    return clock


@pytest.fixture
def watched_claim(make_claim, make_user, settings, clock):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_user("technician", email="tech@example.ir")
    make_user("service_manager", email="manager@example.ir")
    claim = make_claim(last_reading_date=FILED.date())
    return claim_mark_paid(claim=claim, reference="paid")


def test_the_role_is_told_at_75_percent_and_the_manager_at_breach(
    watched_claim, django_capture_on_commit_callbacks
):
    warn_at = add_working_seconds(FILED, 18 * HOUR)
    breach_at = add_working_seconds(FILED, 24 * HOUR)
    instance = watched_claim.process
    instance.refresh_from_db()
    assert instance.next_timer_at == warn_at

    assert process_run_timers(now=warn_at - datetime.timedelta(minutes=1)) == []
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        moved = process_run_timers(now=warn_at + datetime.timedelta(minutes=1))
    assert moved == [watched_claim.pk]
    assert [m.to for m in mail.outbox] == [["tech@example.ir"]]
    instance.refresh_from_db()
    assert instance.next_timer_at == breach_at

    with django_capture_on_commit_callbacks(execute=True):
        process_run_timers(now=breach_at + datetime.timedelta(minutes=1))
    assert [m.to for m in mail.outbox] == [["tech@example.ir"], ["manager@example.ir"]]
    clock = SlaClock.objects.get(claim=watched_claim)
    assert clock.warned_at is not None and clock.escalated_at is not None
    instance.refresh_from_db()
    assert instance.next_timer_at is None  # the SLA watch is over; the work goes on
    assert instance.status == "running"


def test_a_pause_moves_the_warning_later(
    watched_claim, step, clock, django_capture_on_commit_callbacks
):
    # the technician goes two working hours later and finds nobody home
    clock.at = FILED + datetime.timedelta(hours=1)
    step(watched_claim, "Task_schedule", **SCHEDULE)
    clock.at = FILED + datetime.timedelta(hours=2)
    step(watched_claim, "Task_test", outcome="no_access")
    assert SlaClock.objects.get(claim=watched_claim).paused

    first_due = add_working_seconds(FILED, 18 * HOUR)
    # at the first due time the clock has used only 2 hours: nobody is told, the timer waits
    with django_capture_on_commit_callbacks(execute=True):
        process_run_timers(now=first_due + datetime.timedelta(minutes=1))
    assert mail.outbox == []
    instance = watched_claim.process
    instance.refresh_from_db()
    assert instance.next_timer_at > first_due

    # the subscriber gives access a day later: the clock runs again from there
    clock.at = first_due + datetime.timedelta(days=1)
    step(watched_claim, "Task_access", "service_desk_clerk", available_from="1405/09/20")
    clock = SlaClock.objects.get(claim=watched_claim)
    assert not clock.paused and clock.worked_seconds == 2 * HOUR


def _risk_rule() -> None:
    """A rule emailing the service managers when a claim's deadline is at risk."""
    notification_rule_create(
        name="هشدار مهلت به مدیر",
        event="sla_at_risk",
        send_sms=False,
        send_email=True,
        recipients="role",
        role="service_manager",
        body_fa="مهلت درخواست {tracking_code} رو به پایان است.",
    )


def test_a_notification_rule_on_the_risk_emails_its_role_when_the_clock_is_at_risk(
    watched_claim, step, clock, django_capture_on_commit_callbacks
):
    _risk_rule()
    warn_at = add_working_seconds(FILED, 18 * HOUR)
    with django_capture_on_commit_callbacks(execute=True):
        process_run_timers(now=warn_at + datetime.timedelta(minutes=1))
    told = [m for m in mail.outbox if m.to == ["manager@example.ir"]]
    assert len(told) == 1 and "رو به پایان است" in told[0].body


def test_no_risk_notice_while_the_clock_is_paused(
    watched_claim, step, clock, django_capture_on_commit_callbacks
):
    _risk_rule()
    clock.at = FILED + datetime.timedelta(hours=1)
    step(watched_claim, "Task_schedule", **SCHEDULE)
    clock.at = FILED + datetime.timedelta(hours=2)
    step(watched_claim, "Task_test", outcome="no_access")
    with django_capture_on_commit_callbacks(execute=True):
        process_run_timers(
            now=add_working_seconds(FILED, 18 * HOUR) + datetime.timedelta(minutes=1)
        )
    assert not [m for m in mail.outbox if m.to == ["manager@example.ir"]]
