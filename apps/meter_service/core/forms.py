"""Form behaviour shared by every form of the service (desk, portals, imports)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, overload

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from apps.meter_service.core.identifiers import normalize_code_search, normalize_digits

# Persian decimal and thousands separators, so "۱۲٫۵" and "۱٬۲۰۰" read as numbers.
_SEPARATORS = str.maketrans({"\u066b": ".", "\u066c": ""})


def normalize_input(value: str) -> str:
    """Return user input with Persian/Arabic-Indic digits and separators made ASCII."""
    return normalize_digits(value).translate(_SEPARATORS)


def normalize_search(text: str) -> str:
    """Return a list's search text as the stored codes and numbers read.

    All or part of a code typed as printed (934-557-8690, Persian digits, pasted direction
    marks) becomes its plain digits (identifiers.normalize_code_search); other text keeps
    its words, with Persian and Arabic-Indic digits made ASCII (a serial like GT-۱۲۳۴).
    """
    digits = normalize_code_search(text or "")
    if digits is not None:
        return digits
    return normalize_input(text or "").strip()


@overload
def normalize_form_data(data: QueryDict) -> QueryDict: ...
@overload
def normalize_form_data(data: Mapping[str, Any]) -> dict[str, Any]: ...
@overload
def normalize_form_data(data: None) -> None: ...
def normalize_form_data(data: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Return a copy of submitted form data with every text value's digits normalised."""
    if data is None:
        return None
    if isinstance(data, QueryDict):
        normalized = data.copy()
        for key in normalized:
            normalized.setlist(
                key,
                [normalize_input(v) if isinstance(v, str) else v for v in data.getlist(key)],
            )
        return normalized
    return {k: normalize_input(v) if isinstance(v, str) else v for k, v in data.items()}


class DigitNormalizingMixin(forms.BaseForm):
    """Accept Persian and Arabic-Indic digits in every field of the form."""

    def __init__(self, data: Mapping[str, Any] | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(normalize_form_data(data), *args, **kwargs)


class DigitNormalizingForm(DigitNormalizingMixin, forms.Form):
    pass


class DigitNormalizingModelForm(DigitNormalizingMixin, forms.ModelForm):
    pass


def digits_input(*, decimal: bool = True) -> forms.TextInput:
    """A text input for numbers: type="number" would refuse Persian digits in browsers."""
    return forms.TextInput(
        attrs={
            "inputmode": "decimal" if decimal else "numeric",
            "dir": "ltr",
            "autocomplete": "off",
        }
    )


class ServiceErrorsMixin(forms.BaseForm):
    """Show a service's ValidationError on the fields it names (or on the form).

    `service_error_fields` maps a service's field name to the form's where they differ.
    """

    service_error_fields: dict[str, str] = {}

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, messages in error.error_dict.items():
                field = self.service_error_fields.get(field, field)
                target = field if field in self.fields else None
                for message in messages:
                    self.add_error(target, message)
        else:
            for text in error.messages:
                self.add_error(None, text)
