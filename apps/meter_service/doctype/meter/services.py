"""Actions on meters and their installations at subscriptions."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.meter import events, rules
from apps.meter_service.doctype.meter.events import MeterEvents
from apps.meter_service.doctype.meter.models import (
    InstallationReason,
    Meter,
    MeterInstallation,
    MeterStatus,
)
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.document_services import (
    document_create,
    document_update,
    document_upsert,
)

EDITABLE_FIELDS = (
    "serial",
    "make",
    "model",
    "size",
    "accuracy_class",
    "manufacture_year",
    "install_date",
    "last_test_date",
    "status",
)


def meter_create(*, actor: Actor = None, source: str = "desk", **fields: Any) -> Meter:
    """Register a meter after validating it."""
    return document_create(
        Meter, event_type=MeterEvents.METER_CREATED, actor=actor, source=source, fields=fields
    )


def meter_update(
    *, meter: Meter, actor: Actor = None, source: str = "desk", **fields: Any
) -> Meter:
    """Change a meter's fields and record what changed."""
    return document_update(
        meter,
        editable=EDITABLE_FIELDS,
        event_type=MeterEvents.METER_UPDATED,
        actor=actor,
        source=source,
        fields=fields,
    )


def meter_upsert(*, actor: Actor = None, source: str = "import", **fields: Any) -> Meter:
    """Create the meter, or update the one with the same serial."""
    return document_upsert(
        Meter,
        key="serial",
        create=meter_create,
        update=lambda meter, **kw: meter_update(meter=meter, **kw),
        fields=fields,
        actor=actor,
        source=source,
    )


@transaction.atomic
def meter_install(
    *,
    subscriber: Subscriber,
    meter: Meter,
    installed_on: datetime.date,
    initial_reading: Decimal = Decimal("0"),
    reason: str = InstallationReason.NEW_CONNECTION,
    removed_meter_final_reading: Decimal | None = None,
    actor: Actor = None,
) -> MeterInstallation:
    """Install a meter at a subscription, taking out the meter that is there now.

    The subscriber and meter rows are locked so two installs at once cannot both succeed.
    """
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    meter = Meter.objects.select_for_update().get(pk=meter.pk)
    current = (
        MeterInstallation.objects.select_for_update()
        .filter(subscriber=subscriber, is_current=True)
        .first()
    )
    rules.check_can_install(meter=meter, installed_on=installed_on, current=current)
    if current is not None:
        meter_remove(
            installation=current,
            removed_on=installed_on,
            final_reading=removed_meter_final_reading,
            new_status=MeterStatus.FAULTY
            if reason == InstallationReason.FAULT
            else MeterStatus.RETIRED,
            actor=actor,
        )
    installation = MeterInstallation(
        subscriber=subscriber,
        meter=meter,
        installed_on=installed_on,
        initial_reading=initial_reading,
        reason=reason,
    )
    installation.full_clean()
    installation.save()
    meter.status = MeterStatus.INSTALLED
    meter.install_date = installed_on
    meter.save(update_fields=["status", "install_date", "updated_at"])
    events.meter_installed_event(installation=installation, actor=actor)
    return installation


@transaction.atomic
def meter_remove(
    *,
    installation: MeterInstallation,
    removed_on: datetime.date,
    final_reading: Decimal | None,
    new_status: str = MeterStatus.IN_STOCK,
    actor: Actor = None,
) -> MeterInstallation:
    """End an installation with the removal date and the meter's final reading."""
    installation = MeterInstallation.objects.select_for_update().get(pk=installation.pk)
    rules.check_can_remove(
        installation=installation, removed_on=removed_on, final_reading=final_reading
    )
    installation.removed_on = removed_on
    installation.final_reading = final_reading
    installation.is_current = None
    installation.full_clean()
    installation.save(update_fields=["removed_on", "final_reading", "is_current"])
    meter = installation.meter
    meter.status = new_status
    meter.save(update_fields=["status", "updated_at"])
    events.meter_removed_event(installation=installation, actor=actor)
    return installation
