"""Reads of custom fields: a document type's fields, their columns for lists and exports,
and a document's values as people read them."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models

from apps.meter_service.doctype.custom_field import rules
from apps.meter_service.doctype.custom_field.models import CustomField, CustomFieldTarget
from apps.meter_service.reference_data import reference


def _active_by_target() -> dict[str, tuple[CustomField, ...]]:
    by_target: dict[str, list[CustomField]] = {}
    for field in CustomField.objects.filter(active=True).order_by("order", "id"):
        by_target.setdefault(field.target, []).append(field)
    return {target: tuple(fields) for target, fields in by_target.items()}


def active_fields(target: str) -> list[CustomField]:
    """The active custom fields of a document type, in their order.

    Every filing reads them twice (its checks and its answer), so they are reference data,
    kept in each worker (reference_data.py): the rows are shared, callers must not change
    them."""
    return list(
        reference(
            "custom_fields",
            _active_by_target,
            uncached=lambda: {
                target: tuple(
                    CustomField.objects.filter(target=target, active=True).order_by("order", "id")
                )
            },
        ).get(target, ())
    )


def public_fields(target: str) -> list[CustomField]:
    """The active custom fields of a document type that the portal shows."""
    return [field for field in active_fields(target) if field.public]


def custom_field_columns(target: str) -> list[tuple[str, str]]:
    """The target's active custom fields as (key, label in the active language): the columns
    a list export adds, in order (see display_values for a record's cells)."""
    return [(field.key, rules.field_label(field)) for field in active_fields(target)]


def display_values(
    target: str, values: dict[str, Any] | None, *, fields: list[CustomField] | None = None
) -> dict[str, str]:
    """A record's custom values as people read them, by key, for every active field of the
    target ("" where it holds none). Pass `fields` (active_fields(target)) when showing
    many records, so the definitions are read once."""
    values = values or {}
    fields = active_fields(target) if fields is None else fields
    return {field.key: rules.display_value(field, values.get(field.key)) for field in fields}


def record_display_values(
    record: models.Model, *, fields: list[CustomField] | None = None
) -> dict[str, str]:
    """A claim's, complaint's, inspection's or subscriber's custom values as people read
    them, by key (the cells of the columns custom_field_columns gives for its type)."""
    target = CustomFieldTarget(str(record._meta.model_name)).value
    return display_values(target, getattr(record, "custom_fields", None), fields=fields)


def labelled_values(
    target: str, values: dict[str, Any] | None, *, public_only: bool = False
) -> list[tuple[str, str]]:
    """(label, shown value) of the fields holding a value, in order: for a document's page
    (the portal passes public_only)."""
    values = values or {}
    fields = public_fields(target) if public_only else active_fields(target)
    return [
        (rules.field_label(field), rules.display_value(field, values[field.key]))
        for field in fields
        if values.get(field.key) is not None
    ]


def target_model(target: str) -> type[models.Model]:
    """The model of a target document type (from the app registry: those doctypes sit above
    this one)."""
    return apps.get_model("meter_service", CustomFieldTarget(target).value)


def key_in_use(target: str, key: str) -> bool:
    """Return True when a document of the target holds a value under `key`."""
    return target_model(target)._default_manager.filter(custom_fields__has_key=key).exists()
