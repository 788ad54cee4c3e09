"""Audit events of counter offices."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.meter_service.audit.events import record_event
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.counter_office.models import CounterOffice


class CounterOfficeEvents(models.TextChoices):
    """The audit events of counter office documents, with their names in the interface."""

    OFFICE_CREATED = "office_created", _("Counter office added")
    OFFICE_UPDATED = "office_updated", _("Counter office changed")
    OFFICE_OPERATORS_CHANGED = "office_operators_changed", _("Office operators changed")


def office_operators_changed_event(
    *, office: CounterOffice, actor: Actor, added: list[str], removed: list[str]
) -> None:
    record_event(
        document=office,
        event_type=CounterOfficeEvents.OFFICE_OPERATORS_CHANGED,
        actor=actor,
        parameters={"added": added, "removed": removed},
    )
