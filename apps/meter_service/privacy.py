"""Personal data as each viewer may see it: the one place that decides.

A subscriber's mobile and national ID (and the contact mobile of a claim or complaint) are
shown in full to the roles of PERSONAL_DATA_ROLES; other staff (by default the technician
and the emergency crew, who work from addresses and meter serials) see them masked:
0912***4567 and ******1234. A role of PERSONAL_DATA_REVEAL_ROLES may show one value in full,
and each time is recorded in the audit trail (who, which subscriber, which field).

The desk (admin_base.DocumentAdmin), the templates (the `personal` tag) and the API
serializers all call shown(); nothing else decides what a viewer sees.

A business's national legal ID is not masked: it is public (the official registry of
companies publishes it).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models

from apps.meter_service import permissions
from apps.meter_service.audit.events import record_event
from apps.meter_service.core.rule_reader import rule_in_force
from apps.meter_service.staff_events import StaffEvents

# Model field names holding personal data, and how each is masked.
MOBILE, NATIONAL_ID = "mobile", "national_id"
PERSONAL_FIELDS: dict[str, str] = {
    "mobile": MOBILE,
    "contact_mobile": MOBILE,
    "national_id": NATIONAL_ID,
}
HIDDEN = "***"


def mask_mobile(value: str) -> str:
    """0912***4567: the operator's prefix and the last four digits, enough to tell two
    numbers apart on the telephone, not to call one."""
    if len(value) < 8:
        return HIDDEN
    return f"{value[:4]}{HIDDEN}{value[-4:]}"


def mask_national_id(value: str) -> str:
    """******1234: the last four digits only (the first three name the issuing office)."""
    if len(value) < 6:
        return HIDDEN
    return "*" * (len(value) - 4) + value[-4:]


def mobile_ending(value: str) -> str:
    """4567: the last four digits, all that is said of a mobile to someone who must not
    learn it."""
    return value[-4:] if len(value) >= 8 else ""


def mask(field: str, value: str) -> str:
    """Mask a personal field's value (empty stays empty)."""
    if not value:
        return value
    return mask_national_id(value) if PERSONAL_FIELDS[field] == NATIONAL_ID else mask_mobile(value)


def _rule_roles(name: str) -> frozenset[str]:
    return frozenset(rule_in_force(name))


def sees_personal_data(user) -> bool:
    """Whether the user sees mobiles and national IDs in full (a superuser does)."""
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return True
    return bool(permissions.roles_of(user) & _rule_roles("PERSONAL_DATA_ROLES"))


def may_reveal(user) -> bool:
    """Whether the user may show a masked value in full (recorded each time)."""
    return sees_personal_data(user) or bool(
        permissions.roles_of(user) & _rule_roles("PERSONAL_DATA_REVEAL_ROLES")
    )


def is_personal(field: str) -> bool:
    return field in PERSONAL_FIELDS


def shown(user, document: models.Model, field: str) -> str:
    """The value of a document's personal field as the user may see it."""
    value = getattr(document, field) or ""
    return value if sees_personal_data(user) else mask(field, value)


def shown_value(user, field: str, value: str) -> str:
    """A personal value read without its document (a values() row) as the user may see it."""
    return value if sees_personal_data(user) else mask(field, value or "")


def _subscriber_of(document: models.Model):
    # By model name, not class: the document types sit above this module.
    if document._meta.model_name == "subscriber":
        return document
    return getattr(document, "subscriber", None)


def reveal(*, user, document: models.Model, field: str) -> str:
    """Return a personal field's full value to a user allowed to reveal it, and record who
    saw which subscriber's which field. A user who may not gets PermissionDenied (403); one
    who sees it in full anyway is given it with nothing recorded."""

    if not is_personal(field):
        raise ValueError(f"not a personal field: {field}")
    if sees_personal_data(user):
        return getattr(document, field) or ""
    if not may_reveal(user):
        raise PermissionDenied
    subscriber = _subscriber_of(document)
    record_event(
        document=document,
        event_type=StaffEvents.PERSONAL_DATA_REVEALED,
        actor=user,
        parameters={
            "field": field,
            "subscriber": subscriber.subscription_number if subscriber else None,
        },
    )
    return getattr(document, field) or ""


def search_fields_for(user, search_fields) -> list[str]:
    """The search fields a user may search by: none holding personal data for a masked
    viewer, who could otherwise confirm a guessed national ID or mobile by its result."""
    if sees_personal_data(user):
        return list(search_fields)
    return [
        name
        for name in search_fields
        if not any(is_personal(part) for part in name.lstrip("^=@").split("__"))
    ]
