"""What each audit event is called in the interface: the one mapping from event codes to
labels, used by the audit trail, the desk's history and timelines, and the portal.

The labels are those of the event enums (each doctype's events.py, collected in
audit/event_types.py); a value no enum knows (an old row) is shown as it is."""

from apps.meter_service.audit.event_types import event_types

EVENT_LABELS = {value: member.label for value, member in event_types().items()}


def event_label(event_type: str) -> str:
    """Return the translated name of an event type (the type itself when unknown)."""
    return str(EVENT_LABELS.get(event_type, event_type))
