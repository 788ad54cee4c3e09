"""Custom fields' rules: a definition's checks, and how a value is read, checked, stored and
shown. Pure functions: no queries, no writes.

Every door (desk, API, import, the services) reads values through `clean_value` and
`clean_values`, so a value is refused with the same words wherever it comes from. Stored
values are plain JSON: text as a string, a whole number as a number, a decimal as its
canonical string (exact, as the API's decimals are), yes/no as a boolean, a date as its ISO
string, a choice as the option's value. Persian and Arabic-Indic digits are accepted.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.display import is_persian, local_digits
from apps.meter_service.core.forms import normalize_input
from apps.meter_service.core.jalali import format_date, parse_date
from apps.meter_service.doctype.custom_field.error_codes import CustomFieldErrorCode as Code
from apps.meter_service.doctype.custom_field.models import CustomField, CustomFieldType

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TEXT_TYPES = frozenset({CustomFieldType.TEXT, CustomFieldType.LONG_TEXT})
NUMBER_TYPES = frozenset({CustomFieldType.INTEGER, CustomFieldType.DECIMAL})
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "on", "بله", "آری", "بلی"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "off", "خیر", "نه"})
# The longest text a field takes when its definition sets no maximum.
DEFAULT_MAX_LENGTH = {CustomFieldType.TEXT: 255, CustomFieldType.LONG_TEXT: 5000}


def _in_language(func: Callable[[], str]) -> Any:
    """Text worked out when it is shown, in the language active then (an error's words
    are stored in both languages by the imports)."""
    return lazy(func, str)()


def lazy_label(field: CustomField) -> Any:
    """The field's label as a lazy text (see _in_language)."""
    return _in_language(lambda: field_label(field))


def lazy_digits(value: object) -> Any:
    """A number in the digits of the language it is shown in."""
    return _in_language(lambda: local_digits(value))


def field_label(field: CustomField) -> str:
    """The field's label in the active language."""
    return field.label_fa if is_persian() else (field.label_en or field.label_fa)


def field_help(field: CustomField) -> str:
    """The field's help text in the active language."""
    return field.help_fa if is_persian() else (field.help_en or field.help_fa)


def option_pairs(field: CustomField) -> list[tuple[str, str]]:
    """A choice's options as (value, label in the active language)."""
    persian = is_persian()
    return [
        (str(o["value"]), str(o["label_fa"] if persian else o.get("label_en") or o["label_fa"]))
        for o in field.options or []
    ]


# --- the definition ---------------------------------------------------------------------------
def definition_errors(field: CustomField) -> dict[str, list[ValidationError]]:
    """What is wrong with a definition (its fields named), empty when it is good."""
    errors: dict[str, list[ValidationError]] = {}

    def add(name: str, message: Any, code: Code, **params: Any) -> None:
        errors.setdefault(name, []).append(
            ValidationError(message, code=code, params=params or None)
        )

    if not KEY_RE.match(field.key or ""):
        add(
            "key",
            _(
                "A key is lower-case Latin letters, digits and underscores, starting with a "
                "letter (at most 40)."
            ),
            Code.CUSTOM_KEY_INVALID,
        )
    if not (field.label_fa or "").strip():
        add("label_fa", _("Give the field a Persian label."), Code.CUSTOM_LABEL_REQUIRED)
    if not (field.label_en or "").strip():
        add("label_en", _("Give the field an English label."), Code.CUSTOM_LABEL_REQUIRED)
    kind = field.field_type
    if kind == CustomFieldType.CHOICE:
        problem = _options_problem(field.options)
        if problem:
            add("options", problem, Code.CUSTOM_OPTIONS_INVALID)
    elif field.options:
        add("options", _("Only a choice has options."), Code.CUSTOM_OPTIONS_INVALID)
    if kind in NUMBER_TYPES:
        low, high = field.min_value, field.max_value
        if low is not None and high is not None and low > high:
            add("max_value", _("The maximum is below the minimum."), Code.CUSTOM_RANGE_INVALID)
        if kind == CustomFieldType.INTEGER:
            for name, bound in (("min_value", low), ("max_value", high)):
                if bound is not None and Decimal(bound) != Decimal(bound).to_integral_value():
                    add(name, _("A whole number's bounds are whole."), Code.CUSTOM_RANGE_INVALID)
    else:
        for name in ("min_value", "max_value"):
            if getattr(field, name) is not None:
                add(
                    name,
                    _("Only a number has a minimum and a maximum."),
                    Code.CUSTOM_RANGE_NOT_FOR_TYPE,
                )
    if field.max_length is not None and kind not in TEXT_TYPES:
        add("max_length", _("Only text has a maximum length."), Code.CUSTOM_LENGTH_NOT_FOR_TYPE)
    if field.max_length is not None and field.max_length < 1:
        add("max_length", _("The maximum length is at least 1."), Code.CUSTOM_RANGE_INVALID)
    return errors


def _options_problem(options: Any) -> Any:
    if not isinstance(options, list) or not options:
        return _("A choice needs at least one option.")
    seen: set[str] = set()
    for option in options:
        if not isinstance(option, dict) or set(option) - {"value", "label_fa", "label_en"}:
            return _("Each option has a value, a Persian label and an English label.")
        value = str(option.get("value", "")).strip()
        if not value or not str(option.get("label_fa", "")).strip():
            return _("Each option has a value, a Persian label and an English label.")
        if value in seen:
            return _("Two options have the value %(value)s.") % {"value": value}
        seen.add(value)
    return None


def parse_options(text: str) -> list[dict[str, str]]:
    """Read a choice's options typed one a line as `value | Persian label | English label`
    (the English label may be left out: the Persian one is used)."""
    options = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        value = parts[0]
        label_fa = parts[1] if len(parts) > 1 else ""
        label_en = parts[2] if len(parts) > 2 else ""
        options.append({"value": value, "label_fa": label_fa, "label_en": label_en or label_fa})
    return options


def options_text(options: Iterable[Mapping[str, Any]]) -> str:
    """A choice's options as typed in the desk (see parse_options)."""
    return "\n".join(
        f"{o.get('value', '')} | {o.get('label_fa', '')} | {o.get('label_en', '')}"
        for o in options or []
    )


# --- values ----------------------------------------------------------------------------------
def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_value(field: CustomField, value: Any) -> Any:
    """Return the value to store for `value` (as typed, or as JSON gives it), or None when
    it is empty. Raises ValidationError (naming no field) when it is not good."""
    if is_empty(value):
        return None
    kind = field.field_type
    if kind in TEXT_TYPES:
        if not isinstance(value, str):
            raise ValidationError(_("Enter text."), code=Code.CUSTOM_NOT_TEXT)
        text = value.strip()
        limit = field.max_length or DEFAULT_MAX_LENGTH[CustomFieldType(kind)]
        if len(text) > limit:
            raise ValidationError(
                _("At most %(limit)s characters."),
                code=Code.CUSTOM_TOO_LONG,
                params={"limit": lazy_digits(limit)},
            )
        return text
    if kind in NUMBER_TYPES:
        return _clean_number(field, value)
    if kind == CustomFieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        word = normalize_input(str(value)).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValidationError(_("Answer yes or no."), code=Code.CUSTOM_NOT_BOOLEAN)
    if kind == CustomFieldType.DATE:
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, datetime.date):
            return value.isoformat()
        if not isinstance(value, str):
            raise ValidationError(
                _("Enter a valid date, such as 1403/05/12."), code=Code.CUSTOM_NOT_DATE
            )
        try:
            return parse_date(value).isoformat()
        except (ValueError, TypeError) as exc:
            raise ValidationError(
                _("Enter a valid date, such as 1403/05/12."), code=Code.CUSTOM_NOT_DATE
            ) from exc
    if kind == CustomFieldType.CHOICE:
        choice = normalize_input(str(value)).strip() if isinstance(value, str | int) else None
        values = [str(o["value"]) for o in field.options or []]
        if choice is None or choice not in values:
            raise ValidationError(
                _("Choose one of: %(options)s."),
                code=Code.CUSTOM_NOT_A_CHOICE,
                params={
                    "options": _in_language(
                        lambda: "، ".join(label for _v, label in option_pairs(field))
                    )
                },
            )
        return choice
    raise ValidationError(_("Unknown field type."), code=Code.CUSTOM_UNKNOWN_FIELD)


def _clean_number(field: CustomField, value: Any) -> int | str:
    integer = field.field_type == CustomFieldType.INTEGER
    bad = (
        ValidationError(_("Enter a whole number."), code=Code.CUSTOM_NOT_INTEGER)
        if integer
        else ValidationError(_("Enter a number."), code=Code.CUSTOM_NOT_DECIMAL)
    )
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise bad
    try:
        number = Decimal(normalize_input(str(value)).replace(",", "").strip())
    except InvalidOperation as exc:
        raise bad from exc
    if not number.is_finite():
        raise bad
    if integer and number != number.to_integral_value():
        raise bad
    if field.min_value is not None and number < field.min_value:
        raise ValidationError(
            _("At least %(limit)s."),
            code=Code.CUSTOM_BELOW_MINIMUM,
            params={"limit": lazy_digits(_plain(Decimal(field.min_value)))},
        )
    if field.max_value is not None and number > field.max_value:
        raise ValidationError(
            _("At most %(limit)s."),
            code=Code.CUSTOM_ABOVE_MAXIMUM,
            params={"limit": lazy_digits(_plain(Decimal(field.max_value)))},
        )
    return int(number) if integer else _plain(number)


def _plain(number: Decimal) -> str:
    """A decimal as plain text without trailing zeros: 12.50 -> 12.5, 1E+2 -> 100."""
    text = format(number.normalize(), "f")
    return text


def clean_values(
    fields: Iterable[CustomField],
    values: Any,
    *,
    current: Mapping[str, Any] | None = None,
    require: bool = True,
) -> dict[str, Any]:
    """Return a document's custom values to store: `current` with `values` applied.

    `fields` are the target's active fields. A key of `values` that names none of them is
    refused; an empty value removes the key; a required field must hold a value afterwards
    when `require` is set. Values of fields made inactive are kept as they were. Raises
    ValidationError({"custom_fields": [...]}) with each message naming the field.
    """
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise ValidationError(
            {
                "custom_fields": ValidationError(
                    _("Custom fields are an object of keys and values."),
                    code=Code.CUSTOM_VALUES_NOT_AN_OBJECT,
                )
            }
        )
    by_key = {field.key: field for field in fields}
    result = dict(current or {})
    errors: list[ValidationError] = []
    for key in values:
        if key not in by_key:
            errors.append(
                ValidationError(
                    _("There is no custom field %(key)s."),
                    code=Code.CUSTOM_UNKNOWN_FIELD,
                    params={"key": key},
                )
            )
    for key, field in by_key.items():
        if key in values:
            try:
                cleaned = clean_value(field, values[key])
            except ValidationError as exc:
                errors.extend(_named(field, exc))
                continue
            if cleaned is None:
                result.pop(key, None)
            else:
                result[key] = cleaned
        if require and field.required and result.get(key) is None:
            errors.append(
                ValidationError(
                    _("%(label)s: this field is required."),
                    code=Code.CUSTOM_REQUIRED,
                    params={"label": lazy_label(field)},
                )
            )
    if errors:
        raise ValidationError({"custom_fields": errors})
    return result


def _named(field: CustomField, error: ValidationError) -> list[ValidationError]:
    """The errors of one field's value, each starting with the field's label."""

    def text(item: ValidationError) -> Any:
        return _in_language(
            lambda: str(item.message % item.params if item.params else item.message)
        )

    return [
        ValidationError(
            "%(label)s: %(message)s",
            code=item.code,
            params={"label": lazy_label(field), "message": text(item)},
        )
        for item in error.error_list
    ]


def display_value(field: CustomField, value: Any) -> str:
    """A stored value as people read it in the active language ("" for none)."""
    if value is None or value == "":
        return ""
    kind = field.field_type
    if kind == CustomFieldType.BOOLEAN:
        return gettext("Yes") if value else gettext("No")
    if kind == CustomFieldType.DATE:
        try:
            return format_date(datetime.date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if kind == CustomFieldType.CHOICE:
        return dict(option_pairs(field)).get(str(value), str(value))
    if kind in NUMBER_TYPES:
        return local_digits(value)
    return str(value)
