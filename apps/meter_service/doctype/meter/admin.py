from django.contrib import admin
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action

from apps.meter_service import permissions
from apps.meter_service.admin_base import DocumentAdmin, ReadOnlyInline
from apps.meter_service.core.desk_widgets import JalaliDateRangeFilter
from apps.meter_service.core.display import format_quantity
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.meter import history, services
from apps.meter_service.doctype.meter.forms import MeterInstallForm, MeterRemoveForm
from apps.meter_service.doctype.meter.models import Meter, MeterInstallation
from apps.meter_service.sites import staff_site


class InstallationHistoryInline(ReadOnlyInline):
    """Installation periods, newest first: on a meter's page and on a subscriber's."""

    model = MeterInstallation
    history_columns = ["installed_jalali", "initial", "removed_jalali", "final", "reason"]

    @admin.display(description=_("installed on"))
    def installed_jalali(self, obj):
        return format_date(obj.installed_on)

    @admin.display(description=_("removed on"))
    def removed_jalali(self, obj):
        return format_date(obj.removed_on)

    @admin.display(description=_("initial reading (m³)"))
    def initial(self, obj):
        return format_quantity(obj.initial_reading)

    @admin.display(description=_("final reading (m³)"))
    def final(self, obj):
        return format_quantity(obj.final_reading)


class MeterHistoryInline(InstallationHistoryInline):
    fk_name = "meter"
    fields = readonly_fields = ["subscriber", *InstallationHistoryInline.history_columns]
    verbose_name_plural = _("installation history")


@admin.register(Meter, site=staff_site)
class MeterAdmin(DocumentAdmin):
    list_display = [
        "serial",
        "make",
        "model",
        "size",
        "accuracy_class",
        "status",
        "install_date",
        "last_test_date",
    ]
    list_filter = [
        "status",
        "size",
        "accuracy_class",
        "make",
        ("install_date", JalaliDateRangeFilter),
        ("last_test_date", JalaliDateRangeFilter),
    ]
    list_filter_submit = True
    search_fields = ["serial", "make", "model"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MeterHistoryInline]
    fieldsets = [
        (_("Meter"), {"fields": ["serial", "make", "model", "size", "accuracy_class"]}),
        (
            _("Life"),
            {"fields": ["manufacture_year", "status", "install_date", "last_test_date"]},
        ),
    ]

    actions_detail = ["service_history_action"]

    @action(description=_("Service history"), url_path="service-history", icon="history")
    def service_history_action(self, request, object_id):
        meter = permissions.access(request.user, Meter.objects.all(), object_id)
        return redirect(history.history_url(meter.serial))

    def get_urls(self):
        page = path(
            "service-history/<path:serial>/",
            self.admin_site.admin_view(self.service_history_view),
            name="meter_service_meter_service_history",
        )
        return [page, *super().get_urls()]

    def service_history_view(self, request, serial: str):
        """Every installation, claim, test and replacement of one meter, oldest first."""
        if not self.has_view_permission(request):
            raise Http404(_("No such record."))
        meter = permissions.scope(request.user, Meter.objects.filter(serial=serial)).first()
        if meter is None:
            raise Http404(_("No such record."))
        context = self.page_context(
            request,
            title=_("Service history of meter %(serial)s") % {"serial": meter.serial},
            meter=meter,
            sections=history.meter_history(meter=meter, user=request.user),
            meter_url=self.page_url("change", meter.pk),
        )
        return TemplateResponse(request, "meter_service/meter/history.html", context)

    def create_document(self, request, fields):
        return services.meter_create(actor=request.user, **fields)

    def update_document(self, request, instance, fields):
        return services.meter_update(meter=instance, actor=request.user, **fields)


@admin.register(MeterInstallation, site=staff_site)
class MeterInstallationAdmin(DocumentAdmin):
    list_display = [
        "meter",
        "subscriber",
        "installed_on",
        "initial_reading_display",
        "removed_on",
        "final_reading_display",
        "reason",
    ]
    list_filter = [
        "reason",
        ("installed_on", JalaliDateRangeFilter),
        ("removed_on", JalaliDateRangeFilter),
    ]
    list_filter_submit = True
    search_fields = ["meter__serial", "subscriber__subscription_number", "subscriber__bill_id"]
    list_select_related = ["meter", "subscriber"]

    @admin.display(description=_("initial reading (m³)"), ordering="initial_reading")
    def initial_reading_display(self, obj):
        return format_quantity(obj.initial_reading)

    @admin.display(description=_("final reading (m³)"), ordering="final_reading")
    def final_reading_display(self, obj):
        return format_quantity(obj.final_reading)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = MeterRemoveForm if obj is not None else MeterInstallForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            fields = [
                "subscriber",
                "meter",
                "installed_on",
                "initial_reading",
                "reason",
                "removed_meter_final_reading",
            ]
        else:
            fields = ["removed_on", "final_reading"]
        return [(None, {"fields": fields})]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.removed_on is not None:
            return ["removed_on", "final_reading"]
        return []

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            original = MeterInstallation.objects.get(pk=obj.pk)
            saved = services.meter_remove(
                installation=original,
                removed_on=data["removed_on"],
                final_reading=data["final_reading"],
                actor=request.user,
            )
        else:
            saved = services.meter_install(
                subscriber=data["subscriber"],
                meter=data["meter"],
                installed_on=data["installed_on"],
                initial_reading=data["initial_reading"],
                reason=data["reason"],
                removed_meter_final_reading=data.get("removed_meter_final_reading"),
                actor=request.user,
            )
        obj.pk = saved.pk
        obj._state.adding = False
