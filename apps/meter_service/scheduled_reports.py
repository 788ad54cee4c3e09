"""Mail the scheduled reports that are due (Frappe's Auto Email Report).

Each recipient gets what their own record rules and permissions let them see: a saved list
is built through its desk list (the admin's queryset, filters and columns) as that user; the
manager dashboard only to those who may view the dashboards. A delivery row per period and
recipient is taken before the mail goes, so a restarted scheduler never mails twice; a mail
that fails gives its row back for the next run.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.http import HttpRequest, QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.meter_service import list_tools, permissions
from apps.meter_service.core.display import is_persian, local_digits
from apps.meter_service.core.jalali import format_date
from apps.meter_service.dashboards import export as dashboard_export
from apps.meter_service.dashboards.forms import default_filter
from apps.meter_service.dashboards.selectors import dashboard_cached
from apps.meter_service.doctype.saved_list import rules, selectors, services
from apps.meter_service.doctype.saved_list.models import SavedList, ScheduledReport
from apps.meter_service.sites import staff_site

logger = logging.getLogger("meter_service.scheduled_reports")


@dataclass(frozen=True)
class ReportFile:
    """What one recipient is sent: a file with its rows, or only a note why not."""

    note: str
    rows: int = 0
    name: str = ""
    body: bytes = b""
    mimetype: str = ""


def _list_request(user: User, saved: SavedList) -> HttpRequest:
    request = HttpRequest()
    request.method = "GET"
    request.GET = QueryDict(saved.query)
    request.user = user
    request.META["SERVER_NAME"] = "localhost"
    request.META["SERVER_PORT"] = "80"
    request._meter_list_columns = saved.columns or None  # type: ignore[attr-defined]
    return request


def list_file(saved: SavedList, user: User, file_format: str) -> ReportFile | None:
    """The saved list as `user` would see it in the desk, or None when they may not."""
    model = apps.get_model(saved.app_label, saved.model_name)
    model_admin: Any = staff_site._registry.get(model)
    if model_admin is None:
        return None
    request = _list_request(user, saved)
    if not permissions.can_use_desk(user) or not model_admin.has_view_or_change_permission(request):
        return None
    try:
        changelist = model_admin.get_changelist_instance(request)
        table = list_tools.list_table(model_admin, request, changelist.queryset)
    except IncorrectLookupParameters:
        return ReportFile(note=_("The saved view's filters are no longer valid."))
    except list_tools.TooManyRows as over:
        return ReportFile(
            note=_(
                "The list has %(count)s rows, more than the %(limit)s a report holds; narrow "
                "the saved view's filters."
            )
            % {"count": local_digits(over.count), "limit": local_digits(over.limit)}
        )
    body = list_tools.file_body(table, file_format, right_to_left=is_persian())
    return ReportFile(
        note=_("%(rows)s rows, as the list showed them when this was sent.")
        % {"rows": local_digits(len(table.rows))},
        rows=len(table.rows),
        name=f"{saved.model_name}.{file_format}",
        body=body,
        mimetype=list_tools.FORMATS[file_format].split(";")[0],
    )


def dashboard_file(user: User, file_format: str) -> ReportFile | None:
    """The manager dashboard's figures (its default period), or None for who may not see it."""
    if not permissions.can_view_dashboards(user):
        return None
    tables = dashboard_export.dashboard_tables(dashboard_cached(default_filter())[0])
    if file_format == "csv":
        body = dashboard_export.to_csv(tables)
    else:
        body = dashboard_export.to_xlsx(tables, right_to_left=is_persian())
    return ReportFile(
        note=_("The service dashboard's figures."),
        rows=sum(len(t.rows) for t in tables),
        name=f"dashboard.{file_format}",
        body=body,
        mimetype=list_tools.FORMATS[file_format].split(";")[0],
    )


def report_file(report: ScheduledReport, user: User) -> ReportFile | None:
    if report.saved_list is None:
        return dashboard_file(user, report.file_format)
    return list_file(report.saved_list, user, report.file_format)


def _send(report: ScheduledReport, user: User, period: str, made: ReportFile) -> None:
    message = EmailMessage(
        subject=_("%(report)s, %(day)s")
        % {"report": report.name, "day": format_date(datetime.date.fromisoformat(period))},
        body=made.note,
        to=[user.email],
    )
    if made.body:
        message.attach(made.name, made.body, made.mimetype)
    message.send()


def send_due(now: datetime.datetime | None = None) -> dict[str, int]:
    """Send every active report due at `now` to each recipient who has not had it this
    period; return how many were sent, failed, and skipped (nothing the user may see)."""
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    now_local = timezone.localtime(now or timezone.now())
    with translation.override(settings.LANGUAGE_CODE):
        for report in ScheduledReport.objects.filter(active=True).select_related("saved_list"):
            period = rules.due_period(report.frequency, report.hour, now_local)
            if period is None:
                continue
            done = set(
                report.deliveries.filter(period=period).values_list("recipient_id", flat=True)
            )
            for user in selectors.report_recipients(report):
                if user.pk in done:
                    continue
                made = report_file(report, user)
                if made is None:
                    counts["skipped"] += 1
                    continue
                delivery = services.delivery_claim(
                    report=report, period=period, recipient=user, rows=made.rows
                )
                if delivery is None:  # another scheduler took it
                    continue
                try:
                    _send(report, user, period, made)
                except Exception:
                    logger.exception("scheduled report %s to %s failed", report.pk, user.pk)
                    services.delivery_failed(delivery=delivery)
                    counts["failed"] += 1
                    continue
                services.delivery_sent(delivery=delivery)
                counts["sent"] += 1
    return counts
