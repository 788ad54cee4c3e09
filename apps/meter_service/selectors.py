"""Reads that span document types (desk home page)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from apps.meter_service import permissions
from apps.meter_service.audit.labels import event_label
from apps.meter_service.models import (
    Claim,
    CounterOffice,
    DocumentEvent,
    ImportBatch,
    Meter,
    Subscriber,
)

ModelT = TypeVar("ModelT", bound=Model)


def _open_only(queryset: QuerySet[ModelT]) -> QuerySet[ModelT]:
    return queryset.filter(is_open=True) if queryset.model is Claim else queryset


def desk_overview(*, user: User | AnonymousUser) -> list[dict[str, Any]]:
    """Return the counts shown on the desk's home page, only for kinds the user may view."""
    cards: list[tuple[str, Any, type[Model], str]] = [
        ("claim", _("Open claims"), Claim, "assignment"),
        ("subscriber", _("Subscribers"), Subscriber, "person"),
        ("meter", _("Meters"), Meter, "speed"),
        ("counteroffice", _("Counter offices"), CounterOffice, "storefront"),
        ("importbatch", _("Imports"), ImportBatch, "upload_file"),
    ]
    overview = []
    for model_name, title, model, icon in cards:
        if not user.has_perm(f"meter_service.view_{model_name}"):
            continue
        overview.append(
            {
                "title": title,
                "icon": icon,
                "count": permissions.scope(user, _open_only(model._default_manager.all())).count(),
                "url_name": f"admin:meter_service_{model_name}_changelist",
            }
        )
    return overview


def recent_events(*, user: User | AnonymousUser, limit: int = 8) -> list[DocumentEvent] | None:
    """Return the newest audit events for the desk home page, or None without the right."""
    if not user.has_perm("meter_service.view_documentevent"):
        return None
    events = list(permissions.scope(user, DocumentEvent.objects.select_related("actor"))[:limit])
    for event in events:
        # A label for the template, set on the instance: no field of the model.
        event.label = event_label(event.event_type)  # type: ignore[attr-defined]
    return events
