"""Actions on fee tariffs."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.meter_service.audit.events import record_event
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.fee_tariff import rules
from apps.meter_service.doctype.fee_tariff.events import FeeTariffEvents
from apps.meter_service.doctype.fee_tariff.models import FeeTariff


@transaction.atomic
def fee_tariff_save(
    *, tariff: FeeTariff | None = None, actor: Actor = None, **fields: Any
) -> FeeTariff:
    """Create or change a tariff; refuse one that overlaps another for the same case."""
    creating = tariff is None
    tariff = tariff or FeeTariff()
    for name, value in fields.items():
        setattr(tariff, name, value)
    tariff.full_clean()
    # Lock the tariffs of this kind so two overlapping saves cannot both pass the check.
    siblings = list(FeeTariff.objects.select_for_update().filter(kind=tariff.kind))
    rules.check_no_overlap(tariff, siblings)
    tariff.save()
    record_event(
        document=tariff,
        event_type=FeeTariffEvents.FEE_TARIFF_CREATED
        if creating
        else FeeTariffEvents.FEE_TARIFF_CHANGED,
        actor=actor,
        parameters={"fields": fields},
    )
    return tariff
