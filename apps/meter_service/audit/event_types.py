"""The registry of audit event types: every doctype's events enum (its events.py), and the
few recorded on no one doctype. The labels (audit/labels.py) are built from it, so a new
event type is named where it is recorded and shows translated everywhere at once.

The document types sit above the audit trail, which they all write to, so they are not
imported here: `registries.py` registers their enums when the app is ready.
"""

from __future__ import annotations

from django.db import models

# Each value appears in one enum only (tests/test_error_codes.py).
EVENT_ENUMS: list[type[models.TextChoices]] = []


def register(*enums: type[models.TextChoices]) -> None:
    """Add event enums to the registry (once each)."""
    for enum in enums:
        if enum not in EVENT_ENUMS:
            EVENT_ENUMS.append(enum)


def event_types() -> dict[str, models.TextChoices]:
    """Every event type by its stored value."""
    return {member.value: member for enum in EVENT_ENUMS for member in enum}
