"""API serializers of bills: what the billing system sends, and what a bill reads as."""

from __future__ import annotations

from rest_framework import serializers

from apps.meter_service.api.fields import (
    BillIdField,
    BillPaymentValidator,
    PaymentIdField,
    SubscriptionNumberField,
)
from apps.meter_service.api.serializers import DigitNormalizingSerializer, FlexibleDateField
from apps.meter_service.doctype.bill.models import BillSource
from apps.meter_service.doctype.subscriber.models import ClimateZone, TariffGroup


def _quantity(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=3, min_value=0, **kwargs)


class BillInputSerializer(DigitNormalizingSerializer):
    """One bill as the billing system issued it; known by bill_id and payment_id together."""

    bill_id = BillIdField(
        gas_only=True, help_text="The subscription's bill ID; names the subscriber."
    )
    payment_id = PaymentIdField(help_text="The bill's payment ID; must belong to the bill ID.")
    period_start = FlexibleDateField(help_text="First day of the period (ISO, or Jalali).")
    period_end = FlexibleDateField(
        help_text="Day of the closing reading, exclusive: the next period's start."
    )
    previous_reading = _quantity()
    current_reading = _quantity()
    volume_m3 = _quantity(
        required=False,
        help_text=(
            "Billed volume; current_reading - previous_reading unless estimated or the meter "
            "was changed. Defaults to that difference."
        ),
    )
    amount_rial = serializers.IntegerField(min_value=0)
    tariff_group = serializers.ChoiceField(
        choices=TariffGroup.choices, required=False, help_text="Defaults to the subscriber's."
    )
    climate_zone = serializers.ChoiceField(
        choices=ClimateZone.choices, required=False, help_text="Defaults to the subscriber's."
    )
    is_estimated = serializers.BooleanField(required=False)
    meter_changed = serializers.BooleanField(
        required=False, help_text="The readings belong to two meters (one replaced in the period)."
    )
    issued_on = FlexibleDateField(required=False, allow_null=True)

    class Meta:
        validators = [BillPaymentValidator()]


class BillOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subscription_number = serializers.CharField(source="subscriber.subscription_number")
    bill_id = serializers.CharField()
    payment_id = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField(help_text="Exclusive: the next period's start.")
    previous_reading = serializers.DecimalField(max_digits=12, decimal_places=3)
    current_reading = serializers.DecimalField(max_digits=12, decimal_places=3)
    volume_m3 = serializers.DecimalField(max_digits=12, decimal_places=3)
    amount_rial = serializers.IntegerField()
    tariff_group = serializers.ChoiceField(choices=TariffGroup.choices)
    climate_zone = serializers.ChoiceField(choices=ClimateZone.choices)
    is_estimated = serializers.BooleanField()
    meter_changed = serializers.BooleanField()
    issued_on = serializers.DateField(allow_null=True)
    # A declared field, taken off the class by the serializer's metaclass: it does not
    # replace Field.source, as the stubs think.
    source = serializers.ChoiceField(choices=BillSource.choices)  # type: ignore[assignment]


class BillUpsertResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=["created", "updated", "unchanged"])
    bill = BillOutputSerializer()


class BillUpsertOutputSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    results = BillUpsertResultSerializer(many=True, help_text="In the order sent.")


class BillListFilterSerializer(DigitNormalizingSerializer):
    """Filters of the bill list: digits only (Persian digits too); no match is an empty list."""

    subscription_number = SubscriptionNumberField(required=False)
    bill_id = serializers.RegexField(r"^[0-9]{1,13}$", required=False)

    def validate_bill_id(self, value: str) -> str:
        return value.lstrip("0")  # stored without leading zeros, as the bank barcode pads them
