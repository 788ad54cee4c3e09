"""What the payment doctype does when other document types publish events."""

from __future__ import annotations

from apps.meter_service.core.domain_events import subscribe
from apps.meter_service.doctype.claim.domain_events import ClaimFiledOnBill
from apps.meter_service.doctype.payment.services import bill_charge_at_filing


def _charge_the_bill(event: ClaimFiledOnBill) -> None:
    bill_charge_at_filing(claim=event.claim)


def register() -> None:
    subscribe(ClaimFiledOnBill, _charge_the_bill)
