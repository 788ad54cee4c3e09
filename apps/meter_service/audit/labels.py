"""What each audit event is called in the interface: the one mapping from event codes to
labels, used by the audit trail, the desk's history and timelines, and the portal.

The labels are those of the event enums (each doctype's events.py, collected in
audit/event_types.py); a value no enum knows (an old row) is shown as it is."""

from collections.abc import Iterator, Mapping

from django.utils.functional import Promise

from apps.meter_service.audit.event_types import event_types


class _EventLabels(Mapping[str, str | Promise]):
    """{event type: label}, read from the registry on each use (it is filled when the app is
    ready, after this module is imported)."""

    def __getitem__(self, value: str) -> str | Promise:
        return event_types()[value].label

    def __iter__(self) -> Iterator[str]:
        return iter(event_types())

    def __len__(self) -> int:
        return len(event_types())


EVENT_LABELS: Mapping[str, str | Promise] = _EventLabels()


def event_label(event_type: str) -> str:
    """Return the translated name of an event type (the type itself when unknown)."""
    return str(EVENT_LABELS.get(event_type, event_type))
