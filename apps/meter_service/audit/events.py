"""Write audit-trail rows; each doctype's events.py names its own events on top of this."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from apps.meter_service.audit.models import DocumentEvent


class _AuditEncoder(DjangoJSONEncoder):
    """Encode dates and decimals as strings and a related document as its id and name."""

    def default(self, o: Any) -> Any:
        if isinstance(o, models.Model):
            return {"id": o.pk, "repr": str(o)}
        return super().default(o)


def _jsonable(value: Any) -> Any:
    """Return value as plain JSON types."""
    return json.loads(json.dumps(value, cls=_AuditEncoder))


def record_event(
    *, document: models.Model, event_type: str, actor=None, parameters: dict | None = None
) -> DocumentEvent:
    """Append one event about a document to the audit trail."""
    return DocumentEvent.objects.create(
        content_type=ContentType.objects.get_for_model(document, for_concrete_model=True),
        object_id=str(document.pk),
        object_repr=str(document)[:200],
        event_type=event_type,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        parameters=_jsonable(parameters or {}),
    )


def changed_fields(instance: models.Model, before: dict[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [old, new]} for the fields whose values differ from `before`."""
    return {
        name: [old, getattr(instance, name)]
        for name, old in before.items()
        if getattr(instance, name) != old
    }
