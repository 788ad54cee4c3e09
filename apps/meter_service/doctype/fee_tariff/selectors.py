"""Reads of fee tariffs: the fee a claim would cost."""

from __future__ import annotations

import datetime
from decimal import Decimal

from apps.meter_service.doctype.fee_tariff import rules
from apps.meter_service.doctype.fee_tariff.models import FeeKind, FeeTariff
from apps.meter_service.doctype.rule_setting.selectors import rule_value
from apps.meter_service.reference_data import reference

# Channels whose own fee is added to the test fee, and the tariff kind that holds it.
CHANNEL_FEE_KINDS = {"counter_office": FeeKind.COUNTER_OFFICE}


def fee_quote(
    *, meter_size: str, customer_type: str, channel: str, on_date: datetime.date
) -> rules.FeeQuote:
    """Return the fee for a claim filed on a date; raise ValidationError when none applies."""
    # Few rows, read whole: pick_tariff keeps those in force on the date.
    tariffs = reference("fee_tariffs", lambda: tuple(FeeTariff.objects.all()))
    test = rules.pick_tariff(
        [t for t in tariffs if t.kind == FeeKind.METER_TEST],
        meter_size=meter_size,
        customer_type=customer_type,
        on_date=on_date,
    )
    if test is None:
        raise rules.no_tariff_error(on_date)
    channel_tariff = None
    kind = CHANNEL_FEE_KINDS.get(channel)
    if kind is not None:
        channel_tariff = rules.pick_tariff(
            [t for t in tariffs if t.kind == kind],
            meter_size=meter_size,
            customer_type=customer_type,
            on_date=on_date,
        )
    percent = Decimal(str(rule_value("VAT_PERCENT", on=on_date)))
    return rules.FeeQuote(
        test_fee=test.amount_rial,
        vat=rules.vat_of(test.amount_rial, percent),
        channel_fee=channel_tariff.amount_rial if channel_tariff else 0,
        vat_percent=str(percent),
        test_tariff_id=test.pk,
        channel_tariff_id=channel_tariff.pk if channel_tariff else None,
    )
