"""Create, change and upsert a document the same way for every document type.

Each doctype's services.py names its own actions (subscriber_create, meter_update, ...) on top
of these, so validation, saving and the audit trail work alike everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import models, transaction

from apps.meter_service.audit.events import changed_fields, record_event

DocumentT = TypeVar("DocumentT", bound=models.Model)


@transaction.atomic
def document_create(
    model: type[DocumentT], *, event_type: str, actor=None, source: str, fields: dict[str, Any]
) -> DocumentT:
    """Validate and save a new document, and record who made it from where."""
    document = model(**fields)
    document.full_clean()
    document.save()
    record_event(
        document=document, event_type=event_type, actor=actor, parameters={"source": source}
    )
    return document


@transaction.atomic
def document_update(
    document: DocumentT,
    *,
    editable: Iterable[str],
    event_type: str,
    actor=None,
    source: str,
    fields: dict[str, Any],
) -> DocumentT:
    """Change editable fields; save and record only what really changed, from what to what."""
    unknown = set(fields) - set(editable)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    before = {name: getattr(document, name) for name in fields}
    for name, value in fields.items():
        setattr(document, name, value)
    changes = changed_fields(document, before)
    if not changes:
        return document
    document.full_clean()
    stamp = ["updated_at"] if hasattr(document, "updated_at") else []
    document.save(update_fields=[*changes, *stamp])
    record_event(
        document=document,
        event_type=event_type,
        actor=actor,
        parameters={"source": source, "changes": changes},
    )
    return document


def document_upsert(
    model: type[DocumentT],
    *,
    key: str,
    create: Callable[..., DocumentT],
    update: Callable[..., DocumentT],
    fields: dict[str, Any],
    **options: Any,
) -> DocumentT:
    """Create the document, or update the one whose `key` field has the same value."""
    existing = model._default_manager.filter(**{key: fields.get(key)}).first()
    if existing is None:
        return create(**options, **fields)
    return update(existing, **options, **fields)
