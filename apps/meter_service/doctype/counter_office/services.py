"""Actions on counter offices."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.meter_service.audit.events import changed_fields
from apps.meter_service.doctype.counter_office import events, rules
from apps.meter_service.doctype.counter_office.models import CounterOffice

EDITABLE_FIELDS = ("code", "name", "city", "address", "phone", "is_active")


@transaction.atomic
def office_create(*, actor=None, source: str = "desk", **fields: Any) -> CounterOffice:
    office = CounterOffice(**fields)
    office.full_clean()
    office.save()
    events.office_created_event(office=office, actor=actor, source=source)
    return office


@transaction.atomic
def office_update(
    *, office: CounterOffice, actor=None, source: str = "desk", **fields: Any
) -> CounterOffice:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    before = {name: getattr(office, name) for name in fields}
    for name, value in fields.items():
        setattr(office, name, value)
    changes = changed_fields(office, before)
    if not changes:
        return office
    office.full_clean()
    office.save(update_fields=[*changes, "updated_at"])
    events.office_updated_event(office=office, actor=actor, changes=changes, source=source)
    return office


def office_upsert(*, actor=None, source: str = "import", **fields: Any) -> CounterOffice:
    existing = CounterOffice.objects.filter(code=fields.get("code")).first()
    if existing is None:
        return office_create(actor=actor, source=source, **fields)
    return office_update(office=existing, actor=actor, source=source, **fields)


@transaction.atomic
def office_set_operators(*, office: CounterOffice, users, actor=None) -> CounterOffice:
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
