"""Error codes of rule setting changes: the `code` of the errors its services, rules and
forms raise, as the API's extra.codes and the forms see them. The values are part of the
API and of tests: add new ones, never change one."""

from enum import StrEnum


class RuleSettingErrorCode(StrEnum):
    """Why a change of a rule setting was refused."""

    RULE_UNKNOWN = "rule_unknown"
    RULE_SITE_ONLY = "rule_site_only"
    RULE_NOT_A_BOOLEAN = "rule_not_a_boolean"
    RULE_NOT_A_NUMBER = "rule_not_a_number"
    RULE_OUT_OF_RANGE = "rule_out_of_range"
    RULE_NOT_A_CHOICE = "rule_not_a_choice"
    RULE_BAD_COMPANY_CODE = "rule_bad_company_code"
    RULE_UNKNOWN_ROLE = "rule_unknown_role"
    RULE_BAD_STRUCTURE = "rule_bad_structure"
    RULE_BAD_HOURS = "rule_bad_hours"
    RULE_IN_THE_PAST = "rule_in_the_past"
    RULE_REASON_REQUIRED = "rule_reason_required"
    RULE_UNCHANGED = "rule_unchanged"
