from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from apps.meter_service import permissions
from apps.meter_service.audit.labels import EVENT_LABELS, event_label
from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core.desk_widgets import JalaliDateRangeFilter
from apps.meter_service.core.jalali import format_datetime
from apps.meter_service.list_tools import ListToolsMixin
from apps.meter_service.sites import staff_site


class EventTypeFilter(admin.SimpleListFilter):
    """Filter by event, listed by their translated names (not their codes)."""

    title = _("event")
    parameter_name = "event_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return sorted(((code, event_label(code)) for code in EVENT_LABELS), key=lambda c: c[1])

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[DocumentEvent]
    ) -> QuerySet[DocumentEvent]:
        value = self.value()
        return queryset.filter(event_type=value) if value else queryset


@admin.register(DocumentEvent, site=staff_site)
class DocumentEventAdmin(ListToolsMixin, ModelAdmin):
    """The audit trail: read-only for everyone, system administrators included; its list
    saved, its columns chosen and exported like every desk list (list_tools.py)."""

    # Its other fields (ids, the raw parameters) are not columns to pick.
    list_extra_fields = ("event_type",)

    list_display = ["at_jalali", "content_type", "object_repr", "event_display", "actor"]
    list_filter = [EventTypeFilter, "content_type", ("at", JalaliDateRangeFilter)]
    list_filter_submit = True
    search_fields = ["object_repr", "object_id", "event_type", "actor__username"]
    list_select_related = ["content_type", "actor"]
    readonly_fields = [
        "at_jalali",
        "content_type",
        "object_id",
        "object_repr",
        "event_display",
        "actor",
        "parameters",
    ]
    fields = readonly_fields

    @admin.display(description=_("at"), ordering="at")
    def at_jalali(self, obj: DocumentEvent) -> str:
        return format_datetime(obj.at)

    @admin.display(description=_("event"), ordering="event_type")
    def event_display(self, obj: DocumentEvent) -> str:
        return event_label(obj.event_type)

    def get_queryset(self, request: HttpRequest) -> QuerySet[DocumentEvent]:
        return permissions.scope(request.user, super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
