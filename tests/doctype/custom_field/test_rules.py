"""Custom fields' pure rules: a definition's checks, and each type's values as typed
(Persian and Arabic-Indic digits, Jalali dates) and as stored."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from apps.meter_service.doctype.custom_field import rules
from apps.meter_service.doctype.custom_field.error_codes import CustomFieldErrorCode as Code
from apps.meter_service.doctype.custom_field.models import CustomField

OPTIONS = [
    {"value": "gas", "label_fa": "گاز", "label_en": "Gas"},
    {"value": "oil", "label_fa": "نفت", "label_en": "Oil"},
]


def field(**overrides) -> CustomField:
    values = {
        "target": "claim",
        "key": "note",
        "label_fa": "یادداشت",
        "label_en": "Note",
        "field_type": "text",
    }
    values.update(overrides)
    return CustomField(**values)


def codes(error: ValidationError) -> set[str]:
    return {e.code for errors in error.error_dict.values() for e in errors}


def test_a_good_definition_has_no_errors():
    assert rules.definition_errors(field()) == {}
    assert rules.definition_errors(field(field_type="choice", options=OPTIONS)) == {}
    assert rules.definition_errors(field(field_type="integer", min_value=0, max_value=9)) == {}


@pytest.mark.parametrize(
    ("overrides", "name", "code"),
    [
        ({"key": "Bad Key"}, "key", Code.CUSTOM_KEY_INVALID),
        ({"key": "1st"}, "key", Code.CUSTOM_KEY_INVALID),
        ({"key": "کلید"}, "key", Code.CUSTOM_KEY_INVALID),
        ({"label_fa": " "}, "label_fa", Code.CUSTOM_LABEL_REQUIRED),
        ({"label_en": ""}, "label_en", Code.CUSTOM_LABEL_REQUIRED),
        ({"field_type": "choice"}, "options", Code.CUSTOM_OPTIONS_INVALID),
        (
            {"field_type": "choice", "options": [OPTIONS[0], OPTIONS[0]]},
            "options",
            Code.CUSTOM_OPTIONS_INVALID,
        ),
        (
            {"field_type": "choice", "options": [{"value": "x"}]},
            "options",
            Code.CUSTOM_OPTIONS_INVALID,
        ),
        ({"options": OPTIONS}, "options", Code.CUSTOM_OPTIONS_INVALID),
        (
            {"field_type": "integer", "min_value": 5, "max_value": 1},
            "max_value",
            Code.CUSTOM_RANGE_INVALID,
        ),
        (
            {"field_type": "integer", "min_value": Decimal("1.5")},
            "min_value",
            Code.CUSTOM_RANGE_INVALID,
        ),
        ({"min_value": 1}, "min_value", Code.CUSTOM_RANGE_NOT_FOR_TYPE),
        ({"field_type": "date", "max_length": 5}, "max_length", Code.CUSTOM_LENGTH_NOT_FOR_TYPE),
    ],
)
def test_a_bad_definition_is_refused_on_its_field(overrides, name, code):
    errors = rules.definition_errors(field(**overrides))
    assert code in {e.code for e in errors[name]}


def test_options_are_typed_one_a_line():
    options = rules.parse_options("gas | گاز | Gas\n\noil | نفت\n")
    assert options == [OPTIONS[0], {"value": "oil", "label_fa": "نفت", "label_en": "نفت"}]
    assert rules.parse_options(rules.options_text(OPTIONS)) == OPTIONS


@pytest.mark.parametrize(
    ("overrides", "typed", "stored"),
    [
        ({}, "  سلام  ", "سلام"),
        ({"field_type": "integer"}, "۱۲۳", 123),
        ({"field_type": "integer"}, "١٢٣", 123),
        ({"field_type": "integer"}, 42, 42),
        ({"field_type": "integer"}, "۱٬۲۰۰", 1200),
        ({"field_type": "decimal"}, "۱۲٫۵۰", "12.5"),
        ({"field_type": "decimal"}, 3.25, "3.25"),
        ({"field_type": "decimal"}, "100", "100"),
        ({"field_type": "boolean"}, "بله", True),
        ({"field_type": "boolean"}, "false", False),
        ({"field_type": "boolean"}, True, True),
        ({"field_type": "date"}, "۱۴۰۳/۰۵/۱۲", "2024-08-02"),
        ({"field_type": "date"}, "1403-5-12", "2024-08-02"),
        ({"field_type": "date"}, "2024-08-02", "2024-08-02"),
        ({"field_type": "choice", "options": OPTIONS}, "oil", "oil"),
        ({"field_type": "integer", "min_value": 1, "max_value": 10}, "۱۰", 10),
        ({"field_type": "text"}, "", None),
        ({"field_type": "integer"}, None, None),
    ],
)
def test_values_are_read_and_stored_as_json(overrides, typed, stored):
    assert rules.clean_value(field(**overrides), typed) == stored


@pytest.mark.parametrize(
    ("overrides", "typed", "code"),
    [
        ({"max_length": 3}, "چهار", Code.CUSTOM_TOO_LONG),
        ({}, 12, Code.CUSTOM_NOT_TEXT),
        ({"field_type": "integer"}, "۱۲٫۵", Code.CUSTOM_NOT_INTEGER),
        ({"field_type": "integer"}, "abc", Code.CUSTOM_NOT_INTEGER),
        ({"field_type": "integer"}, True, Code.CUSTOM_NOT_INTEGER),
        ({"field_type": "decimal"}, "NaN", Code.CUSTOM_NOT_DECIMAL),
        ({"field_type": "integer", "min_value": 1}, "۰", Code.CUSTOM_BELOW_MINIMUM),
        ({"field_type": "decimal", "max_value": Decimal("2.5")}, "2.6", Code.CUSTOM_ABOVE_MAXIMUM),
        ({"field_type": "boolean"}, "maybe", Code.CUSTOM_NOT_BOOLEAN),
        ({"field_type": "date"}, "۱۴۰۳/۱۳/۰۱", Code.CUSTOM_NOT_DATE),
        ({"field_type": "date"}, 20240802, Code.CUSTOM_NOT_DATE),
        ({"field_type": "choice", "options": OPTIONS}, "coal", Code.CUSTOM_NOT_A_CHOICE),
    ],
)
def test_bad_values_are_refused_with_a_code(overrides, typed, code):
    with pytest.raises(ValidationError) as caught:
        rules.clean_value(field(**overrides), typed)
    assert caught.value.code == code


def test_clean_values_checks_keys_required_and_keeps_other_values():
    fields = [field(), field(key="count", field_type="integer", required=True)]
    assert rules.clean_values(fields, {"count": "۳"}) == {"count": 3}
    # An empty value removes the key; values of fields no longer active stay.
    stored = rules.clean_values(fields, {"note": ""}, current={"note": "x", "count": 3, "old": 1})
    assert stored == {"count": 3, "old": 1}
    with pytest.raises(ValidationError) as caught:
        rules.clean_values(fields, {"note": "x", "ghost": 1})
    assert codes(caught.value) == {Code.CUSTOM_UNKNOWN_FIELD, Code.CUSTOM_REQUIRED}
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            rules.clean_values(fields, {"count": "many"})
        assert caught.value.message_dict["custom_fields"] == ["Note: Enter a whole number."]
    with pytest.raises(ValidationError) as caught:
        rules.clean_values(fields, ["not", "an", "object"])
    assert codes(caught.value) == {Code.CUSTOM_VALUES_NOT_AN_OBJECT}
    # A required field is not asked for where the door does not fill custom fields.
    assert rules.clean_values(fields, {}, require=False) == {}


def test_values_are_shown_in_the_active_language():
    choice = field(field_type="choice", options=OPTIONS)
    with translation.override("fa"):
        assert rules.display_value(field(field_type="date"), "2024-08-02") == "۱۴۰۳/۰۵/۱۲"
        assert rules.display_value(choice, "gas") == "گاز"
        assert rules.display_value(field(field_type="integer"), 12) == "۱۲"
        assert rules.field_label(choice) == "یادداشت"
    with translation.override("en"):
        assert rules.display_value(field(field_type="date"), "2024-08-02") == "2024-08-02"
        assert rules.display_value(choice, "gas") == "Gas"
        assert rules.display_value(field(field_type="boolean"), False) == "No"
        assert rules.field_label(choice) == "Note"
