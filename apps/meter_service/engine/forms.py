"""A Django form built from a user task's fields (Camunda `formData` in the BPMN file).

Field types: string, long, decimal, boolean, date, enum. Constraints: required, min, max,
minlength, maxlength, and required_if ("other_field=value"). Labels are translated through
the catalogue (workflows/labels.py lists the BPMN's strings); dates are Jalali in Persian.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from SpiffWorkflow.camunda.specs.user_task import FormField
from SpiffWorkflow.specs.base import TaskSpec

from apps.meter_service.core.forms import DigitNormalizingForm, digits_input
from apps.meter_service.core.jalali import JalaliDateField, format_date
from apps.meter_service.engine import handlers

FIELD_TYPES = ("string", "long", "decimal", "boolean", "date", "enum")
CONSTRAINTS = ("required", "min", "max", "minlength", "maxlength", "required_if", "readonly")


def date_input() -> forms.TextInput:
    """A date typed as text with the portal's and desk's Jalali calendar (data-jalali), with
    today's date in the active calendar as the example."""
    from django.utils import timezone

    return forms.TextInput(
        attrs={
            "inputmode": "numeric",
            "dir": "ltr",
            "autocomplete": "off",
            "data-jalali": "1",
            "placeholder": format_date(timezone.localdate()),
        }
    )


def date_hint() -> str:
    from django.utils import timezone

    return gettext("Year/month/day, such as %(today)s, or pick the day on the calendar.") % {
        "today": format_date(timezone.localdate())
    }


def _field(spec_field: FormField) -> forms.Field:
    rules = {v.name: v.config for v in spec_field.validation}
    required = "required" in rules
    label = gettext(spec_field.label or spec_field.id)
    kind = spec_field.type
    common: dict[str, Any] = {"label": label, "required": required}
    if kind == "enum":
        choices = [(o.id, gettext(o.name)) for o in spec_field.options]
        if not required:
            choices = [("", "—"), *choices]
        return forms.ChoiceField(choices=choices, **common)
    if kind == "boolean":
        return forms.BooleanField(label=label, required=False)
    if kind == "long":
        return forms.IntegerField(
            min_value=_number(rules.get("min"), int),
            max_value=_number(rules.get("max"), int),
            widget=digits_input(decimal=False),
            **common,
        )
    if kind == "decimal":
        return forms.DecimalField(
            min_value=_number(rules.get("min"), Decimal),
            max_value=_number(rules.get("max"), Decimal),
            max_digits=14,
            decimal_places=3,
            widget=digits_input(),
            **common,
        )
    if kind == "date":
        return JalaliDateField(widget=date_input(), help_text=date_hint(), **common)
    return forms.CharField(
        max_length=_number(rules.get("maxlength"), int),
        min_length=_number(rules.get("minlength"), int),
        widget=forms.Textarea(attrs={"rows": 2})
        if (_number(rules.get("maxlength"), int) or 0) > 100
        else forms.TextInput,
        **common,
    )


_Number = TypeVar("_Number", int, Decimal)


def _number(value: str | None, kind: Callable[[str], _Number]) -> _Number | None:
    return None if value is None or value == "" else kind(value)


class TaskForm(DigitNormalizingForm):
    """The fields of one user task, with its cross-field rules."""

    def __init__(
        self,
        *args: Any,
        spec_fields: Iterable[FormField] = (),
        extra_rule: Callable[[handlers.TaskData], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._spec_fields = list(spec_fields)
        self._extra_rule = extra_rule
        for spec_field in self._spec_fields:
            self.fields[spec_field.id] = _field(spec_field)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned is None:  # as Django does when a clean() returns nothing
            cleaned = self.cleaned_data
        for spec_field in self._spec_fields:
            condition = next(
                (v.config for v in spec_field.validation if v.name == "required_if"), None
            )
            if not condition or cleaned.get(spec_field.id) not in (None, ""):
                continue
            other, _sep, expected = condition.partition("=")
            if str(cleaned.get(other.strip())) == expected.strip():
                self.add_error(spec_field.id, _("This field is required."))
        if self._extra_rule and not self.errors:
            try:
                self._extra_rule(task_data(cleaned))
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned


def task_data(cleaned: Mapping[str, Any]) -> dict[str, Any]:
    """Cleaned values as the plain JSON the engine keeps (dates ISO, decimals as floats)."""
    data: dict[str, Any] = {}
    for key, value in cleaned.items():
        if isinstance(value, datetime.date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = float(value)
        elif value == "":
            value = None
        data[key] = value
    return data


def form_for(
    task_spec: TaskSpec,
    data: Mapping[str, Any] | None = None,
    files: MultiValueDict[str, UploadedFile] | None = None,
) -> TaskForm:
    spec_form = getattr(task_spec, "form", None)
    return TaskForm(
        data,
        files,
        spec_fields=spec_form.fields if spec_form else (),
        extra_rule=handlers.FORM_RULES.get(getattr(spec_form, "key", "") or task_spec.bpmn_id),
    )
