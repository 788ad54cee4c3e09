"""Error codes of custom fields: the `code` of the errors its rules and services raise, as
the API's extra.codes and the forms see them. The values are part of the API and of tests:
add new ones, never change one."""

from enum import StrEnum


class CustomFieldErrorCode(StrEnum):
    """Why a custom field's definition or a value of it was refused."""

    KEY_INVALID = "custom_key_invalid"
    KEY_TAKEN = "custom_key_taken"
    KEY_IN_USE = "custom_key_in_use"
    TARGET_IN_USE = "custom_target_in_use"
    LABEL_REQUIRED = "custom_label_required"
    OPTIONS_INVALID = "custom_options_invalid"
    RANGE_INVALID = "custom_range_invalid"
    RANGE_NOT_FOR_TYPE = "custom_range_not_for_type"
    LENGTH_NOT_FOR_TYPE = "custom_length_not_for_type"
    VALUES_NOT_AN_OBJECT = "custom_values_not_an_object"
    UNKNOWN_FIELD = "custom_unknown_field"
    REQUIRED = "custom_required"
    NOT_TEXT = "custom_not_text"
    TOO_LONG = "custom_too_long"
    NOT_INTEGER = "custom_not_integer"
    NOT_DECIMAL = "custom_not_decimal"
    BELOW_MINIMUM = "custom_below_minimum"
    ABOVE_MAXIMUM = "custom_above_maximum"
    NOT_BOOLEAN = "custom_not_boolean"
    NOT_DATE = "custom_not_date"
    NOT_A_CHOICE = "custom_not_a_choice"
