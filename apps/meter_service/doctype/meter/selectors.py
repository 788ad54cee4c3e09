"""Reads of meters and their history."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.meter_service import permissions
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.meter.models import Meter, MeterInstallation
from apps.meter_service.doctype.subscriber.models import Subscriber


def meter_list(*, user: Actor) -> QuerySet[Meter]:
    return permissions.scope(user, Meter.objects.all())


def installation_history(
    *, user: Actor, subscriber: Subscriber | None = None, meter: Meter | None = None
) -> QuerySet[MeterInstallation]:
    """Return installations, newest first, of one subscription or one meter."""
    qs = MeterInstallation.objects.select_related("meter", "subscriber")
    if subscriber is not None:
        qs = qs.filter(subscriber=subscriber)
    if meter is not None:
        qs = qs.filter(meter=meter)
    return permissions.scope(user, qs)


def current_installation(*, subscriber: Subscriber) -> MeterInstallation | None:
    return (
        MeterInstallation.objects.select_related("meter")
        .filter(subscriber=subscriber, is_current=True)
        .first()
    )
