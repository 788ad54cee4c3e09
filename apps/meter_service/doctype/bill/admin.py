"""The desk's bills: the billing history the billing system sends, and a subscriber's bills."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.meter_service.admin_base import DocumentAdmin, ReadOnlyInline
from apps.meter_service.desk_widgets import JalaliDateRangeFilter
from apps.meter_service.display import format_quantity
from apps.meter_service.doctype.bill import rules, services
from apps.meter_service.doctype.bill.models import Bill
from apps.meter_service.forms import DigitNormalizingModelForm
from apps.meter_service.jalali import format_date
from apps.meter_service.sites import staff_site
from apps.meter_service.templatetags.meter_tags import rial


def period_text(bill: Bill) -> str:
    """The period as a statement shows it: from the start to the closing reading's day."""
    return f"{format_date(bill.period_start)} – {format_date(bill.period_end)}"


class BillColumns:
    @admin.display(description=_("period"), ordering="period_start")
    def period(self, obj: Bill) -> str:
        return period_text(obj)

    @admin.display(description=_("volume (m³)"), ordering="volume_m3")
    def volume(self, obj: Bill) -> str:
        return format_quantity(obj.volume_m3)

    @admin.display(description=_("amount (Rial)"), ordering="amount_rial")
    def amount(self, obj: Bill) -> str:
        return rial(obj.amount_rial)


class SubscriberBillInline(BillColumns, ReadOnlyInline):
    """A subscriber's bills, newest first, a page at a time."""

    model = Bill
    fk_name = "subscriber"
    fields = readonly_fields = ["period", "volume", "amount", "is_estimated", "payment_id"]
    ordering = ["-period_start"]
    per_page = 12
    verbose_name_plural = _("bills")


class BillForm(DigitNormalizingModelForm):
    def _post_clean(self) -> None:
        super()._post_clean()  # the instance holds the form's values from here on
        bill = self.instance
        if self.errors or not bill.subscriber_id:
            return
        try:
            rules.check_no_overlap(bill, Bill.objects.filter(subscriber_id=bill.subscriber_id))
        except ValidationError as error:
            self._update_errors(error)


@admin.register(Bill, site=staff_site)
class BillAdmin(BillColumns, DocumentAdmin):
    form = BillForm
    list_display = [
        "subscriber",
        "period",
        "volume",
        "amount",
        "tariff_group",
        "is_estimated",
        "source",
    ]
    list_filter = [
        "tariff_group",
        "climate_zone",
        "is_estimated",
        "meter_changed",
        "source",
        ("period_start", JalaliDateRangeFilter),
    ]
    list_filter_submit = True
    list_select_related = ["subscriber"]
    search_fields = ["bill_id", "payment_id", "subscriber__subscription_number", "subscriber__name"]
    autocomplete_fields = ["subscriber"]
    fieldsets = [
        (None, {"fields": ["subscriber", "bill_id", "payment_id", "issued_on"]}),
        (
            _("Period and readings"),
            {
                "fields": [
                    "period_start",
                    "period_end",
                    "previous_reading",
                    "current_reading",
                    "volume_m3",
                    "is_estimated",
                    "meter_changed",
                ]
            },
        ),
        (_("Amount and tariff"), {"fields": ["amount_rial", "tariff_group", "climate_zone"]}),
        (_("Record"), {"fields": ["source", "created_at", "updated_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["source", "created_at", "updated_at"]
        if obj is not None:  # a bill's identity never changes; a new one is a new bill
            readonly += ["subscriber", *rules.IDENTITY]
        return readonly

    def create_document(self, request, fields):
        subscriber = fields.pop("subscriber")
        return services.bill_create(
            subscriber=subscriber, fields=fields, source="desk", actor=request.user
        )

    def update_document(self, request, instance, fields):
        return services.bill_update(bill=instance, fields=fields, source="desk", actor=request.user)
