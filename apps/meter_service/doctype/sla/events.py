"""Audit events of service-level clocks, recorded on the claim (they show in its timeline)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.meter_service.audit.events import record_event
from apps.meter_service.core.types import Actor


class SlaEvents(models.TextChoices):
    """The audit events of sla documents, with their names in the interface."""

    SLA_WARNED = "sla_warned", _("SLA at risk: role told")
    SLA_ESCALATED = "sla_escalated", _("SLA breached: escalated")
    HOLIDAY_CREATED = "holiday_created", _("Holiday added")
    HOLIDAY_CHANGED = "holiday_changed", _("Holiday changed")


def sla_warned_event(*, claim, roles: list[str], recipients: list[str], worked_seconds: int):
    record_event(
        document=claim,
        event_type=SlaEvents.SLA_WARNED,
        parameters={"roles": roles, "recipients": recipients, "worked_seconds": worked_seconds},
    )


def sla_escalated_event(*, claim, recipients: list[str], worked_seconds: int):
    record_event(
        document=claim,
        event_type=SlaEvents.SLA_ESCALATED,
        parameters={"recipients": recipients, "worked_seconds": worked_seconds},
    )


def holiday_saved_event(*, holiday, actor: Actor, created: bool, fields: dict):
    record_event(
        document=holiday,
        event_type=SlaEvents.HOLIDAY_CREATED if created else SlaEvents.HOLIDAY_CHANGED,
        actor=actor,
        parameters={"fields": fields},
    )
