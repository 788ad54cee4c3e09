from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from apps.meter_service.admin_base import DocumentAdmin
from apps.meter_service.core.display import rial_text
from apps.meter_service.doctype.fee_tariff.models import FeeTariff
from apps.meter_service.doctype.fee_tariff.services import fee_tariff_save
from apps.meter_service.sites import staff_site


@admin.register(FeeTariff, site=staff_site)
class FeeTariffAdmin(DocumentAdmin):
    list_display = ["kind", "meter_size", "customer_type", "amount", "valid_from", "valid_to"]
    list_filter = ["kind", "meter_size", "customer_type"]
    fields = [
        "kind",
        "meter_size",
        "customer_type",
        "amount_rial",
        "valid_from",
        "valid_to",
        "note",
    ]

    @display(description=_("amount (Rial)"), ordering="amount_rial")
    def amount(self, obj):
        return rial_text(obj.amount_rial)

    def create_document(self, request, fields):
        return fee_tariff_save(actor=request.user, **fields)

    def update_document(self, request, instance, fields):
        return fee_tariff_save(tariff=instance, actor=request.user, **fields)
