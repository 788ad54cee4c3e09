"""Actions on custom fields: define and change them (desk), and check a document's values
(every door that writes a claim, complaint, inspection or subscriber)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from apps.meter_service.audit.events import changed_fields, record_event
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.custom_field import rules
from apps.meter_service.doctype.custom_field.error_codes import CustomFieldErrorCode as Code
from apps.meter_service.doctype.custom_field.events import CustomFieldEvents
from apps.meter_service.doctype.custom_field.models import CustomField
from apps.meter_service.doctype.custom_field.selectors import active_fields, key_in_use

EDITABLE_FIELDS = (
    "target",
    "key",
    "label_fa",
    "label_en",
    "field_type",
    "required",
    "options",
    "min_value",
    "max_value",
    "max_length",
    "help_fa",
    "help_en",
    "public",
    "in_list",
    "order",
    "active",
)


FIXED_ONCE_USED = ("target", "key", "field_type")


def custom_field_check(field: CustomField, *, original: CustomField | None = None) -> None:
    """Refuse a definition that is not good: its own rules, a key the document type already
    has, or (`original` being the stored definition) a changed key, document type or type
    while documents hold values of it. The desk's form and the services call it."""
    errors = rules.definition_errors(field)
    taken = CustomField.objects.filter(target=field.target, key=field.key)
    if original is not None:
        taken = taken.exclude(pk=original.pk)
    if "key" not in errors and taken.exists():
        errors["key"] = [
            ValidationError(
                _("This document type already has a field with this key."),
                code=Code.CUSTOM_KEY_TAKEN,
            )
        ]
    if original is not None:
        fixed = [n for n in FIXED_ONCE_USED if getattr(field, n) != getattr(original, n)]
        if fixed and key_in_use(original.target, original.key):
            for name in fixed:
                errors.setdefault(name, []).append(
                    ValidationError(
                        _("Documents hold values of this field: it cannot change any more."),
                        code=Code.CUSTOM_KEY_IN_USE,
                    )
                )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def custom_field_create(*, actor: Actor, **fields: Any) -> CustomField:
    """Define a custom field; refused (nothing written) when the definition is not good."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    field = CustomField(**fields)
    custom_field_check(field)
    field.full_clean(validate_constraints=False)
    field.save()
    record_event(
        document=field,
        event_type=CustomFieldEvents.CUSTOM_FIELD_CREATED,
        actor=actor,
        parameters={"target": field.target, "key": field.key, "type": field.field_type},
    )
    return field


@transaction.atomic
def custom_field_update(*, field: CustomField, actor: Actor, **fields: Any) -> CustomField:
    """Change a custom field's definition. Its key, document type and type stay as they are
    once a document holds a value of it (the values would be orphaned or misread)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    field = CustomField.objects.select_for_update().get(pk=field.pk)
    original = CustomField.objects.get(pk=field.pk)
    before = {name: getattr(field, name) for name in fields}
    for name, value in fields.items():
        setattr(field, name, value)
    changes = changed_fields(field, before)
    if not changes:
        return field
    custom_field_check(field, original=original)
    field.full_clean(validate_constraints=False)
    field.save(update_fields=[*changes, "updated_at"])
    record_event(
        document=field,
        event_type=CustomFieldEvents.CUSTOM_FIELD_UPDATED,
        actor=actor,
        parameters={"changes": changes},
    )
    return field


def custom_values_clean(
    *,
    target: str,
    values: Any,
    current: dict[str, Any] | None = None,
    require: bool = True,
) -> dict[str, Any]:
    """Return a document's custom values to store: `current` with `values` applied, checked
    against the target's active fields (types, ranges, options, required). Raises
    ValidationError({"custom_fields": [...]}) and changes nothing when a value is bad."""
    return rules.clean_values(active_fields(target), values, current=current, require=require)


@transaction.atomic
def custom_values_set(
    *,
    document: models.Model,
    target: str,
    values: dict[str, Any],
    actor: Actor,
    source: str = "desk",
    require: bool = True,
) -> models.Model:
    """Change a document's custom values (`values` by key; an empty one removes it), checked
    as custom_values_clean does (`require`: also that the required ones hold a value);
    records which values changed, from what to what."""
    model = type(document)
    locked = model._default_manager.select_for_update().get(pk=document.pk)
    current: dict[str, Any] = dict(getattr(locked, "custom_fields", None) or {})
    new = custom_values_clean(target=target, values=values, current=current, require=require)
    changes = {
        key: [current.get(key), new.get(key)]
        for key in sorted(set(current) | set(new))
        if current.get(key) != new.get(key)
    }
    if not changes:
        return locked
    locked.custom_fields = new  # type: ignore[attr-defined]  # the four targets have it
    stamp = ["updated_at"] if hasattr(locked, "updated_at") else []
    locked.save(update_fields=["custom_fields", *stamp])
    document.custom_fields = new  # type: ignore[attr-defined]  # the four targets have it
    record_event(
        document=locked,
        event_type=CustomFieldEvents.CUSTOM_VALUES_CHANGED,
        actor=actor,
        parameters={"source": source, "changes": changes},
    )
    return locked
