"""Bills of a test subscriber: 60-day periods with payment IDs that belong to its bill ID."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from apps.meter_service.core.identifiers import build_payment_id, is_valid_payment_id

D = datetime.date
FIRST_START = D(2024, 3, 20)


def bill_data(
    subscriber,
    *,
    start: datetime.date = FIRST_START,
    days: int = 60,
    previous: str = "1000",
    volume: str = "120",
    amount: int = 136_620,
    period: int = 1,
    **overrides,
) -> dict:
    """A bill as the billing system sends it (ids canonical, figures as strings)."""
    data = {
        "bill_id": subscriber.bill_id,
        "payment_id": build_payment_id(
            subscriber.bill_id, max(amount // 1000, 1) * 1000, 3, period
        ),
        "period_start": start,
        "period_end": start + datetime.timedelta(days=days),
        "previous_reading": Decimal(previous),
        "current_reading": Decimal(previous) + Decimal(volume),
        "volume_m3": Decimal(volume),
        "amount_rial": amount,
    }
    data.update(overrides)
    return data


def foreign_payment_id(owner_bill_id: str, other_bill_id: str) -> str:
    """A payment ID of owner's bill that does not also fit the other bill ID.

    The second check digit is one digit, so one payment ID in 11 fits a given other bill ID
    too, and when the two bill IDs' weighted sums agree modulo 11 every one does. The first
    amount whose ID does not fit is taken; failing that, owner's ID with its second check
    digit moved on, which keeps the first check digit right and fits neither bill.
    """
    for thousands in range(250, 300):
        payment_id = build_payment_id(owner_bill_id, thousands * 1000, 3, 1)
        if not is_valid_payment_id(payment_id, bill_id=other_bill_id):
            return payment_id
    moved_on = f"{payment_id[:-1]}{(int(payment_id[-1]) + 1) % 10}"
    assert is_valid_payment_id(moved_on) and not is_valid_payment_id(
        moved_on, bill_id=other_bill_id
    )
    return moved_on


@pytest.fixture
def subscriber(make_subscriber):
    return make_subscriber(climate_zone=2)
