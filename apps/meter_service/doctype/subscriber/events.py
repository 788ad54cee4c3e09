"""Audit events of subscriber records."""

from apps.meter_service.audit.events import record_event


def subscriber_created_event(*, subscriber, actor, source: str = "desk") -> None:
    record_event(
        document=subscriber,
        event_type="subscriber_created",
        actor=actor,
        parameters={"source": source},
    )


def subscriber_updated_event(*, subscriber, actor, changes: dict, source: str = "desk") -> None:
    record_event(
        document=subscriber,
        event_type="subscriber_updated",
        actor=actor,
        parameters={"source": source, "changes": changes},
    )
