"""Audit events of counter offices."""

from apps.meter_service.audit.events import record_event


def office_created_event(*, office, actor, source: str) -> None:
    record_event(
        document=office, event_type="office_created", actor=actor, parameters={"source": source}
    )


def office_updated_event(*, office, actor, changes: dict, source: str) -> None:
    record_event(
        document=office,
        event_type="office_updated",
        actor=actor,
        parameters={"source": source, "changes": changes},
    )


def office_operators_changed_event(*, office, actor, added: list, removed: list) -> None:
    record_event(
        document=office,
        event_type="office_operators_changed",
        actor=actor,
        parameters={"added": added, "removed": removed},
    )
