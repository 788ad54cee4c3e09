"""Actions on counter offices."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.counter_office import events, rules
from apps.meter_service.doctype.counter_office.events import CounterOfficeEvents
from apps.meter_service.doctype.counter_office.models import CounterOffice
from apps.meter_service.document_services import (
    document_create,
    document_update,
    document_upsert,
)

EDITABLE_FIELDS = ("code", "name", "city", "address", "phone", "is_active")


def office_create(*, actor: Actor = None, source: str = "desk", **fields: Any) -> CounterOffice:
    return document_create(
        CounterOffice,
        event_type=CounterOfficeEvents.OFFICE_CREATED,
        actor=actor,
        source=source,
        fields=fields,
    )


def office_update(
    *, office: CounterOffice, actor: Actor = None, source: str = "desk", **fields: Any
) -> CounterOffice:
    return document_update(
        office,
        editable=EDITABLE_FIELDS,
        event_type=CounterOfficeEvents.OFFICE_UPDATED,
        actor=actor,
        source=source,
        fields=fields,
    )


def office_upsert(*, actor: Actor = None, source: str = "import", **fields: Any) -> CounterOffice:
    return document_upsert(
        CounterOffice,
        key="code",
        create=office_create,
        update=lambda office, **kw: office_update(office=office, **kw),
        fields=fields,
        actor=actor,
        source=source,
    )


@transaction.atomic
def office_set_operators(
    *, office: CounterOffice, users: Iterable[User], actor: Actor = None
) -> CounterOffice:
    """Make exactly these users the office's operators."""
    users = list(users)
    rules.check_operators(users)
    before = set(office.users.values_list("username", flat=True))
    after = {u.get_username() for u in users}
    office.users.set(users)
    if before != after:
        events.office_operators_changed_event(
            office=office, actor=actor, added=sorted(after - before), removed=sorted(before - after)
        )
    return office
