"""Rule settings' types: what the desk accepts for each rule, and the clear refusals."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from apps.meter_service.core.rule_settings import RULES, SITE_ONLY
from apps.meter_service.doctype.rule_setting import rules
from apps.meter_service.doctype.rule_setting.error_codes import RuleSettingErrorCode as Code


def refused(name: str, text: str) -> str:
    with pytest.raises(ValidationError) as caught:
        rules.parse_value(name, text)
    (error,) = caught.value.error_dict["value"]
    return str(error.code)


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_has_a_type_and_its_default_reads_back(name):
    """The README's table and the desk list the same rules; each default is a valid value."""
    rules.rule_type(name)
    default = RULES[name].default
    assert rules.parse_value(name, rules.value_text(name, default)) == default
    assert rules.value_display(name, default)


def test_site_only_rules_are_rules_and_not_editable():
    assert set(RULES) >= SITE_ONLY
    assert not any(rules.editable(name) for name in SITE_ONLY)
    assert rules.editable("VAT_PERCENT")
    assert not rules.editable("NO_SUCH_RULE")


def test_integers_take_persian_and_arabic_digits_and_separators():
    assert rules.parse_value("PAYMENT_EXPIRY_DAYS", "۱۴") == 14
    assert rules.parse_value("PAYMENT_EXPIRY_DAYS", "١٤") == 14
    assert rules.parse_value("IMPORT_MAX_ROWS", "۵۰٬۰۰۰") == 50_000
    assert rules.parse_value("IMPORT_MAX_ROWS", " 1,000 ") == 1000
    assert rules.parse_value("PAYMENT_EXPIRY_DAYS", 9) == 9


@pytest.mark.parametrize(
    ("name", "text", "code"),
    [
        ("PAYMENT_EXPIRY_DAYS", "seven", Code.RULE_NOT_A_NUMBER),
        ("PAYMENT_EXPIRY_DAYS", "", Code.RULE_NOT_A_NUMBER),
        ("PAYMENT_EXPIRY_DAYS", "2.5", Code.RULE_NOT_A_NUMBER),
        ("PAYMENT_EXPIRY_DAYS", "0", Code.RULE_OUT_OF_RANGE),
        ("PAYMENT_EXPIRY_DAYS", "-3", Code.RULE_OUT_OF_RANGE),
        ("PAYMENT_EXPIRY_DAYS", "99999", Code.RULE_OUT_OF_RANGE),
        ("OTP_LENGTH", "3", Code.RULE_OUT_OF_RANGE),
        ("OTP_LENGTH", "۱۱", Code.RULE_OUT_OF_RANGE),
        ("SCAN_MAX_BYTES", "10", Code.RULE_OUT_OF_RANGE),
        ("VAT_PERCENT", "101", Code.RULE_OUT_OF_RANGE),
        ("VAT_PERCENT", "-1", Code.RULE_OUT_OF_RANGE),
        ("SLA_AT_RISK_PERCENT", "100", Code.RULE_OUT_OF_RANGE),
        ("CORRECTION_APPROVAL_LIMIT_RIAL", "12.5", Code.RULE_NOT_A_NUMBER),
        ("CORRECTION_APPROVAL_LIMIT_RIAL", "-1", Code.RULE_OUT_OF_RANGE),
        ("TRANSITION_FLOW_FRACTION", "1", Code.RULE_OUT_OF_RANGE),
        ("TRANSITION_FLOW_FRACTION", "0", Code.RULE_OUT_OF_RANGE),
        ("TARIFF_MONTH_DAYS", "40", Code.RULE_OUT_OF_RANGE),
        ("REFUND_FEE_WHEN_FAULTY", "maybe", Code.RULE_NOT_A_BOOLEAN),
        ("CORRECTION_ERROR_BASIS", "median", Code.RULE_NOT_A_CHOICE),
        ("GAS_COMPANY_CODE", "12", Code.RULE_BAD_COMPANY_CODE),
        ("GAS_COMPANY_CODE", "12a", Code.RULE_BAD_COMPANY_CODE),
        ("COMPLAINT_ESCALATION_ROLES", "manager", Code.RULE_UNKNOWN_ROLE),
        ("COMPLAINT_ESCALATION_ROLES", "", Code.RULE_UNKNOWN_ROLE),
        ("SLA_WORKDAY_HOURS", "7 till 3", Code.RULE_BAD_HOURS),
        ("SLA_WORKDAY_HOURS", "15:00-07:00", Code.RULE_BAD_HOURS),
        ("SLA_WORKDAY_HOURS", "", Code.RULE_BAD_HOURS),
        ("SLA_WORKDAY_HOURS", "07:00-25:00", Code.RULE_BAD_HOURS),
        ("IN_SERVICE_TOLERANCE_BANDS", "not json", Code.RULE_BAD_STRUCTURE),
        ("IN_SERVICE_TOLERANCE_BANDS", "{}", Code.RULE_BAD_STRUCTURE),
        ("IN_SERVICE_TOLERANCE_BANDS", '{"1.5": {"low": 3}}', Code.RULE_BAD_STRUCTURE),
        ("IN_SERVICE_TOLERANCE_BANDS", '{"x": {"low": 3, "high": 1}}', Code.RULE_BAD_STRUCTURE),
        ("IN_SERVICE_TOLERANCE_BANDS", '{"1.5": {"low": 0, "high": 1}}', Code.RULE_OUT_OF_RANGE),
        (
            "IN_SERVICE_TOLERANCE_BANDS",
            '{"1.5": {"low": 3, "high": true}}',
            Code.RULE_BAD_STRUCTURE,
        ),
        ("IN_SERVICE_TOLERANCE_BANDS", '{"1.5": {"low": 3, "high": 1.5}}', Code.RULE_BAD_STRUCTURE),
        (
            "IN_SERVICE_TOLERANCE_BANDS",
            '{"1.0": {"low": 2, "high": 1}, "1.5": {"low": 3, "high": 1.5}, '
            '"2": {"low": 4, "high": 2}}',
            Code.RULE_BAD_STRUCTURE,
        ),
        ("PROCESS_LANE_ROLES", '{"technician": ["technician"]}', Code.RULE_BAD_STRUCTURE),
        ("PROCESS_LANE_ROLES", "[]", Code.RULE_BAD_STRUCTURE),
    ],
)
def test_bad_input_is_refused_with_its_code(name, text, code):
    assert refused(name, text) == code


def test_percentages_money_and_fractions():
    assert rules.parse_value("VAT_PERCENT", "۹٫۵") == 9.5
    assert rules.parse_value("VAT_PERCENT", "9%") == 9
    assert rules.parse_value("VAT_PERCENT", "۰") == 0
    assert rules.parse_value("CORRECTION_APPROVAL_LIMIT_RIAL", "۲۰٬۰۰۰٬۰۰۰") == 20_000_000
    assert rules.parse_value("TRANSITION_FLOW_FRACTION", "0.15") == 0.15
    assert rules.parse_value("TARIFF_MONTH_DAYS", "30.4375") == 30.4375


def test_booleans_in_both_languages():
    for text in ("true", "بله", "1", "Yes"):
        assert rules.parse_value("REFUND_FEE_WHEN_FAULTY", text) is True
    for text in ("false", "خیر", "0", "no"):
        assert rules.parse_value("REFUND_FEE_WHEN_FAULTY", text) is False


def test_strings_lists_and_roles():
    assert rules.parse_value("GAS_COMPANY_CODE", "۰۱۲") == "012"
    assert rules.parse_value("GAS_COMPANY_CODE", "") == ""
    assert rules.parse_value("CORRECTION_ERROR_BASIS", "decisive") == "decisive"
    assert rules.parse_value(
        "COMPLAINT_ESCALATION_ROLES", "service_manager\ncomplaints_officer, service_manager"
    ) == ["service_manager", "complaints_officer"]
    assert rules.parse_value("STAFF_TOTP_REQUIRED_ROLES", "") == []


def test_office_hours_and_a_day_off():
    assert rules.parse_value("SLA_WORKDAY_HOURS", "۷:۳۰ - ۱۵:۰۰") == ["07:30", "15:00"]
    assert rules.parse_value("SLA_THURSDAY_HOURS", "") is None
    assert rules.parse_value("SLA_THURSDAY_HOURS", "08:00 تا 12:00") == ["08:00", "12:00"]


def test_tolerance_bands_by_class_and_band():
    bands = rules.parse_value(
        "IN_SERVICE_TOLERANCE_BANDS",
        '{"1.5": {"low": "۳", "high": 1.5}, "1.0": {"low": 2, "high": 1}}',
    )
    assert bands == {"1.5": {"low": 3.0, "high": 1.5}, "1.0": {"low": 2.0, "high": 1.0}}


def test_lanes_keep_every_lane_with_known_roles():
    lanes = dict(RULES["PROCESS_LANE_ROLES"].default)
    lanes["technician"] = ["technician", "emergency_crew"]
    assert rules.parse_value("PROCESS_LANE_ROLES", json.dumps(lanes))["technician"] == [
        "technician",
        "emergency_crew",
    ]
    lanes["technician"] = ["plumber"]
    assert refused("PROCESS_LANE_ROLES", json.dumps(lanes)) == Code.RULE_UNKNOWN_ROLE


def test_an_unknown_rule_is_refused():
    with pytest.raises(ValidationError) as caught:
        rules.parse_value("NO_SUCH_RULE", "1")
    assert caught.value.error_dict["name"][0].code == Code.RULE_UNKNOWN


def test_the_messages_are_translated():
    from django.utils import translation

    with translation.override("fa"):
        with pytest.raises(ValidationError) as caught:
            rules.parse_value("OTP_LENGTH", "3")
        text = caught.value.error_dict["value"][0].messages[0]
    assert "۴" in text and "۱۰" in text
    assert "Enter" not in text
