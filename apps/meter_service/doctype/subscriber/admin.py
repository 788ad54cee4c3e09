from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.desk_widgets import JalaliDateRangeFilter
from apps.meter_service.doctype.bill.admin import recent_bills_html
from apps.meter_service.doctype.custom_field.admin import CustomValuesAdmin
from apps.meter_service.doctype.custom_field.models import CustomFieldTarget
from apps.meter_service.doctype.meter.admin import InstallationHistoryInline
from apps.meter_service.doctype.subscriber import services
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.sites import staff_site


class InstallationInline(InstallationHistoryInline):
    fk_name = "subscriber"
    fields = readonly_fields = ["meter", *InstallationHistoryInline.history_columns]
    verbose_name_plural = _("meter history")


@admin.register(Subscriber, site=staff_site)
class SubscriberAdmin(CustomValuesAdmin):
    custom_target = CustomFieldTarget.SUBSCRIBER
    list_display = [
        "subscription_number",
        "name",
        "customer_type",
        "bill_id",
        "mobile",
        "city",
        "tariff_group",
        "climate_zone",
    ]
    list_filter = [
        "customer_type",
        "tariff_group",
        "climate_zone",
        "city",
        ("created_at", JalaliDateRangeFilter),
    ]
    list_filter_submit = True
    search_fields = [
        "subscription_number",
        "bill_id",
        "national_id",
        "national_legal_id",
        "name",
        "mobile",
    ]
    readonly_fields = ["created_at", "updated_at"]
    autocomplete_fields = ["user"]
    inlines = [InstallationInline]
    fieldsets = [
        (
            _("Subscription"),
            {"fields": ["subscription_number", "bill_id", "tariff_group", "climate_zone"]},
        ),
        (
            _("Holder"),
            {"fields": ["customer_type", "name", "national_id", "national_legal_id", "mobile"]},
        ),
        (_("Address"), {"fields": ["city", "address", "postal_code"]}),
        (_("Portal account"), {"fields": ["user"], "classes": ["collapse"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and request.user.has_perm("meter_service.view_bill"):
            fieldsets = [*fieldsets, (_("Bills"), {"fields": ["recent_bills"]})]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "recent_bills"]

    @admin.display(description=_("last bills"))
    def recent_bills(self, obj):
        return recent_bills_html(obj)

    def create_document(self, request, fields):
        return services.subscriber_create(actor=request.user, **fields)

    def update_document(self, request, instance, fields):
        return services.subscriber_update(subscriber=instance, actor=request.user, **fields)
