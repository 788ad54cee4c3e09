"""Write audit-trail rows; each doctype's events.py names its own events on top of this."""

from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core import bulk_sql
from apps.meter_service.core.types import Actor


class _AuditEncoder(DjangoJSONEncoder):
    """Encode dates and decimals as strings and a related document as its id and name."""

    def default(self, o: Any) -> Any:
        if isinstance(o, models.Model):
            return {"id": o.pk, "repr": str(o)}
        return super().default(o)


def _jsonable(value: Any) -> Any:
    """Return value as plain JSON types."""
    return json.loads(json.dumps(value, cls=_AuditEncoder))


# The events of the current batch (see batched_events), or None outside one.
_batch: contextvars.ContextVar[list[DocumentEvent] | None] = contextvars.ContextVar(
    "audit_event_batch", default=None
)


@contextlib.contextmanager
def batched_events() -> Iterator[None]:
    """Write the events recorded inside in one insert, in order, when the block ends well.

    For a busy action that records several events (filing a claim records five); the
    block belongs inside the action's transaction, and nothing is written if it raises. An
    inner block joins the outer one.
    """
    if _batch.get() is not None:
        yield
        return
    events: list[DocumentEvent] = []
    token = _batch.set(events)
    try:
        yield
    finally:
        _batch.reset(token)
    # Straight to SQL: compiling five events through bulk_create cost more than their insert.
    bulk_sql.insert_objects(events)


def _actor_of(actor: Actor) -> Any:
    if not isinstance(actor, AnonymousUser) and getattr(actor, "is_authenticated", False):
        return actor
    return None


def insert_events(
    *,
    model: type[models.Model],
    event_type: str,
    actor: Actor,
    documents: Iterable[tuple[models.Model, dict[str, Any]]],
) -> None:
    """Append one event of `event_type` about each saved document of `model`, with its
    parameters, in a few multi-row inserts: the rows record_event would write (one time for
    all), without building a model instance and compiling each value (a large import)."""
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=True)
    user = _actor_of(actor)
    _now, at = bulk_sql.adapted_now()
    rows = [
        (
            content_type.pk,
            str(document.pk),
            str(document)[:200],
            event_type,
            user.pk if user is not None else None,
            at,
            # What the JSONField stores of _jsonable(parameters), in one encoding.
            json.dumps(parameters or {}, cls=_AuditEncoder),
        )
        for document, parameters in documents
    ]
    meta = DocumentEvent._meta
    column = {f.name: f.column for f in meta.concrete_fields}
    names = ("content_type", "object_id", "object_repr", "event_type", "actor", "at", "parameters")
    columns = [column[name] for name in names]
    bulk_sql.insert_rows(meta.db_table, columns, rows)


def record_event(
    *,
    document: models.Model,
    event_type: str,
    actor: Actor = None,
    parameters: dict[str, Any] | None = None,
) -> DocumentEvent:
    """Append one event about a document to the audit trail (at the end of a batch, inside
    batched_events: the returned event is then not saved yet)."""
    event = DocumentEvent(
        content_type=ContentType.objects.get_for_model(document, for_concrete_model=True),
        object_id=str(document.pk),
        object_repr=str(document)[:200],
        event_type=event_type,
        actor=_actor_of(actor),
        parameters=_jsonable(parameters or {}),
    )
    batch = _batch.get()
    if batch is None:
        event.save(force_insert=True)
    else:
        batch.append(event)
    return event


def changed_fields(instance: models.Model, before: dict[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [old, new]} for the fields whose values differ from `before`."""
    return {
        name: [old, getattr(instance, name)]
        for name, old in before.items()
        if getattr(instance, name) != old
    }
