"""Custom fields as ordinary form fields: the desk's change forms and any page that edits a
document's custom values build them here; each checks its value with rules.clean_value."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext
from unfold.widgets import (
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from apps.meter_service.core.desk_widgets import JalaliDateInput
from apps.meter_service.core.error_codes import CommonErrorCode
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.custom_field import rules
from apps.meter_service.doctype.custom_field.models import CustomField, CustomFieldType

PREFIX = "custom__"


def form_name(field: CustomField) -> str:
    """The form field's name of a custom field (apart from the model's own fields)."""
    return f"{PREFIX}{field.key}"


class CustomValueField(forms.Field):
    """One custom field in a form: its label, help and widget by type; its value checked and
    returned as stored (rules.clean_value)."""

    def __init__(self, definition: CustomField, **kwargs: Any) -> None:
        self.definition = definition
        kind = definition.field_type
        widget: forms.Widget
        if kind == CustomFieldType.LONG_TEXT:
            widget = UnfoldAdminTextareaWidget(attrs={"rows": 3})
        elif kind == CustomFieldType.BOOLEAN:
            widget = UnfoldAdminSelectWidget(
                choices=[("", "---------"), ("true", gettext("Yes")), ("false", gettext("No"))]
            )
        elif kind == CustomFieldType.CHOICE:
            widget = UnfoldAdminSelectWidget(
                choices=[("", "---------"), *rules.option_pairs(definition)]
            )
        elif kind == CustomFieldType.DATE:
            widget = JalaliDateInput()
        elif kind in rules.NUMBER_TYPES:
            widget = UnfoldAdminTextInputWidget(
                attrs={"inputmode": "decimal", "dir": "ltr", "autocomplete": "off"}
            )
        else:
            widget = UnfoldAdminTextInputWidget()
        super().__init__(
            required=definition.required,
            label=rules.field_label(definition),
            help_text=rules.field_help(definition),
            widget=widget,
            **kwargs,
        )

    def to_python(self, value: Any) -> Any:
        return rules.clean_value(self.definition, value)

    def validate(self, value: Any) -> None:
        if value is None and self.required:
            raise forms.ValidationError(
                self.error_messages["required"], code=CommonErrorCode.REQUIRED
            )

    def prepare_value(self, value: Any) -> Any:
        kind = self.definition.field_type
        if kind == CustomFieldType.BOOLEAN and isinstance(value, bool):
            return "true" if value else "false"
        if kind == CustomFieldType.DATE and isinstance(value, str):
            try:
                return format_date(datetime.date.fromisoformat(value))
            except ValueError:
                return value
        return value

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return bool(self.to_python(data) != initial)
        except forms.ValidationError:
            return True


def custom_form_fields(definitions: list[CustomField]) -> dict[str, CustomValueField]:
    """The form fields of a target's active custom fields, by form name, in order."""
    return {form_name(field): CustomValueField(field) for field in definitions}


def custom_initial(definitions: list[CustomField], values: dict[str, Any] | None) -> dict[str, Any]:
    """A document's stored values as the initial data of its custom form fields."""
    values = values or {}
    return {form_name(f): values[f.key] for f in definitions if f.key in values}


def custom_cleaned(definitions: list[CustomField], cleaned_data: dict[str, Any]) -> dict[str, Any]:
    """The custom values of a valid form, by key, as custom_values_set takes them."""
    return {f.key: cleaned_data.get(form_name(f)) for f in definitions}


def add_custom_fields(form: forms.BaseForm, definitions: list[CustomField]) -> list[Any]:
    """Add a target's custom fields to a filing form (after its desk widgets are set) and
    return them bound, for the page's "Custom fields" card."""
    fields = custom_form_fields(definitions)
    form.fields.update(fields)
    return [form[name] for name in fields]


class CustomValuesForm(forms.Form):
    """A document's custom values on their own (for documents the desk does not edit by a
    change form: claims, complaints, inspections)."""

    def __init__(
        self, *args: Any, definitions: list[CustomField], values: dict[str, Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.definitions = definitions
        self.fields.update(custom_form_fields(definitions))
        self.initial.update(custom_initial(definitions, values))

    def values(self) -> dict[str, Any]:
        return custom_cleaned(self.definitions, self.cleaned_data)
