"""Scheduled reports: mailed once a period, each recipient their own rows; who manages them."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from apps.meter_service import jobs, scheduled_reports
from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.saved_list.events import SavedListEvents
from apps.meter_service.doctype.saved_list.models import (
    SavedList,
    ScheduledReport,
    ScheduledReportDelivery,
)
from apps.meter_service.permissions import DESK_ROLES, Role

TEHRAN_9AM = timezone.make_aware(datetime.datetime(2024, 5, 1, 9, 0))  # TIME_ZONE is Tehran


@pytest.fixture
def world(make_user, make_office):
    manager = make_user(Role.SERVICE_MANAGER, email="manager@gas.example")
    clerk = make_user(Role.SERVICE_DESK_CLERK, email="clerk@gas.example")
    operator = make_user(Role.COUNTER_OFFICE_OPERATOR, email="office@gas.example")
    technician = make_user(Role.TECHNICIAN, email="tech@gas.example")  # no office list
    make_office(code="201", name="@SUM(A1)", city="قزوین")
    mine = make_office(code="202", name="دفتر مرکزی", city="قزوین")
    make_office(code="203", name="دفتر تاکستان", city="تاکستان")
    mine.users.add(operator)
    view = SavedList.objects.create(
        owner=manager,
        name="دفترهای قزوین",
        app_label="meter_service",
        model_name="counteroffice",
        query="city=قزوین",
        columns=["code", "name"],
    )
    report = ScheduledReport.objects.create(
        name="دفترها",
        saved_list=view,
        to_managers=True,
        frequency="daily",
        hour=7,
        file_format="csv",
    )
    report.recipients.add(clerk, operator, technician)
    return {"manager": manager, "clerk": clerk, "operator": operator, "report": report}


def _attachment_rows(message) -> list[list[str]]:
    name, body, _mimetype = message.attachments[0]
    assert name.endswith(".csv")
    text = body.decode("utf-8-sig") if isinstance(body, bytes) else body.lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_each_recipient_gets_their_own_rows_once_a_period(world):
    counts = scheduled_reports.send_due(TEHRAN_9AM)
    by_address = {m.to[0]: m for m in mail.outbox}
    # The technician may not see the office list: nothing is sent to them.
    assert set(by_address) == {"manager@gas.example", "clerk@gas.example"}
    assert counts == {"sent": 2, "failed": 0, "skipped": 2}
    staff_rows = _attachment_rows(by_address["clerk@gas.example"])
    assert len(staff_rows[0]) == 2  # the saved view's columns
    assert sorted(r[0] for r in staff_rows[1:]) == ["201", "202"]
    assert ["201", "'@SUM(A1)"] in staff_rows  # escaped
    assert "۱۴۰۳/۰۲/۱۲" in by_address["clerk@gas.example"].subject  # the Jalali day
    assert ScheduledReportDelivery.objects.count() == 2
    assert DocumentEvent.objects.filter(event_type=SavedListEvents.REPORT_SENT).count() == 2

    # A restarted scheduler, later the same day: nothing again.
    assert scheduled_reports.send_due(TEHRAN_9AM + datetime.timedelta(hours=3))["sent"] == 0
    assert len(mail.outbox) == 2
    # The next day: again.
    assert scheduled_reports.send_due(TEHRAN_9AM + datetime.timedelta(days=1))["sent"] == 2
    assert len(mail.outbox) == 4


def test_a_recipient_outside_the_desk_never_gets_another_offices_rows(world):
    """The record rules hold in a report too: the counter-office operator (whom the desk
    turns away) gets no list at all, and had they the desk, only their office's."""
    report = world["report"]
    operator = world["operator"]
    assert scheduled_reports.report_file(report, operator) is None
    operator.is_staff = True
    operator.save()
    assert scheduled_reports.report_file(report, operator) is None  # still no desk role
    table_rows = scheduled_reports.list_file(report.saved_list, world["clerk"], "xlsx")
    assert table_rows is not None and table_rows.rows == 2
    sheet = load_workbook(io.BytesIO(table_rows.body)).active
    assert sheet.max_row == 3


def test_not_before_the_hour_and_not_when_inactive(world):
    early = timezone.make_aware(datetime.datetime(2024, 5, 1, 6, 59))
    assert scheduled_reports.send_due(early)["sent"] == 0
    ScheduledReport.objects.update(active=False)
    assert scheduled_reports.send_due(TEHRAN_9AM)["sent"] == 0
    assert mail.outbox == []


def test_a_failed_mail_is_tried_again_next_run(world, settings):
    settings.EMAIL_BACKEND = "tests.doctype.saved_list.failing_mail.Backend"
    counts = scheduled_reports.send_due(TEHRAN_9AM)
    assert counts["failed"] == 2 and not ScheduledReportDelivery.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert scheduled_reports.send_due(TEHRAN_9AM)["sent"] == 2


def test_the_dashboard_goes_to_who_may_see_it(world):
    report = world["report"]
    report.saved_list = None
    report.file_format = "xlsx"
    report.save()
    scheduled_reports.send_due(TEHRAN_9AM)
    assert [m.to[0] for m in mail.outbox] == ["manager@gas.example"]
    name, body, _mimetype = mail.outbox[0].attachments[0]
    assert name == "dashboard.xlsx" and load_workbook(io.BytesIO(body)).sheetnames


@pytest.mark.parametrize("role", sorted(DESK_ROLES))
def test_only_the_manager_and_the_admin_manage_scheduled_reports(client, make_user, role):
    client.force_login(make_user(role))
    expected = 200 if role in {Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN} else 403
    listing = client.get(reverse("admin:meter_service_scheduledreport_changelist"))
    assert listing.status_code == expected
    assert client.get(reverse("admin:meter_service_scheduledreport_add")).status_code == expected


def test_the_manager_sets_up_a_report_in_the_desk(client, world):
    client.force_login(world["manager"])
    response = client.post(
        reverse("admin:meter_service_scheduledreport_add"),
        {
            "name": "گزارش هفتگی",
            "saved_list": SavedList.objects.get().pk,
            "to_managers": "on",
            "recipients": [world["clerk"].pk],
            "frequency": "weekly",
            "hour": "۸",
            "file_format": "xlsx",
            "active": "on",
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    report = ScheduledReport.objects.get(name="گزارش هفتگی")
    assert report.hour == 8 and report.created_by == world["manager"]
    assert DocumentEvent.objects.filter(event_type=SavedListEvents.REPORT_SCHEDULED).exists()
    bad = client.post(
        reverse("admin:meter_service_scheduledreport_add"),
        {"name": "x", "frequency": "daily", "hour": "25", "file_format": "csv"},
    )
    assert bad.status_code == 200 and not ScheduledReport.objects.filter(name="x").exists()


def test_deleting_a_report_is_audited(client, world):
    report = world["report"]
    client.force_login(world["manager"])
    url = reverse("admin:meter_service_scheduledreport_delete", args=[report.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not ScheduledReport.objects.exists()
    event = DocumentEvent.objects.get(event_type=SavedListEvents.REPORT_DELETED)
    assert event.actor == world["manager"] and event.parameters["name"] == "دفترها"


def test_the_scheduler_runs_the_job(world, settings):
    paths = [job["path"] for job in settings.METER_PERIODIC_JOBS]
    assert "apps.meter_service.jobs.scheduled_reports_send" in paths
    ScheduledReport.objects.update(hour=0)  # due whenever the test runs
    assert jobs.scheduled_reports_send()["sent"] == 2
    assert jobs.scheduled_reports_send()["sent"] == 0
