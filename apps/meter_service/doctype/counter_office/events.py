"""Audit events of counter offices."""

from apps.meter_service.audit.events import record_event


def office_operators_changed_event(*, office, actor, added: list, removed: list) -> None:
    record_event(
        document=office,
        event_type="office_operators_changed",
        actor=actor,
        parameters={"added": added, "removed": removed},
    )
