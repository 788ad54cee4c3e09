"""Reads of meters and their history."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.meter_service import permissions
from apps.meter_service.doctype.meter.models import Meter, MeterInstallation


def meter_list(*, user) -> QuerySet[Meter]:
    return permissions.scope(user, Meter.objects.all())


def installation_history(*, user, subscriber=None, meter=None) -> QuerySet[MeterInstallation]:
    """Return installations, newest first, of one subscription or one meter."""
    qs = MeterInstallation.objects.select_related("meter", "subscriber")
    if subscriber is not None:
        qs = qs.filter(subscriber=subscriber)
    if meter is not None:
        qs = qs.filter(meter=meter)
    return permissions.scope(user, qs)


def current_installation(*, subscriber) -> MeterInstallation | None:
    return (
        MeterInstallation.objects.select_related("meter")
        .filter(subscriber=subscriber, is_current=True)
        .first()
    )
