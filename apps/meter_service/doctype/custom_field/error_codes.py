"""Error codes of custom fields: the `code` of the errors its rules and services raise, as
the API's extra.codes and the forms see them. The values are part of the API and of tests:
add new ones, never change one."""

from enum import StrEnum


class CustomFieldErrorCode(StrEnum):
    """Why a custom field's definition or a value of it was refused."""

    CUSTOM_KEY_INVALID = "custom_key_invalid"
    CUSTOM_KEY_TAKEN = "custom_key_taken"
    CUSTOM_KEY_IN_USE = "custom_key_in_use"
    CUSTOM_TARGET_IN_USE = "custom_target_in_use"
    CUSTOM_LABEL_REQUIRED = "custom_label_required"
    CUSTOM_OPTIONS_INVALID = "custom_options_invalid"
    CUSTOM_RANGE_INVALID = "custom_range_invalid"
    CUSTOM_RANGE_NOT_FOR_TYPE = "custom_range_not_for_type"
    CUSTOM_LENGTH_NOT_FOR_TYPE = "custom_length_not_for_type"
    CUSTOM_VALUES_NOT_AN_OBJECT = "custom_values_not_an_object"
    CUSTOM_UNKNOWN_FIELD = "custom_unknown_field"
    CUSTOM_REQUIRED = "custom_required"
    CUSTOM_NOT_TEXT = "custom_not_text"
    CUSTOM_TOO_LONG = "custom_too_long"
    CUSTOM_NOT_INTEGER = "custom_not_integer"
    CUSTOM_NOT_DECIMAL = "custom_not_decimal"
    CUSTOM_BELOW_MINIMUM = "custom_below_minimum"
    CUSTOM_ABOVE_MAXIMUM = "custom_above_maximum"
    CUSTOM_NOT_BOOLEAN = "custom_not_boolean"
    CUSTOM_NOT_DATE = "custom_not_date"
    CUSTOM_NOT_A_CHOICE = "custom_not_a_choice"
