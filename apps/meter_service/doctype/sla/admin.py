"""Holidays (entered in Jalali) and the service-level clocks (read-only) in the desk."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from apps.meter_service.admin_base import DocumentAdmin, LogAdmin
from apps.meter_service.core import tracking
from apps.meter_service.core.display import format_quantity, local_digits
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.core.jalali import format_datetime, to_jalali, use_jalali
from apps.meter_service.core.model_fields import model_field
from apps.meter_service.doctype.sla import selectors, services
from apps.meter_service.doctype.sla.calendar import load_calendar
from apps.meter_service.doctype.sla.models import Holiday, SlaClock, SlaState
from apps.meter_service.sites import staff_site

STATE_COLORS = {
    SlaState.ON_TRACK: "success",
    SlaState.AT_RISK: "warning",
    SlaState.BREACHED: "danger",
}


class JalaliYearFilter(admin.SimpleListFilter):
    """Filter holidays by the Jalali year they fall in."""

    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        dates = model_admin.get_queryset(request).values_list("date", flat=True)
        years = sorted({to_jalali(d).year for d in dates}, reverse=True)
        return [(str(y), to_persian_digits(str(y)) if use_jalali() else str(y)) for y in years]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        import jdatetime

        try:
            year = int(value)
        except ValueError:
            return queryset.none()
        start = jdatetime.date(year, 1, 1).togregorian()
        end = jdatetime.date(year + 1, 1, 1).togregorian()
        return queryset.filter(date__gte=start, date__lt=end)


@admin.register(Holiday, site=staff_site)
class HolidayAdmin(DocumentAdmin):
    list_display = ["date", "weekday", "name", "name_en", "half_day"]
    list_filter = [JalaliYearFilter, "half_day"]
    search_fields = ["name", "name_en"]
    fields = ["date", "name", "name_en", "half_day"]

    @display(description=_("weekday"))
    def weekday(self, obj):
        # Django's own day names, translated by its catalogue.
        from django.utils.dates import WEEKDAYS

        return WEEKDAYS[obj.date.weekday()]

    def create_document(self, request, fields):
        return services.holiday_save(actor=request.user, **fields)

    def update_document(self, request, instance, fields):
        return services.holiday_save(holiday=instance, actor=request.user, **fields)


def _hours(seconds: int) -> str:
    """Show working seconds as hours to one decimal, in the active digits."""
    hours = (Decimal(seconds) / 3600).quantize(Decimal("0.1"))
    return local_digits(format_quantity(hours))


def _shown_in_calendar(name: str):
    """Return a read-only column showing a date-time field of the clock in the desk calendar."""
    field = model_field(SlaClock, name)

    @display(description=field.verbose_name)
    def column(self, obj):
        return format_datetime(getattr(obj, name)) or "—"

    column.__name__ = f"{name}_display"
    return column


@admin.register(SlaClock, site=staff_site)
class SlaClockAdmin(LogAdmin):
    list_display = ["code", "state_label", "worked_hours", "due", "started_at", "stopped_at"]
    list_filter = ["state", "paused"]
    search_fields = ["claim__tracking_code"]
    list_select_related = ["claim"]
    readonly_fields = [
        "code",
        "state_label",
        "worked_hours",
        "target_hours",
        "due",
        "paused",
        "started_at_display",
        "running_since_display",
        "stopped_at_display",
        "state_at_display",
        "warned_at_display",
        "escalated_at_display",
        "breached_at_display",
    ]
    fields = readonly_fields

    started_at_display = _shown_in_calendar("started_at")
    running_since_display = _shown_in_calendar("running_since")
    stopped_at_display = _shown_in_calendar("stopped_at")
    state_at_display = _shown_in_calendar("state_at")
    warned_at_display = _shown_in_calendar("warned_at")
    escalated_at_display = _shown_in_calendar("escalated_at")
    breached_at_display = _shown_in_calendar("breached_at")

    def get_changelist_instance(self, request):
        # One holiday list and one "now" for the whole page, not one per row; kept on the
        # rows themselves, as this admin object is shared between requests.
        changelist = super().get_changelist_instance(request)
        context = (load_calendar(), timezone.now())
        for clock in changelist.result_list:
            clock._sla_context = context
        return changelist

    @staticmethod
    def _context(obj):
        return getattr(obj, "_sla_context", None) or (load_calendar(), timezone.now())

    @display(description=_("tracking code"), ordering="claim__tracking_code")
    def code(self, obj):
        return format_html(
            '<span class="meter-ltr">{}</span>', tracking.display(obj.claim.tracking_code)
        )

    @display(
        description=_("service level"),
        ordering="state",
        label={str(v): c for v, c in STATE_COLORS.items()},
    )
    def state_label(self, obj):
        # The stored state, as the filter uses it (refreshed by the periodic job).
        return obj.state, obj.get_state_display()

    @display(description=_("working hours used"))
    def worked_hours(self, obj):
        calendar, now = self._context(obj)
        return _hours(selectors.sla_worked_seconds(obj, now, calendar=calendar))

    @display(description=_("target (hours)"))
    def target_hours(self, obj):
        return _hours(obj.target_seconds)

    @display(description=_("due"))
    def due(self, obj):
        """When the target is used up: the breach time once breached, none once stopped."""
        if obj.breached_at is not None:
            return format_datetime(obj.breached_at)
        if obj.stopped_at is not None:
            return "—"
        calendar, now = self._context(obj)
        return format_datetime(selectors.sla_due_at(obj, 1.0, now, calendar=calendar))
