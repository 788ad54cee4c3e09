"""Fee rules: which tariff applies, and what a claim costs. Pure functions, no writes."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.fee_tariff.error_codes import FeeTariffErrorCode
from apps.meter_service.doctype.fee_tariff.models import FeeTariff


@dataclass(frozen=True)
class FeeQuote:
    """What a claim costs, in integer Rial, and which tariffs it came from."""

    test_fee: int
    vat: int
    channel_fee: int
    vat_percent: str
    test_tariff_id: int
    channel_tariff_id: int | None

    @property
    def total(self) -> int:
        return self.test_fee + self.vat + self.channel_fee


def in_force(tariff: FeeTariff, on_date: datetime.date) -> bool:
    return tariff.valid_from <= on_date and (tariff.valid_to is None or on_date <= tariff.valid_to)


def specificity(tariff: FeeTariff) -> int:
    """Rank a tariff: one naming the size and the customer type beats a general one."""
    return int(bool(tariff.meter_size)) * 2 + int(bool(tariff.customer_type))


def pick_tariff(
    tariffs: Iterable[FeeTariff], *, meter_size: str, customer_type: str, on_date: datetime.date
) -> FeeTariff | None:
    """Return the most specific tariff in force on the date that fits, or None."""
    fitting = [
        t
        for t in tariffs
        if in_force(t, on_date)
        and t.meter_size in ("", meter_size)
        and t.customer_type in ("", customer_type)
    ]
    if not fitting:
        return None
    return max(fitting, key=lambda t: (specificity(t), t.valid_from))


def vat_of(amount: int, percent: Decimal) -> int:
    """Return the VAT on an amount, rounded half up to a whole Rial."""
    return int((Decimal(amount) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def check_no_overlap(tariff: FeeTariff, others: Iterable[FeeTariff]) -> None:
    """Raise ValidationError when another tariff for the same case overlaps in time."""
    end = tariff.valid_to or datetime.date.max
    for other in others:
        if other.pk == tariff.pk:
            continue
        if (other.kind, other.meter_size, other.customer_type) != (
            tariff.kind,
            tariff.meter_size,
            tariff.customer_type,
        ):
            continue
        other_end = other.valid_to or datetime.date.max
        if tariff.valid_from <= other_end and other.valid_from <= end:
            raise ValidationError(
                {
                    "valid_from": ValidationError(
                        _("Another tariff for the same case is in force from %(date)s."),
                        code=FeeTariffErrorCode.TARIFF_OVERLAP,
                        params={"date": format_date(other.valid_from)},
                    )
                }
            )


def no_tariff_error(on_date: datetime.date) -> ValidationError:
    return ValidationError(
        _("No meter test fee is in force on %(date)s; ask the service desk."),
        code=FeeTariffErrorCode.NO_TARIFF,
        params={"date": format_date(on_date)},
    )
