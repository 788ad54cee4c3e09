"""The desk's scheduled reports: a saved list or the manager dashboard, mailed on a schedule.

Saved views themselves are kept from every list's own page (list_tools.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from apps.meter_service import permissions
from apps.meter_service.admin_base import DocumentAdmin, ReadOnlyInline
from apps.meter_service.doctype.saved_list import selectors, services
from apps.meter_service.doctype.saved_list.models import ScheduledReport, ScheduledReportDelivery
from apps.meter_service.sites import staff_site


class DeliveryInline(ReadOnlyInline):
    model = ScheduledReportDelivery
    fields = ("period", "recipient", "rows", "sent_at")
    readonly_fields = fields
    show_change_link = False
    max_num = 0


@admin.register(ScheduledReport, site=staff_site)
class ScheduledReportAdmin(DocumentAdmin):
    list_display = ("name", "source", "frequency", "hour", "file_format", "active")
    list_filter = ("active", "frequency")
    list_select_related = ("saved_list",)
    search_fields = ("name",)
    fields = (
        "name",
        "saved_list",
        "to_managers",
        "recipients",
        "frequency",
        "hour",
        "file_format",
        "active",
    )
    filter_horizontal = ("recipients",)
    inlines = [DeliveryInline]

    @admin.display(description=_("saved list"), ordering="saved_list__name")
    def source(self, obj: ScheduledReport) -> str:
        return obj.saved_list.name if obj.saved_list else str(_("Service dashboard"))

    def _may(self, request) -> bool:
        return permissions.may_manage_scheduled_reports(request.user)

    def has_module_permission(self, request) -> bool:
        return self._may(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._may(request)

    def has_add_permission(self, request) -> bool:
        return self._may(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._may(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._may(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "saved_list":
            # The views the manager may apply: their own and those shared with their roles.
            kwargs["queryset"] = selectors.saved_lists_usable(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "recipients":
            kwargs["queryset"] = User.objects.filter(is_active=True, is_staff=True).order_by(
                "username"
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj: Any, form, change) -> None:
        services.scheduled_report_save(actor=request.user, report=obj, changed=form.changed_data)

    def delete_model(self, request, obj: Any) -> None:
        services.scheduled_report_delete(actor=request.user, report=obj)

    def delete_queryset(self, request, queryset) -> None:
        for report in queryset:
            services.scheduled_report_delete(actor=request.user, report=report)
