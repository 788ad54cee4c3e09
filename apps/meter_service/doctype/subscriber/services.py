"""Actions that change subscriber records. Desk, import and API all come through here."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.meter_service.audit.events import changed_fields
from apps.meter_service.doctype.subscriber import events
from apps.meter_service.doctype.subscriber.models import Subscriber

EDITABLE_FIELDS = (
    "subscription_number",
    "bill_id",
    "customer_type",
    "national_id",
    "national_legal_id",
    "name",
    "mobile",
    "city",
    "address",
    "postal_code",
    "tariff_group",
    "climate_zone",
    "user",
)


@transaction.atomic
def subscriber_create(*, actor=None, source: str = "desk", **fields: Any) -> Subscriber:
    """Create a subscriber after validating every field and the record's rules."""
    subscriber = Subscriber(**fields)
    subscriber.full_clean()
    subscriber.save()
    events.subscriber_created_event(subscriber=subscriber, actor=actor, source=source)
    return subscriber


@transaction.atomic
def subscriber_update(
    *, subscriber: Subscriber, actor=None, source: str = "desk", **fields: Any
) -> Subscriber:
    """Change a subscriber's fields; records which fields changed, from what to what."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    before = {name: getattr(subscriber, name) for name in fields}
    for name, value in fields.items():
        setattr(subscriber, name, value)
    changes = changed_fields(subscriber, before)
    if not changes:
        return subscriber
    subscriber.full_clean()
    subscriber.save(update_fields=[*changes, "updated_at"])
    events.subscriber_updated_event(
        subscriber=subscriber, actor=actor, changes=changes, source=source
    )
    return subscriber


def subscriber_upsert(*, actor=None, source: str = "import", **fields: Any) -> Subscriber:
    """Create the subscriber, or update the one with the same subscription number."""
    existing = Subscriber.objects.filter(
        subscription_number=fields.get("subscription_number")
    ).first()
    if existing is None:
        return subscriber_create(actor=actor, source=source, **fields)
    return subscriber_update(subscriber=existing, actor=actor, source=source, **fields)
