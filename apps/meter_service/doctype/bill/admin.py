"""The desk's bills: the billing history the billing system sends, and a subscriber's bills."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from apps.meter_service.admin_base import DocumentAdmin
from apps.meter_service.core.desk_widgets import JalaliDateRangeFilter
from apps.meter_service.core.display import format_quantity, rial_text
from apps.meter_service.core.forms import DigitNormalizingModelForm
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.bill import rules, services
from apps.meter_service.doctype.bill.models import Bill
from apps.meter_service.sites import staff_site


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
        return rial_text(obj.amount_rial)


RECENT_BILLS = 12


def recent_bills_html(subscriber) -> str:
    """The subscriber's last bills as a small table, with a link to all of them.

    A read-only block rather than an inline: an inline's formset would have to be posted
    back with every change of the subscriber.
    """
    bills = list(subscriber.bills.order_by("-period_start")[:RECENT_BILLS])
    if not bills:
        return str(_("No bills received yet."))
    headers = [_("period"), _("volume (m³)"), _("amount (Rial)"), _("estimated"), _("payment ID")]
    rows = format_html_join(
        "",
        '<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td dir="ltr">{}</td></tr>',
        (
            (
                period_text(bill),
                format_quantity(bill.volume_m3),
                rial_text(bill.amount_rial),
                _("Yes") if bill.is_estimated else _("No"),
                bill.payment_id,
            )
            for bill in bills
        ),
    )
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    link = (
        reverse("admin:meter_service_bill_changelist") + f"?subscriber__id__exact={subscriber.pk}"
    )
    return format_html(
        '<table class="subscriber-bills"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>'
        '<p><a href="{}">{}</a></p>',
        head,
        rows,
        link,
        _("All bills of this subscription"),
    )


class BillForm(DigitNormalizingModelForm):
    def _post_clean(self) -> None:
        # The instance holds the form's values from here on. (The stubs lack this hook.)
        super()._post_clean()  # type: ignore[misc]
        bill = self.instance
        if self.errors or not bill.subscriber_id:
            return
        try:
            rules.check_no_overlap(bill, Bill.objects.filter(subscriber_id=bill.subscriber_id))
        except ValidationError as error:
            self._update_errors(error)  # type: ignore[attr-defined]  # Django's, not in the stubs


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
