"""Reads of bills: a subscription's billing history, as lists and as the correction sees it."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from apps.meter_service import permissions
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.bill.models import Bill
from apps.meter_service.doctype.bill.rules import BilledPeriod
from apps.meter_service.doctype.subscriber.models import Subscriber


def bill_list(*, user: Actor) -> QuerySet[Bill]:
    """Return the bills the user may see, newest period first."""
    queryset = Bill.objects.select_related("subscriber").order_by("-period_start", "pk")
    return permissions.scope(user, queryset)


def bills_of(subscriber: Subscriber) -> QuerySet[Bill]:
    """Return the subscriber's bills, oldest period first."""
    return Bill.objects.filter(subscriber=subscriber).order_by("period_start", "pk")


def billed_periods(
    subscriber: Subscriber, *, until: datetime.date | None = None
) -> list[BilledPeriod]:
    """Return the subscriber's bills as the correction reads them, ordered by start.

    With `until`, only periods that start before that day. A period's bill_id is the Bill's
    primary key as a string: the printed bill ID is the same on every bill of a
    subscription, and the correction needs one key per period.
    """
    bills = bills_of(subscriber)
    if until is not None:
        bills = bills.filter(period_start__lt=until)
    return [
        BilledPeriod(
            bill_id=str(bill.pk),
            start=bill.period_start,
            end=bill.period_end,
            volume_m3=bill.volume_m3,
            amount_rial=bill.amount_rial,
        )
        for bill in bills
    ]
