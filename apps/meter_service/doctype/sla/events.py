"""Audit events of service-level clocks, recorded on the claim (they show in its timeline)."""

from apps.meter_service.audit.events import record_event


def sla_warned_event(*, claim, roles: list[str], recipients: list[str], worked_seconds: int):
    record_event(
        document=claim,
        event_type="sla_warned",
        parameters={"roles": roles, "recipients": recipients, "worked_seconds": worked_seconds},
    )


def sla_escalated_event(*, claim, recipients: list[str], worked_seconds: int):
    record_event(
        document=claim,
        event_type="sla_escalated",
        parameters={"recipients": recipients, "worked_seconds": worked_seconds},
    )


def holiday_saved_event(*, holiday, actor, created: bool, fields: dict):
    record_event(
        document=holiday,
        event_type="holiday_created" if created else "holiday_changed",
        actor=actor,
        parameters={"fields": fields},
    )
