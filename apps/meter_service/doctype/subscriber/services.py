"""Actions that change subscriber records. Desk, import and API all come through here."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.meter_service.audit.events import batched_events, record_event
from apps.meter_service.core.domain_events import publish
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.custom_field.models import CustomFieldTarget
from apps.meter_service.doctype.custom_field.services import custom_values_clean
from apps.meter_service.doctype.subscriber.domain_events import MobileChanged
from apps.meter_service.doctype.subscriber.events import SubscriberEvents
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.document_services import (
    document_create,
    document_update,
    document_upsert,
)

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
    "custom_fields",
)


def subscriber_create(*, actor: Actor = None, source: str = "desk", **fields: Any) -> Subscriber:
    """Create a subscriber after validating every field and the record's rules.

    `custom_fields` (by key, as typed) are checked against the active custom fields,
    required ones included, when the door fills them (desk, import); left out, none are
    asked for.
    """
    if "custom_fields" in fields:
        fields["custom_fields"] = custom_values_clean(
            target=CustomFieldTarget.SUBSCRIBER, values=fields["custom_fields"]
        )
    return document_create(
        Subscriber,
        event_type=SubscriberEvents.SUBSCRIBER_CREATED,
        actor=actor,
        source=source,
        fields=fields,
    )


def subscriber_create_many(
    subscribers: list[Subscriber], *, actor: Actor = None, source: str = "import"
) -> list[Subscriber]:
    """Save new subscribers in one insert, with their "created" events in one more.

    For a file's rows: each one already passed full_clean (the caller checks uniqueness for
    the whole batch in one query); the database's constraints stay the last word, so an
    IntegrityError leaves nothing written. No custom fields here (those go one by one).
    """
    with transaction.atomic(), batched_events():
        created = Subscriber.objects.bulk_create(subscribers)
        for subscriber in created:
            record_event(
                document=subscriber,
                event_type=SubscriberEvents.SUBSCRIBER_CREATED,
                actor=actor,
                parameters={"source": source},
            )
    return created


def subscriber_update(
    *, subscriber: Subscriber, actor: Actor = None, source: str = "desk", **fields: Any
) -> Subscriber:
    """Change a subscriber's fields; records which fields changed, from what to what.

    A changed mobile is told to the old number (whichever door changed it: desk, office,
    API, import), so a holder whose number was changed without them asking hears of it.
    """
    old_mobile = subscriber.mobile
    if "custom_fields" in fields:
        fields["custom_fields"] = custom_values_clean(
            target=CustomFieldTarget.SUBSCRIBER,
            values=fields["custom_fields"],
            current=subscriber.custom_fields,
        )
    subscriber = document_update(
        subscriber,
        editable=EDITABLE_FIELDS,
        event_type=SubscriberEvents.SUBSCRIBER_UPDATED,
        actor=actor,
        source=source,
        fields=fields,
    )
    if old_mobile and subscriber.mobile != old_mobile:
        publish(MobileChanged(subscriber=subscriber, old_mobile=old_mobile), required=True)
    return subscriber


def subscriber_upsert(*, actor: Actor = None, source: str = "import", **fields: Any) -> Subscriber:
    """Create the subscriber, or update the one with the same subscription number."""
    return document_upsert(
        Subscriber,
        key="subscription_number",
        create=subscriber_create,
        update=lambda subscriber, **kw: subscriber_update(subscriber=subscriber, **kw),
        fields=fields,
        actor=actor,
        source=source,
    )
