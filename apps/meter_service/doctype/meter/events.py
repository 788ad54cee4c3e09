"""Audit events of meters and installations."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.meter_service.audit.events import record_event
from apps.meter_service.core.types import Actor


class MeterEvents(models.TextChoices):
    """The audit events of meter documents, with their names in the interface."""

    METER_CREATED = "meter_created", _("Meter registered")
    METER_UPDATED = "meter_updated", _("Meter changed")
    METER_INSTALLED = "meter_installed", _("Meter installed")
    METER_REMOVED = "meter_removed", _("Meter removed")


def meter_installed_event(*, installation, actor: Actor) -> None:
    record_event(
        document=installation.meter,
        event_type=MeterEvents.METER_INSTALLED,
        actor=actor,
        parameters={
            "subscription_number": installation.subscriber.subscription_number,
            "installed_on": installation.installed_on,
            "initial_reading": installation.initial_reading,
            "reason": installation.reason,
        },
    )


def meter_removed_event(*, installation, actor: Actor) -> None:
    record_event(
        document=installation.meter,
        event_type=MeterEvents.METER_REMOVED,
        actor=actor,
        parameters={
            "subscription_number": installation.subscriber.subscription_number,
            "removed_on": installation.removed_on,
            "final_reading": installation.final_reading,
        },
    )
