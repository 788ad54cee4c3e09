"""The desk's payments (read-only) and charges to the next bill (with the billing export)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display

from apps.meter_service import permissions
from apps.meter_service.admin_base import LogAdmin
from apps.meter_service.core.desk_widgets import JalaliDateRangeFilter
from apps.meter_service.core.display import rial_text
from apps.meter_service.core.jalali import format_datetime
from apps.meter_service.doctype.payment import selectors, services
from apps.meter_service.doctype.payment.models import BillCharge, Payment, PaymentStatus
from apps.meter_service.permissions import Role
from apps.meter_service.sites import staff_site

STATUS_COLORS = {
    PaymentStatus.INITIATED: "info",
    PaymentStatus.PAID: "success",
    PaymentStatus.FAILED: "danger",
    PaymentStatus.CANCELLED: "warning",
}
EXPORT_ROLES = (Role.BILLING_OFFICER, Role.SYSTEM_ADMIN)


class ReadOnlyDocumentAdmin(LogAdmin):
    """Rows written only by services: the desk lists and shows them, never edits them."""

    warn_unsaved_form = False

    @admin.display(description=_("created at"))
    def created_jalali(self, obj: Payment | BillCharge) -> str:
        return format_datetime(obj.created_at)

    @admin.display(description=_("exported at"))
    def exported_jalali(self, obj: Payment | BillCharge) -> str:
        return format_datetime(getattr(obj, "exported_at", None))


@admin.register(Payment, site=staff_site)
class PaymentAdmin(ReadOnlyDocumentAdmin):
    list_display = ["claim", "method", "amount", "status_label", "ref_id", "paid_at"]
    list_filter = ["status", "method", ("paid_at", JalaliDateRangeFilter)]
    list_filter_submit = True
    search_fields = ["claim__tracking_code", "ref_id", "authority", "receipt_number"]
    list_select_related = ["claim"]
    fields = [
        "claim",
        "method",
        "amount",
        "status",
        "failure_reason",
        "authority",
        "ref_id",
        "card_pan",
        "receipt_number",
        "recorded_by",
        "created_jalali",
        "paid_jalali",
        "verify_response",
    ]
    readonly_fields = fields

    # unfold's decorators are untyped (they return the method as it is): an error under
    # --strict only, hence unused-ignore for the project's own settings.
    @display(  # type: ignore[untyped-decorator, unused-ignore]
        description=_("status"), ordering="status", label=STATUS_COLORS
    )
    def status_label(self, obj: Payment) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @admin.display(description=_("amount (Rial)"), ordering="amount_rial")
    def amount(self, obj: Payment) -> str:
        return rial_text(obj.amount_rial)

    @admin.display(description=_("paid at"))
    def paid_jalali(self, obj: Payment) -> str:
        return format_datetime(obj.paid_at)


class ExportedFilter(admin.SimpleListFilter):
    title = _("exported")
    parameter_name = "exported"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("no", _("Waiting for export")), ("yes", _("Exported"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "no":
            return queryset.filter(exported_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(exported_at__isnull=False)
        return queryset


def _csv_response(csv_text: str, filename: str) -> HttpResponse:
    # A byte-order mark so spreadsheet programs read the Persian text as UTF-8.
    response = HttpResponse("\ufeff" + csv_text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.register(BillCharge, site=staff_site)
class BillChargeAdmin(ReadOnlyDocumentAdmin):
    list_display = ["claim", "bill_id", "amount", "created_at", "exported_at", "export_batch"]
    list_filter = [ExportedFilter, ("created_at", JalaliDateRangeFilter), "export_batch"]
    list_filter_submit = True
    search_fields = ["claim__tracking_code", "bill_id", "export_batch"]
    list_select_related = ["claim"]
    fields = ["claim", "bill_id", "amount", "created_jalali", "exported_jalali", "export_batch"]
    readonly_fields = fields
    actions = ["download_again"]
    actions_list = ["export_pending"]

    @admin.display(description=_("amount (Rial)"), ordering="amount_rial")
    def amount(self, obj: BillCharge) -> str:
        return rial_text(obj.amount_rial)

    def has_export_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.has_perm("meter_service.change_billcharge") and (
            user.is_superuser or permissions.has_role(user, *EXPORT_ROLES)
        )

    @action(
        description=_("Export pending charges (CSV)"),
        url_path="export",
        permissions=["export"],
        icon="download",
    )  # type: ignore[untyped-decorator, unused-ignore]  # unfold's: as status_label's
    def export_pending(self, request: HttpRequest) -> HttpResponse:
        """Ask first (GET), export on the confirming POST: an export marks charges exported."""
        changelist = reverse(f"{self.admin_site.name}:meter_service_billcharge_changelist")
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Export pending charges to the billing system"),
                "pending": selectors.bill_charges_pending().count(),
                "changelist_url": changelist,
            }
            return TemplateResponse(request, "meter_service/payment/export_confirm.html", context)
        batch_id, csv_text = services.bill_charges_export(actor=request.user)
        if not batch_id:
            self.message_user(request, _("No charges are waiting for export."), messages.INFO)
            return redirect(changelist)
        return _csv_response(csv_text, f"bill-charges-{batch_id}.csv")

    @admin.action(description=_("Download the selected exported charges again (CSV)"))
    def download_again(
        self, request: HttpRequest, queryset: QuerySet[BillCharge]
    ) -> HttpResponse | None:
        """Download rows already exported, without changing anything."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        charges = queryset.filter(exported_at__isnull=False).select_related(
            "claim", "claim__subscriber"
        )
        rows = [selectors.bill_charge_row(c) for c in charges.order_by("created_at", "id")]
        if not rows:
            self.message_user(request, _("None of the selected charges is exported yet."))
            return None
        return _csv_response(services.bill_charges_csv(rows), "bill-charges-again.csv")
