"""Bill rules: the identifiers, readings and periods of a bill. Pure, no queries, no writes."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import identifiers
from apps.meter_service.core.display import format_quantity
from apps.meter_service.core.error_codes import IdentifierErrorCode
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.bill.error_codes import BillErrorCode

# Fields a bill's identity is made of; the rest may be corrected by a later import.
IDENTITY = ("bill_id", "payment_id")


def _error(field: str, message, code: str, **params) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code, params=params)})


def check_bill(bill) -> None:
    """Check what a bill says against itself and its subscription."""
    subscriber = getattr(bill, "subscriber", None) if bill.subscriber_id else None
    if subscriber is not None and bill.bill_id and bill.bill_id != subscriber.bill_id:
        raise _error(
            "bill_id",
            _("This bill ID is not the bill ID of this subscription."),
            BillErrorCode.BILL_NOT_SUBSCRIBERS,
        )
    if _payment_id_of_other_bill(bill.bill_id or "", bill.payment_id or ""):
        raise _error(
            "payment_id",
            _("This payment ID does not belong to this bill ID."),
            IdentifierErrorCode.PAYMENT_ID_MISMATCH,
        )
    readings = (bill.previous_reading, bill.current_reading, bill.volume_m3)
    if any(value is None for value in readings) or bill.is_estimated or bill.meter_changed:
        return
    difference = bill.current_reading - bill.previous_reading
    if difference >= 0 and bill.volume_m3 != difference:
        raise _error(
            "volume_m3",
            _(
                "The volume must be the current reading less the previous one "
                "(%(difference)s m³), unless the bill is estimated or the meter was changed."
            ),
            BillErrorCode.VOLUME_MISMATCH,
            difference=format_quantity(difference),
        )


def _payment_id_of_other_bill(bill_id: str, payment_id: str) -> bool:
    """Whether both IDs are valid but the payment ID belongs to another bill ID: one
    normalisation (the bill ID's checks, the payment ID's own, then the pair's)."""
    try:
        identifiers.normalize_payment_id(payment_id, bill_id=bill_id)
    except identifiers.IdentifierError as error:
        return error.code == IdentifierErrorCode.PAYMENT_ID_MISMATCH
    return False


def check_no_overlap(bill, others: Iterable) -> None:
    """Refuse a period that shares days with another bill of the subscription."""
    for other in others:
        if other.pk is not None and other.pk == bill.pk:
            continue
        if bill.period_start < other.period_end and other.period_start < bill.period_end:
            raise _error(
                "period_start",
                _(
                    "This period overlaps the bill of %(start)s to %(end)s (payment ID "
                    "%(payment_id)s) of the same subscription; a day is billed once."
                ),
                BillErrorCode.BILL_PERIOD_OVERLAP,
                start=format_date(other.period_start),
                end=format_date(other.period_end),
                payment_id=other.payment_id,
            )


@dataclass(frozen=True)
class BilledPeriod:
    """One bill's period as the correction sees it (end exclusive: the next period's start)."""

    bill_id: str
    start: datetime.date
    end: datetime.date
    volume_m3: Decimal
    amount_rial: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days
