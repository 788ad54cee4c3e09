"""Audit events of complaints."""

from apps.meter_service.audit.events import record_event


def complaint_event(*, complaint, event_type: str, actor=None, **parameters) -> None:
    record_event(document=complaint, event_type=event_type, actor=actor, parameters=parameters)
