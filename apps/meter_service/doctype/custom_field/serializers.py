"""Custom values in the API: one `custom_fields` object, keys to values as stored."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.meter_service import permissions
from apps.meter_service.doctype.custom_field.selectors import active_fields

INPUT_HELP = (
    "The document's custom fields, by key (see the desk's custom fields): text, whole or "
    "decimal numbers (Persian digits accepted), true/false, dates (ISO or Jalali), a choice's "
    "value. Required custom fields must be given; a bad value is refused with 400."
)
OUTPUT_HELP = (
    "The document's custom fields, by key: text, numbers (a decimal as a string), true/false, "
    "dates as ISO strings, a choice's value. Callers outside the company see the fields "
    "marked public only."
)


def custom_fields_input() -> serializers.DictField:
    """The input field of a document's custom values (checked by the doctype's service)."""
    return serializers.DictField(required=False, help_text=INPUT_HELP)


def custom_fields_output() -> serializers.DictField:
    """The output field of a document's custom values (see custom_values_for)."""
    return serializers.DictField(read_only=True, help_text=OUTPUT_HELP)


def custom_values_for(viewer: Any, target: str, values: dict[str, Any] | None) -> dict[str, Any]:
    """A document's custom values as `viewer` may read them: company staff every active
    field's, others the public fields' only."""
    values = values or {}
    staff = permissions.is_company_staff(viewer) if viewer is not None else False
    return {
        field.key: values[field.key]
        for field in active_fields(target)
        if field.key in values and (staff or field.public)
    }
