"""Error codes of notification documents: the `code` of the errors its services, rules and
forms raise, as the API's extra.codes and the forms see them. The values are part of the
API and of tests: add new ones, never change one."""

from enum import StrEnum


class NotificationErrorCode(StrEnum):
    """Why a notification action or check was refused."""

    ALWAYS_ACTIVE = "always_active"
    BAD_PLACEHOLDER = "bad_placeholder"
    RULE_CONDITION = "rule_condition"
    RULE_NO_CHANNEL = "rule_no_channel"
    RULE_ROLE = "rule_role"
    RULE_STAFF_SMS = "rule_staff_sms"
    RULE_TEXT = "rule_text"
    SMS_MASKED = "sms_masked"
    SMS_NOT_FAILED = "sms_not_failed"
    TEMPLATE_KEY = "template_key"
    UNKNOWN_PLACEHOLDER = "unknown_placeholder"
    UNMATCHED_BRACE = "unmatched_brace"
