"""Save and delete list views, record exports, keep scheduled reports and their deliveries."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.meter_service.audit.events import record_event
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.saved_list import rules
from apps.meter_service.doctype.saved_list.error_codes import SavedListErrorCode
from apps.meter_service.doctype.saved_list.events import SavedListEvents
from apps.meter_service.doctype.saved_list.models import (
    SavedList,
    ScheduledReport,
    ScheduledReportDelivery,
)
from apps.meter_service.permissions import (
    DESK_ROLES,
    Role,
    has_role,
    may_manage_scheduled_reports,
    roles_of,
)


def may_share_with(user: User, role: str) -> bool:
    """A view is shared with a desk role its owner holds; the service manager and the system
    administrator share with any desk role."""
    if role not in DESK_ROLES:
        return False
    return role in roles_of(user) or has_role(user, Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN)


def saved_list_save(
    *,
    actor: User,
    app_label: str,
    model_name: str,
    name: str,
    query: str,
    columns: list[str],
    allowed_columns: list[str],
    shared_role: str = "",
) -> SavedList:
    """Save the list's current view under a name (the owner's view of that name is
    replaced). Raises ValidationError, writing nothing, on a bad name, column or role."""
    name = rules.clean_name(name)
    chosen = rules.clean_columns(columns, allowed_columns) if columns else []
    if shared_role and not may_share_with(actor, shared_role):
        raise ValidationError(
            _("You may not share a view with that role."),
            code=SavedListErrorCode.VIEW_ROLE_NOT_ALLOWED,
        )
    with transaction.atomic():
        view, created = SavedList.objects.update_or_create(
            owner=actor,
            app_label=app_label,
            model_name=model_name,
            name=name,
            defaults={
                "query": rules.clean_query(query),
                "columns": chosen,
                "shared_role": shared_role,
            },
        )
        record_event(
            document=view,
            event_type=SavedListEvents.LIST_VIEW_SAVED,
            actor=actor,
            parameters={
                "list": f"{app_label}.{model_name}",
                "query": view.query,
                "columns": chosen,
                "shared_role": shared_role,
                "created": created,
            },
        )
    return view


def saved_list_delete(*, actor: User, saved_list: SavedList) -> None:
    """Delete one of the actor's own views (a shared view is its owner's to delete)."""
    if saved_list.owner_id != actor.pk:
        raise PermissionDenied(_("Only the owner deletes a view."))
    with transaction.atomic():
        record_event(
            document=saved_list,
            event_type=SavedListEvents.LIST_VIEW_DELETED,
            actor=actor,
            parameters={"list": f"{saved_list.app_label}.{saved_list.model_name}"},
        )
        saved_list.delete()


def list_export_record(
    *, actor: Actor, user: User, list_label: str, query: str, rows: int, file_format: str
) -> None:
    """Audit one export of a desk list: who (the user's own trail), which list, how many rows."""
    record_event(
        document=user,
        event_type=SavedListEvents.LIST_EXPORTED,
        actor=actor,
        parameters={"list": list_label, "query": query, "rows": rows, "format": file_format},
    )


def scheduled_report_save(
    *, actor: User, report: ScheduledReport, changed: list[str] | None = None
) -> ScheduledReport:
    """Save a scheduled report set up in the desk (its form has checked the fields) and
    audit it; only the service manager and the system administrator do."""
    if not may_manage_scheduled_reports(actor):
        raise PermissionDenied(_("Only the service manager sets up scheduled reports."))
    rules.clean_hour(report.hour)
    created = report.pk is None
    if created:
        report.created_by = actor
    with transaction.atomic():
        report.save()
        record_event(
            document=report,
            event_type=SavedListEvents.REPORT_SCHEDULED,
            actor=actor,
            parameters={
                "created": created,
                "changed": changed or [],
                "saved_list": report.saved_list_id,
                "frequency": report.frequency,
                "hour": report.hour,
                "format": report.file_format,
                "active": report.active,
            },
        )
    return report


def scheduled_report_delete(*, actor: User, report: ScheduledReport) -> None:
    """Delete a scheduled report (its deliveries go with it), audited."""
    if not may_manage_scheduled_reports(actor):
        raise PermissionDenied(_("Only the service manager sets up scheduled reports."))
    with transaction.atomic():
        record_event(
            document=report,
            event_type=SavedListEvents.REPORT_DELETED,
            actor=actor,
            parameters={"name": report.name, "saved_list": report.saved_list_id},
        )
        report.delete()


def delivery_claim(
    *, report: ScheduledReport, period: str, recipient: User, rows: int
) -> ScheduledReportDelivery | None:
    """Take the period's delivery to one recipient before sending; None when it was taken
    already (sent before, or by another scheduler)."""
    try:
        with transaction.atomic():
            return ScheduledReportDelivery.objects.create(
                report=report, period=period, recipient=recipient, rows=rows
            )
    except IntegrityError:
        return None


def delivery_sent(*, delivery: ScheduledReportDelivery) -> None:
    record_event(
        document=delivery.report,
        event_type=SavedListEvents.REPORT_SENT,
        actor=None,
        parameters={
            "period": delivery.period,
            "recipient": delivery.recipient.username,
            "rows": delivery.rows,
        },
    )


def delivery_failed(*, delivery: ScheduledReportDelivery) -> None:
    """Give the delivery back when the mail could not be sent: the next tick tries again."""
    delivery.delete()
