"""A document's history for the desk's History page: its audit events, labelled.

Django's own History page reads the admin's LogEntry rows, which nothing here writes (every
change goes through the services and the audit trail), so it was always empty.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet

from apps.meter_service.audit.labels import event_label
from apps.meter_service.audit.models import DocumentEvent


@dataclass(frozen=True)
class HistoryRow:
    at: datetime.datetime
    label: str
    document: str  # the document the event is about, when it is not the page's own
    actor: str
    detail: str


def document_events(
    document: models.Model, related: Iterable[QuerySet[Any]] = ()
) -> QuerySet[DocumentEvent]:
    """The audit events of a document and of the documents in `related`, oldest first."""
    documents = Q(
        content_type=ContentType.objects.get_for_model(document, for_concrete_model=True),
        object_id=str(document.pk),
    )
    for queryset in related:
        ids = [str(pk) for pk in queryset.values_list("pk", flat=True)]
        if ids:
            content_type = ContentType.objects.get_for_model(queryset.model)
            documents |= Q(content_type=content_type, object_id__in=ids)
    return (
        DocumentEvent.objects.filter(documents)
        .select_related("actor", "content_type")
        .order_by("at", "id")
    )


def actor_name(event: DocumentEvent) -> str:
    if event.actor is None:
        return ""
    return event.actor.get_full_name() or event.actor.get_username()


def changes_text(model: type[models.Model] | None, parameters: dict[str, Any]) -> str:
    """The fields an update changed, by their names as the forms show them: "mobile, city"."""
    changes = parameters.get("changes")
    if isinstance(parameters.get("field"), str) and not isinstance(changes, dict):
        changes = {parameters["field"]: None}  # one field shown in full (privacy.reveal)
    if not isinstance(changes, dict):
        return ""
    names = []
    for name in changes:
        try:
            field = model._meta.get_field(name) if model else None
            # A relation seen from its other end has no verbose name: shown by its name.
            names.append(str(getattr(field, "verbose_name", name)))
        except FieldDoesNotExist:
            names.append(str(name))
    return "، ".join(names)


def history_rows(document: models.Model, events: Iterable[DocumentEvent]) -> list[HistoryRow]:
    """Each event as a row: when, what (translated), about which document, who, details."""
    own_type = ContentType.objects.get_for_model(document, for_concrete_model=True)
    own = (own_type.pk, str(document.pk))
    rows = []
    for event in events:
        other = (event.content_type_id, event.object_id) != own
        model = event.content_type.model_class()
        rows.append(
            HistoryRow(
                at=event.at,
                label=event_label(event.event_type),
                document=(
                    f"{model._meta.verbose_name}: {event.object_repr}"
                    if other and model is not None
                    else ""
                ),
                actor=actor_name(event),
                detail=changes_text(model, event.parameters or {}),
            )
        )
    return rows
