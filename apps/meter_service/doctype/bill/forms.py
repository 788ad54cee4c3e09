"""Forms of bills: one row of a bills file (CSV or XLSX) from the billing system."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from apps.meter_service.core import formfields, identifiers, validators
from apps.meter_service.core.error_codes import IdentifierErrorCode
from apps.meter_service.core.forms import DigitNormalizingForm
from apps.meter_service.core.jalali import JalaliDateField
from apps.meter_service.core.model_fields import model_field
from apps.meter_service.doctype.bill.models import Bill
from apps.meter_service.doctype.import_batch.forms import ImportBooleanField, ImportChoiceField
from apps.meter_service.doctype.subscriber.models import ClimateZone, TariffGroup


def _label(name: str):
    return model_field(Bill, name).verbose_name


def _quantity(name: str, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=_label(name),
        required=required,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=3,
    )


class BillImportForm(DigitNormalizingForm):
    """One bill; the subscriber is the one whose bill ID it carries."""

    bill_id = formfields.BillIdField(label=_label("bill_id"), gas_only=True)
    payment_id = formfields.PaymentIdField(label=_label("payment_id"))
    period_start = JalaliDateField(label=_label("period_start"))
    period_end = JalaliDateField(label=_label("period_end"))
    previous_reading = _quantity("previous_reading")
    current_reading = _quantity("current_reading")
    volume_m3 = _quantity("volume_m3", required=False)
    amount_rial = forms.IntegerField(label=_label("amount_rial"), min_value=0)
    tariff_group = ImportChoiceField(
        label=_label("tariff_group"), choices=TariffGroup.choices, required=False, empty_value=""
    )
    climate_zone = ImportChoiceField(
        label=_label("climate_zone"),
        choices=ClimateZone.choices,
        required=False,
        coerce=int,
        empty_value=None,
    )
    is_estimated = ImportBooleanField(label=_label("is_estimated"), required=False)
    meter_changed = ImportBooleanField(label=_label("meter_changed"), required=False)
    issued_on = JalaliDateField(label=_label("issued_on"), required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        bill_id, payment_id = cleaned.get("bill_id"), cleaned.get("payment_id")
        if (
            bill_id
            and payment_id
            and not identifiers.is_valid_payment_id(payment_id, bill_id=bill_id)
        ):
            self.add_error(
                "payment_id",
                forms.ValidationError(
                    validators.MESSAGES[IdentifierErrorCode.PAYMENT_ID_MISMATCH],
                    code=IdentifierErrorCode.PAYMENT_ID_MISMATCH,
                ),
            )
        return cleaned
