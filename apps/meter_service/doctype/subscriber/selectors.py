"""Reads of subscriber records."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.meter_service import permissions
from apps.meter_service.doctype.subscriber.models import Subscriber


def subscriber_list(*, user) -> QuerySet[Subscriber]:
    """Return the subscribers the user may see."""
    return permissions.scope(user, Subscriber.objects.all())


def subscriber_by_bill_and_national_id(*, bill_id: str, national_id: str) -> Subscriber | None:
    """Return the subscriber a walk-in person identifies with bill ID and national ID."""
    return Subscriber.objects.filter(bill_id=bill_id, national_id=national_id).first()
