"""Tests for Iranian identifier validation: pure functions, validators, form and API fields.

Published examples come from the test suites of the persian-tools libraries, which
validate the same identifiers with the same algorithms:

* persian-tools/py-persian-tools, tests/test_national_id.py, tests/test_legal_id.py,
  tests/test_bill.py (https://github.com/persian-tools/py-persian-tools)
* persian-tools/persian-tools, test/verifyIranianNationalId.spec.ts,
  test/verifyIranianLegalId.spec.ts, test/bill.spec.ts
  (https://github.com/persian-tools/persian-tools)

Neither has a gas bill (service type 3), so the gas examples below were worked out by hand
and the arithmetic is written next to them.
"""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.migrations.writer import MigrationWriter
from django.utils import translation
from hypothesis import example, given
from hypothesis import strategies as st
from rest_framework import serializers

from apps.meter_service.api import fields as api_fields
from apps.meter_service.core import formfields, identifiers, validators
from apps.meter_service.core.identifiers import IdentifierError

PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
ASCII = "0123456789"


def persian(text: str) -> str:
    return text.translate(str.maketrans(ASCII, PERSIAN))


def arabic_indic(text: str) -> str:
    return text.translate(str.maketrans(ASCII, ARABIC_INDIC))


def error_code(normalizer, value, **options) -> str:
    with pytest.raises(IdentifierError) as info:
        normalizer(value, **options)
    return info.value.code


# --- published examples ---------------------------------------------------------------

# py-persian-tools tests/test_national_id.py and persian-tools verifyIranianNationalId.spec.ts
VALID_NATIONAL_IDS = [
    "0499370899",
    "0790419904",
    "0084575948",
    "0963695398",
    "0684159414",
    "0067749828",
    "0650451252",
    "1583250689",
    "4032152314",
    "0076229645",
    "4400276201",
    "2540201288",
    "7400076205",
    "7340416501",
]
# Same sources: published as invalid because of the check digit.
WRONG_CHECK_DIGIT_NATIONAL_IDS = ["4271427685", "0200203041", "0684159415", "1234567890"]

# py-persian-tools tests/test_legal_id.py ("valid and registered" and "all valid").
VALID_LEGAL_IDS = [
    "10380284790",
    "10100387143",
    "77111986110",
    "18061055669",
    "15292247120",
    "42118547230",
    "27388385445",
    "55828465992",
    "32882926778",
    "97006806007",
    "21272129339",
    "18706641333",
]
# Same source, published as invalid; all of them are 11 digits, so it is the check digit.
WRONG_CHECK_DIGIT_LEGAL_IDS = [
    "84735069516",
    "65399567978",
    "99969101031",
    "15826563190",
    "11053639140",
    "18090089802",
    "11111111111",
    "10380284792",
    "10380285692",
    "09748208301",
]

# py-persian-tools tests/test_bill.py / persian-tools test/bill.spec.ts:
# (bill id, payment id, amount in Rial, service type digit).
PUBLISHED_BILLS = [
    ("7748317800142", "1770160", 17000, identifiers.ServiceType.FIXED_PHONE),
    ("2050327604613", "1070189", 10000, identifiers.ServiceType.WATER),
    ("1117753200140", "12070160", 120000, identifiers.ServiceType.FIXED_PHONE),
    ("1177809000142", "570108", 5000, identifiers.ServiceType.FIXED_PHONE),
]
# Published as an invalid bill id.
WRONG_CHECK_DIGIT_BILL_ID = "2234322344613"
# Published as a valid electricity bill id whose payment id 12908197 is not valid for it.
ELECTRICITY_BILL_ID, FOREIGN_PAYMENT_ID = "9174639504124", "12908197"

# Hand-computed gas bill: file code 12345678, company 101, service 3. Digits of
# 123456781013 from the right times 2,3,4,5,6,7,2,...: 6+3+0+5+48+49+12+15+16+15+12+7 = 188;
# 188 % 11 = 1 < 2, so the check digit is 0.
GAS_BILL_ID = "1234567810130"
# Payment of 2,350,000 Rial, year digit 3, period 05: body 2350305 gives
# 10+0+12+0+30+21+4 = 77, 77 % 11 = 0, so C1 = 0; over 1234567810130 23503050 the sum is
# 256, 256 % 11 = 3, so C2 = 11 - 3 = 8.
GAS_PAYMENT_ID = "235030508"


# --- digits ---------------------------------------------------------------------------


def test_normalize_digits_maps_both_scripts_and_keeps_other_text():
    assert identifiers.normalize_digits("کد ۰۱۲۳۴۵۶۷۸۹ و ٠١٢٣٤٥٦٧٨٩") == (
        "کد 0123456789 و 0123456789"
    )


def test_to_persian_digits():
    assert identifiers.to_persian_digits("09121234567") == "۰۹۱۲۱۲۳۴۵۶۷"


def test_clean_digits_strips_spaces_dashes_and_direction_marks():
    raw = "\u200f۰۴۹ ۹–۳۷۰۸۹۹\u00a0-\u200c"
    assert identifiers.clean_digits(raw) == "0499370899"
    # Letters are kept so that the caller reports them rather than silently dropping them.
    assert identifiers.clean_digits("12a-3") == "12a3"


@given(st.text())
def test_normalize_digits_is_idempotent(text):
    once = identifiers.normalize_digits(text)
    assert identifiers.normalize_digits(once) == once
    assert not set(once) & set(PERSIAN + ARABIC_INDIC)


@given(st.lists(st.tuples(st.sampled_from(ASCII), st.integers(0, 2)), min_size=1))
def test_normalize_digits_maps_mixed_scripts_to_ascii(pairs):
    expected = "".join(digit for digit, _ in pairs)
    scripts = (ASCII, PERSIAN, ARABIC_INDIC)
    mixed = "".join(scripts[script][int(digit)] for digit, script in pairs)
    assert identifiers.normalize_digits(mixed) == expected
    assert identifiers.normalize_digits(identifiers.to_persian_digits(expected)) == expected


# --- mod 11 ---------------------------------------------------------------------------


def test_mod11_check_digit_hand_computed():
    # 1*2 + 2*3 + 3*4 = 20, 20 % 11 = 9, 11 - 9 = 2
    assert identifiers.mod11_check_digit("321") == 2
    # 1*2 = 2, 11 - 2 = 9
    assert identifiers.mod11_check_digit("1") == 9
    # Weights restart at 2 after 7: 1*2 + 1*2 (seventh from the right) = 4, 11 - 4 = 7.
    assert identifiers.mod11_check_digit("1000001") == 7
    # Remainders 0 and 1 both give 0: 5*2 = 10 -> 10 % 11 = 10 -> 1; 6*2 = 12 -> 1 -> 0.
    assert identifiers.mod11_check_digit("5") == 1
    assert identifiers.mod11_check_digit("6") == 0
    assert identifiers.mod11_check_digit("0001") == identifiers.mod11_check_digit("1")


# --- national id ----------------------------------------------------------------------


@pytest.mark.parametrize("code", VALID_NATIONAL_IDS)
def test_published_valid_national_ids(code):
    assert identifiers.normalize_national_id(code) == code
    assert identifiers.is_valid_national_id(code)


@pytest.mark.parametrize("code", WRONG_CHECK_DIGIT_NATIONAL_IDS)
def test_published_national_ids_with_wrong_check_digit(code):
    assert error_code(identifiers.normalize_national_id, code) == "national_id_checksum"
    assert not identifiers.is_valid_national_id(code)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # py-persian-tools: "this national id is equal to 0068415941"
        ("068415941", "0068415941"),
        ("68415941", "0068415941"),
        (68415941, "0068415941"),
        (persian("0499370899"), "0499370899"),
        (arabic_indic("0499370899"), "0499370899"),
        ("۰۴۹-۹۳۷۰۸۹-۹", "0499370899"),
        (" 049 937 0899 ", "0499370899"),
    ],
)
def test_national_id_normalisation(raw, expected):
    assert identifiers.normalize_national_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "national_id_length"),
        ("1234567", "national_id_length"),
        ("04993708991", "national_id_length"),
        ("049937089a", "national_id_format"),
        ("0499.370899", "national_id_format"),
        # Devanagari digits are digits to str.isdigit(), but not accepted here.
        ("०४९९३७०८९९", "national_id_format"),
        # All same digits always pass the checksum, so the explicit rule must catch them.
        ("0000000000", "national_id_invalid"),
        ("1111111111", "national_id_invalid"),
        ("7777777777", "national_id_invalid"),
        ("00000000", "national_id_invalid"),  # padded to ten zeros
        # 001000000 -> 1*8 = 8, check digit 11 - 8 = 3: passes the checksum, digits 4-9 zero.
        ("0010000003", "national_id_invalid"),
        ("123000000", "national_id_checksum"),
    ],
)
def test_invalid_national_ids(raw, code):
    assert error_code(identifiers.normalize_national_id, raw) == code


def test_national_id_hand_computed_check_digit():
    # 0*10 + 4*9 + 9*8 + 9*7 + 3*6 + 7*5 + 0*4 + 8*3 + 9*2 = 266, 266 % 11 = 2 -> 11 - 2 = 9.
    assert identifiers.national_id_check_digit("049937089") == 9
    # 6*8 + 8*7 + 4*6 + 1*5 + 5*4 + 9*3 + 4*2 = 188, 188 % 11 = 1 < 2 -> the digit is 1.
    assert identifiers.national_id_check_digit("006841594") == 1
    with pytest.raises(ValueError):
        identifiers.national_id_check_digit("04993708")


def _national_id_rule_excludes(code: str) -> bool:
    return len(set(code)) == 1 or code[3:9] == "000000"


@given(st.text(alphabet=ASCII, min_size=9, max_size=9))
@example("111111111")
@example("001000000")
def test_national_id_check_digit_property(prefix):
    check = identifiers.national_id_check_digit(prefix)
    code = f"{prefix}{check}"
    if _national_id_rule_excludes(code):
        assert error_code(identifiers.normalize_national_id, code) == "national_id_invalid"
    else:
        assert identifiers.normalize_national_id(code) == code
    for other in set(range(10)) - {check}:
        wrong = f"{prefix}{other}"
        expected = "national_id_invalid" if _national_id_rule_excludes(wrong) else None
        assert error_code(identifiers.normalize_national_id, wrong) == (
            expected or "national_id_checksum"
        )


# --- national legal id ----------------------------------------------------------------


@pytest.mark.parametrize("code", VALID_LEGAL_IDS)
def test_published_valid_legal_ids(code):
    assert identifiers.normalize_national_legal_id(code) == code
    assert identifiers.normalize_national_legal_id(persian(code)) == code
    assert identifiers.is_valid_national_legal_id(arabic_indic(code))


@pytest.mark.parametrize("code", WRONG_CHECK_DIGIT_LEGAL_IDS)
def test_published_legal_ids_with_wrong_check_digit(code):
    assert error_code(identifiers.normalize_national_legal_id, code) == (
        "national_legal_id_checksum"
    )


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        # py-persian-tools / persian-tools: published invalid by length or letters.
        ("123001000", "national_legal_id_length"),
        ("097482083013", "national_legal_id_length"),
        ("0974820830a", "national_legal_id_format"),
        ("00000000000", "national_legal_id_invalid"),
        # Passes the checksum (check digit 1), but digits 4 to 9 are zero.
        ("12300000011", "national_legal_id_invalid"),
    ],
)
def test_invalid_legal_ids(raw, code):
    assert error_code(identifiers.normalize_national_legal_id, raw) == code


def test_legal_id_hand_computed_check_digit():
    # 1038028479: offset 9 + 2 = 11; (11 + d) times 29,27,23,19,17,29,27,23,19,17 gives
    # 348+297+322+361+187+377+513+345+342+340 = 3432 = 11 * 312, so the check digit is 0.
    assert identifiers.national_legal_id_check_digit("1038028479") == 0
    # 1000000001: offset 3; 4*29 + 3*27 + 3*23 + 3*19 + 3*17 + 3*29 + 3*27 + 3*23 + 3*19
    # + 4*17 = 736, 736 % 11 = 10, and a remainder of 10 counts as 0.
    assert identifiers.national_legal_id_check_digit("1000000001") == 0
    with pytest.raises(ValueError):
        identifiers.national_legal_id_check_digit("103802847")


@given(st.text(alphabet=ASCII, min_size=10, max_size=10))
@example("1230000001")
def test_legal_id_check_digit_property(prefix):
    check = identifiers.national_legal_id_check_digit(prefix)
    code = f"{prefix}{check}"
    excluded = prefix[3:9] == "000000"
    if excluded:
        assert error_code(identifiers.normalize_national_legal_id, code) == (
            "national_legal_id_invalid"
        )
    else:
        assert identifiers.normalize_national_legal_id(code) == code
    for other in set(range(10)) - {check}:
        assert error_code(identifiers.normalize_national_legal_id, f"{prefix}{other}") == (
            "national_legal_id_invalid" if excluded else "national_legal_id_checksum"
        )


# --- mobile ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "09121234567",
        "9121234567",
        "+989121234567",
        "00989121234567",
        "+98 912 123 4567",
        "0912-123-4567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "+۹۸۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "\u200e۰۹۱۲ ۱۲۳ ۴۵۶۷",
        9121234567,
    ],
)
def test_valid_mobiles(raw):
    assert identifiers.normalize_mobile(raw) == "09121234567"
    assert identifiers.is_valid_mobile(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "08121234567",  # landline-style prefix
        "0812123456",
        "0912123456",  # too short
        "091212345678",  # too long
        "912123456",
        "989121234567",  # country code without + or 00
        "+9809121234567",
        "0912abc4567",
        "+99 912 123 4567",
    ],
)
def test_invalid_mobiles(raw):
    assert error_code(identifiers.normalize_mobile, raw) == "mobile_format"
    assert not identifiers.is_valid_mobile(raw)


# --- bill id --------------------------------------------------------------------------


@pytest.mark.parametrize(("bill_id", "payment_id", "amount", "service"), PUBLISHED_BILLS)
def test_published_bill_and_payment_ids(bill_id, payment_id, amount, service):
    assert identifiers.normalize_bill_id(bill_id) == bill_id
    assert identifiers.decode_bill_id(bill_id).service_type == service
    assert identifiers.normalize_payment_id(payment_id, bill_id=bill_id) == payment_id
    assert identifiers.decode_payment_id(payment_id, bill_id=bill_id).amount_rial == amount


def test_published_invalid_bill_id():
    assert error_code(identifiers.normalize_bill_id, WRONG_CHECK_DIGIT_BILL_ID) == (
        "bill_id_checksum"
    )


def test_published_payment_id_of_another_bill():
    assert identifiers.is_valid_bill_id(ELECTRICITY_BILL_ID)
    assert error_code(
        identifiers.normalize_payment_id, FOREIGN_PAYMENT_ID, bill_id=ELECTRICITY_BILL_ID
    ) == ("payment_id_mismatch")


def test_gas_bill_hand_computed():
    assert identifiers.build_bill_id(12345678, 101, identifiers.ServiceType.GAS) == GAS_BILL_ID
    assert identifiers.normalize_bill_id(GAS_BILL_ID, gas_only=True) == GAS_BILL_ID
    assert identifiers.normalize_gas_bill_id(persian(GAS_BILL_ID)) == GAS_BILL_ID
    assert identifiers.decode_bill_id(GAS_BILL_ID) == identifiers.BillIdParts(
        file_code="12345678", company_code="101", service_type=3
    )
    assert identifiers.build_payment_id(GAS_BILL_ID, 2_350_000, 3, 5) == GAS_PAYMENT_ID


@pytest.mark.parametrize(("bill_id", "service"), [(b, s) for b, _, _, s in PUBLISHED_BILLS])
def test_gas_only_rejects_other_services(bill_id, service):
    assert service != identifiers.ServiceType.GAS
    assert identifiers.is_valid_bill_id(bill_id)
    assert not identifiers.is_valid_bill_id(bill_id, gas_only=True)
    assert error_code(identifiers.normalize_gas_bill_id, bill_id) == "bill_id_not_gas"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "bill_id_length"),
        ("12331", "bill_id_length"),
        ("00012331", "bill_id_length"),  # five digits once the zeros are gone
        ("12345678101300", "bill_id_length"),
        ("1234567810131", "bill_id_checksum"),
        ("123456781O130", "bill_id_format"),
    ],
)
def test_invalid_bill_ids(raw, code):
    assert error_code(identifiers.normalize_bill_id, raw) == code


def test_bill_id_leading_zeros_and_separators():
    assert identifiers.normalize_bill_id("000112330") == "112330"
    assert identifiers.normalize_bill_id("۷۷۴۸۳۱۷۸ ۰۰۱ ۴۲") == "7748317800142"


@given(st.from_regex(r"[1-9][0-9]{4,11}", fullmatch=True))
def test_bill_id_check_digit_property(prefix):
    check = identifiers.mod11_check_digit(prefix)
    bill_id = f"{prefix}{check}"
    assert identifiers.normalize_bill_id(bill_id) == bill_id
    assert identifiers.is_valid_bill_id(bill_id, gas_only=True) == (prefix[-1] == "3")
    for other in set(range(10)) - {check}:
        assert error_code(identifiers.normalize_bill_id, f"{prefix}{other}") == ("bill_id_checksum")


def test_build_bill_id_rejects_parts_that_do_not_fit():
    with pytest.raises(ValueError, match="file code"):
        identifiers.build_bill_id(123456789, 101, 3)
    with pytest.raises(ValueError, match="file code"):
        identifiers.build_bill_id(0, 101, 3)
    with pytest.raises(ValueError, match="company code"):
        identifiers.build_bill_id(1, 1000, 3)
    with pytest.raises(ValueError, match="service type"):
        identifiers.build_bill_id(1, 101, 10)


# --- payment id -----------------------------------------------------------------------


def test_payment_id_decoder():
    assert identifiers.decode_payment_id("1770160") == identifiers.PaymentIdParts(
        amount_rial=17000, year_digit=7, period=1
    )
    assert identifiers.decode_payment_id(GAS_PAYMENT_ID, bill_id=GAS_BILL_ID) == (
        identifiers.PaymentIdParts(amount_rial=2_350_000, year_digit=3, period=5)
    )
    # The bank barcode pads the payment id to 13 digits.
    assert identifiers.decode_payment_id("0000001770160").amount_rial == 17000


def test_tampered_amount_is_rejected_against_bill():
    bill_id, payment_id = "7748317800142", "1770160"
    # 17 -> 18 thousand Rial without fixing the check digits: C1 no longer matches.
    assert error_code(identifiers.normalize_payment_id, "1870160") == "payment_id_checksum"
    # A forger can recompute C1 (body 18701 -> 2+0+28+40+6 = 76, 76 % 11 = 10, C1 = 1);
    # only C2, which covers the bill id, catches it (it should be 3, not 0).
    forged = "1870110"
    assert identifiers.normalize_payment_id(forged) == forged
    assert error_code(identifiers.normalize_payment_id, forged, bill_id=bill_id) == (
        "payment_id_mismatch"
    )
    assert identifiers.is_valid_payment_id(payment_id, bill_id=bill_id)
    assert not identifiers.is_valid_payment_id(forged, bill_id=bill_id)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "payment_id_length"),
        ("77016", "payment_id_length"),
        ("12345678901234", "payment_id_length"),
        ("17701x0", "payment_id_format"),
        ("1770150", "payment_id_checksum"),
    ],
)
def test_invalid_payment_ids(raw, code):
    assert error_code(identifiers.normalize_payment_id, raw) == code


def test_payment_id_with_invalid_bill_reports_the_bill():
    assert error_code(
        identifiers.normalize_payment_id, "1070189", bill_id=WRONG_CHECK_DIGIT_BILL_ID
    ) == ("bill_id_checksum")


@pytest.mark.parametrize(
    ("amount", "year", "period"),
    [(0, 3, 1), (1500, 3, 1), (-1000, 3, 1), (10**11, 3, 1), (1000, 10, 1), (1000, 3, 100)],
)
def test_build_payment_id_rejects_bad_arguments(amount, year, period):
    with pytest.raises(ValueError):
        identifiers.build_payment_id(GAS_BILL_ID, amount, year, period)


@given(
    file_code=st.integers(1, 99_999_999),
    company=st.integers(0, 999),
    service=st.integers(0, 9),
    thousands=st.integers(1, 99_999_999),
    year=st.integers(0, 9),
    period=st.integers(0, 99),
)
def test_payment_id_round_trip(file_code, company, service, thousands, year, period):
    bill_id = identifiers.build_bill_id(file_code, company, service)
    assert identifiers.decode_bill_id(bill_id) == (str(file_code), f"{company:03d}", service)
    payment_id = identifiers.build_payment_id(bill_id, thousands * 1000, year, period)
    assert identifiers.decode_payment_id(persian(payment_id), bill_id=bill_id) == (
        thousands * 1000,
        year,
        period,
    )
    # The last digit (C2) is the only one accepted for this bill ...
    for other in set(ASCII) - {payment_id[-1]}:
        assert error_code(
            identifiers.normalize_payment_id, payment_id[:-1] + other, bill_id=bill_id
        ) == ("payment_id_mismatch")
    # ... and C1 the only one accepted on its own.
    for other in set(ASCII) - {payment_id[-2]}:
        tampered = payment_id[:-2] + other + payment_id[-1]
        assert error_code(identifiers.normalize_payment_id, tampered) == "payment_id_checksum"


# --- Django validators ----------------------------------------------------------------

# (validator, raw value, expected code) for every code a user can trigger.
VALIDATOR_CASES = [
    (validators.validate_national_id, "049937089x", "national_id_format"),
    (validators.validate_national_id, "1234567", "national_id_length"),
    (validators.validate_national_id, "2222222222", "national_id_invalid"),
    (validators.validate_national_id, "0499370898", "national_id_checksum"),
    (validators.validate_national_legal_id, "1038028479O", "national_legal_id_format"),
    (validators.validate_national_legal_id, "1038028479", "national_legal_id_length"),
    (validators.validate_national_legal_id, "12300000011", "national_legal_id_invalid"),
    (validators.validate_national_legal_id, "10380284792", "national_legal_id_checksum"),
    (validators.validate_mobile, "0812 123 4567", "mobile_format"),
    (validators.validate_bill_id, "77483178OO142", "bill_id_format"),
    (validators.validate_bill_id, "12331", "bill_id_length"),
    (validators.validate_bill_id, WRONG_CHECK_DIGIT_BILL_ID, "bill_id_checksum"),
    (validators.validate_gas_bill_id, "7748317800142", "bill_id_not_gas"),
    (validators.validate_payment_id, "1770l60", "payment_id_format"),
    (validators.validate_payment_id, "77016", "payment_id_length"),
    (validators.validate_payment_id, "1770150", "payment_id_checksum"),
    (validators.validate_subscription_number, "12a45", "subscription_number_format"),
    (validators.validate_subscription_number, "123456789", "subscription_number_length"),
    (validators.validate_tracking_code, "934-557-86x0", "tracking_code_format"),
    (validators.validate_tracking_code, "93455786", "tracking_code_length"),
    (validators.validate_tracking_code, "9345578691", "tracking_code_checksum"),
]


@pytest.mark.parametrize(("validator", "raw", "code"), VALIDATOR_CASES)
def test_validators_raise_translated_message_and_code(validator, raw, code):
    with translation.override("en"), pytest.raises(ValidationError) as info:
        validator(raw)
    assert info.value.code == code
    assert info.value.messages == [str(validators.MESSAGES[code])]


def test_validator_messages_read_as_specified():
    with translation.override("en"):
        assert str(validators.MESSAGES["national_id_checksum"]) == (
            "Enter a valid 10-digit national ID; the check digit does not match."
        )
        assert str(validators.MESSAGES["mobile_format"]) == (
            "Enter a valid mobile number, such as 09121234567."
        )


def test_every_message_code_is_reachable():
    assert {code for _, _, code in VALIDATOR_CASES} | {"payment_id_mismatch"} == set(
        validators.MESSAGES
    )


@pytest.mark.parametrize(
    ("validator", "raw"),
    [
        (validators.validate_national_id, "۰۴۹۹-۳۷۰۸۹۹"),
        (validators.validate_national_legal_id, arabic_indic("10380284790")),
        (validators.validate_mobile, "+98 912 123 4567"),
        (validators.validate_bill_id, "7748317800142"),
        (validators.validate_gas_bill_id, persian(GAS_BILL_ID)),
        (validators.validate_payment_id, "1770160"),
    ],
)
def test_validators_accept_valid_raw_input(validator, raw):
    assert validator(raw) is None


def test_validate_payment_id_for_bill():
    validators.validate_payment_id_for_bill(GAS_BILL_ID, persian(GAS_PAYMENT_ID))
    with translation.override("en"):
        with pytest.raises(ValidationError) as info:
            validators.validate_payment_id_for_bill("7748317800142", "1870110")
        # Messages are lazy: read them while English is active.
        assert info.value.messages == ["This payment ID does not belong to this bill ID."]
    assert info.value.code == "payment_id_mismatch"
    with pytest.raises(ValidationError) as info:
        validators.validate_payment_id_for_bill(WRONG_CHECK_DIGIT_BILL_ID, "1070189")
    assert info.value.code == "bill_id_checksum"


@pytest.mark.parametrize(
    ("validator", "stored"),
    [
        (validators.validate_canonical_national_id, "0499370899"),
        (validators.validate_canonical_national_legal_id, "10380284790"),
        (validators.validate_canonical_mobile, "09121234567"),
        (validators.validate_canonical_bill_id, "7748317800142"),
        (validators.validate_canonical_gas_bill_id, GAS_BILL_ID),
        (validators.validate_canonical_payment_id, "1770160"),
    ],
)
def test_canonical_validators_accept_canonical_values(validator, stored):
    assert validator(stored) is None


@pytest.mark.parametrize(
    ("validator", "stored", "code", "canonical"),
    [
        (validators.validate_canonical_national_id, "499370899", "national_id", "0499370899"),
        (
            validators.validate_canonical_national_id,
            persian("0499370899"),
            "national_id",
            "0499370899",
        ),
        (validators.validate_canonical_mobile, "+989121234567", "mobile", "09121234567"),
        (validators.validate_canonical_bill_id, "0112330", "bill_id", "112330"),
        (validators.validate_canonical_payment_id, "01770160", "payment_id", "1770160"),
    ],
)
def test_canonical_validators_reject_other_forms(validator, stored, code, canonical):
    with translation.override("en"):
        with pytest.raises(ValidationError) as info:
            validator(stored)
        assert info.value.messages == [f"Enter this identifier in its standard form: {canonical}."]
    assert info.value.code == f"{code}_not_canonical"


def test_canonical_validators_still_check_validity():
    with pytest.raises(ValidationError) as info:
        validators.validate_canonical_gas_bill_id("7748317800142")
    assert info.value.code == "bill_id_not_gas"


def test_canonical_validator_on_model_field():
    field = models.CharField(max_length=10, validators=[validators.validate_canonical_national_id])
    field.run_validators("0499370899")
    with pytest.raises(ValidationError) as info:
        field.run_validators("0499370898")
    assert info.value.error_list[0].code == "national_id_checksum"
    # Migrations must be able to reference the validator by import path.
    serialized, _imports = MigrationWriter.serialize(validators.validate_canonical_national_id)
    assert serialized == "apps.meter_service.core.validators.validate_canonical_national_id"


# --- form fields ----------------------------------------------------------------------

FORM_FIELD_CASES = [
    (formfields.NationalIdField, {}, "۰۴۹۹-۳۷۰۸۹۹", "0499370899"),
    (formfields.NationalIdField, {}, "68415941", "0068415941"),
    (formfields.NationalLegalIdField, {}, arabic_indic("10380284790"), "10380284790"),
    (formfields.MobileField, {}, "+98 912 123 4567", "09121234567"),
    (formfields.BillIdField, {}, "۷۷۴۸۳۱۷۸۰۰۱۴۲", "7748317800142"),
    (formfields.BillIdField, {"gas_only": True}, persian(GAS_BILL_ID), GAS_BILL_ID),
    (formfields.PaymentIdField, {}, "000 1770160", "1770160"),
]


@pytest.mark.parametrize(("field_class", "options", "raw", "expected"), FORM_FIELD_CASES)
def test_form_fields_clean_to_canonical(field_class, options, raw, expected):
    assert field_class(**options).clean(raw) == expected


FORM_FIELD_ERRORS = [
    (formfields.NationalIdField, {}, "0499370898", "national_id_checksum"),
    (formfields.NationalIdField, {}, "۱۱۱۱۱۱۱۱۱۱", "national_id_invalid"),
    (formfields.NationalIdField, {}, "12345", "national_id_length"),
    (formfields.NationalLegalIdField, {}, "10380284792", "national_legal_id_checksum"),
    (formfields.MobileField, {}, "0912", "mobile_format"),
    (formfields.BillIdField, {}, WRONG_CHECK_DIGIT_BILL_ID, "bill_id_checksum"),
    (formfields.BillIdField, {"gas_only": True}, "7748317800142", "bill_id_not_gas"),
    (formfields.PaymentIdField, {}, "1770150", "payment_id_checksum"),
]


@pytest.mark.parametrize(("field_class", "options", "raw", "code"), FORM_FIELD_ERRORS)
def test_form_fields_report_code_and_message(field_class, options, raw, code):
    with translation.override("en"), pytest.raises(ValidationError) as info:
        field_class(**options).clean(raw)
    assert info.value.code == code
    assert info.value.messages == [str(validators.MESSAGES[code])]


def test_form_field_empty_values():
    with pytest.raises(ValidationError) as info:
        formfields.NationalIdField().clean("  ")
    assert info.value.code == "required"
    assert formfields.NationalIdField(required=False).clean("") == ""
    assert formfields.MobileField(required=False, empty_value=None).clean("") is None


def test_form_field_error_messages_can_be_overridden():
    field = formfields.NationalIdField(error_messages={"national_id_checksum": "Nope."})
    with pytest.raises(ValidationError) as info:
        field.clean("0499370898")
    assert info.value.messages == ["Nope."]


def test_form_field_widget_attributes():
    class ClaimForm(forms.Form):
        national_id = formfields.NationalIdField()
        mobile = formfields.MobileField()
        bill_id = formfields.BillIdField(widget=forms.TextInput(attrs={"dir": "auto"}))

    form = ClaimForm()
    national_id_html = str(form["national_id"])
    assert 'inputmode="numeric"' in national_id_html
    assert 'dir="ltr"' in national_id_html
    assert 'inputmode="tel"' in str(form["mobile"])
    assert 'autocomplete="tel"' in str(form["mobile"])
    assert 'dir="auto"' in str(form["bill_id"])


def test_form_field_max_length_applies_to_canonical_value_only():
    field = formfields.MobileField(max_length=11)
    assert "maxlength" not in field.widget.attrs
    assert field.clean("+98 912 123 4567") == "09121234567"
    with pytest.raises(ValidationError) as info:
        formfields.NationalIdField(max_length=9).clean("0499370899")
    assert info.value.error_list[0].code == "max_length"


def test_form_with_bill_and_payment():
    class PaymentForm(forms.Form):
        bill_id = formfields.BillIdField(gas_only=True)
        payment_id = formfields.PaymentIdField()

        def clean(self):
            data = super().clean()
            if data.get("bill_id") and data.get("payment_id"):
                try:
                    validators.validate_payment_id_for_bill(data["bill_id"], data["payment_id"])
                except ValidationError as error:
                    self.add_error("payment_id", error)
            return data

    good = PaymentForm({"bill_id": persian(GAS_BILL_ID), "payment_id": persian(GAS_PAYMENT_ID)})
    assert good.is_valid(), good.errors
    assert good.cleaned_data == {"bill_id": GAS_BILL_ID, "payment_id": GAS_PAYMENT_ID}
    forged = identifiers.build_payment_id(GAS_BILL_ID, 1_000_000, 3, 5)[:-1] + "0"
    if identifiers.is_valid_payment_id(forged, bill_id=GAS_BILL_ID):
        forged = forged[:-1] + "1"
    bad = PaymentForm({"bill_id": GAS_BILL_ID, "payment_id": forged})
    assert not bad.is_valid()
    assert bad.errors.as_data()["payment_id"][0].code == "payment_id_mismatch"


# --- DRF fields -----------------------------------------------------------------------


class IdentifierSerializer(serializers.Serializer):
    national_id = api_fields.NationalIdField(required=False)
    legal_id = api_fields.NationalLegalIdField(required=False)
    mobile = api_fields.MobileField(required=False)
    bill_id = api_fields.BillIdField(required=False)
    gas_bill_id = api_fields.BillIdField(gas_only=True, required=False)
    payment_id = api_fields.PaymentIdField(required=False)


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("national_id", "۰۴۹۹ ۳۷۰ ۸۹۹", "0499370899"),
        ("national_id", 68415941, "0068415941"),
        ("legal_id", arabic_indic("10380284790"), "10380284790"),
        ("mobile", "0098-912-123-4567", "09121234567"),
        ("bill_id", 7748317800142, "7748317800142"),
        ("gas_bill_id", persian(GAS_BILL_ID), GAS_BILL_ID),
        ("payment_id", "0001770160", "1770160"),
    ],
)
def test_drf_fields_normalise(name, raw, expected):
    serializer = IdentifierSerializer(data={name: raw})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {name: expected}


@pytest.mark.parametrize(
    ("name", "raw", "code"),
    [
        ("national_id", "0499370898", "national_id_checksum"),
        ("national_id", "00000000", "national_id_invalid"),
        ("legal_id", "1038028479", "national_legal_id_length"),
        ("mobile", "+98 812 123 4567", "mobile_format"),
        ("bill_id", "abc", "bill_id_format"),
        ("gas_bill_id", "7748317800142", "bill_id_not_gas"),
        ("payment_id", "1770150", "payment_id_checksum"),
        ("national_id", True, "invalid"),
        ("mobile", "", "blank"),
    ],
)
def test_drf_fields_report_code_and_message(name, raw, code):
    with translation.override("en"):
        serializer = IdentifierSerializer(data={name: raw})
        assert not serializer.is_valid()
        (error,) = serializer.errors[name]
    assert error.code == code
    if code in validators.MESSAGES:
        with translation.override("en"):
            assert str(error) == str(validators.MESSAGES[code])


class BillPaymentSerializer(serializers.Serializer):
    bill_id = api_fields.BillIdField(gas_only=True)
    payment_id = api_fields.PaymentIdField()

    class Meta:
        validators = [api_fields.BillPaymentValidator()]


def test_drf_bill_payment_validator():
    ok = BillPaymentSerializer(data={"bill_id": GAS_BILL_ID, "payment_id": GAS_PAYMENT_ID})
    assert ok.is_valid(), ok.errors
    forged = identifiers.build_payment_id(GAS_BILL_ID, 1_000_000, 3, 5)
    forged = forged[:-1] + str((int(forged[-1]) + 1) % 10)
    with translation.override("en"):
        bad = BillPaymentSerializer(data={"bill_id": GAS_BILL_ID, "payment_id": forged})
        assert not bad.is_valid()
        (error,) = bad.errors["payment_id"]
        assert str(error) == "This payment ID does not belong to this bill ID."
    assert error.code == "payment_id_mismatch"


# --- subscription numbers, "number or bill ID" inputs, tracking codes, code searches ------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3000001", "3000001"),
        ("03000001", "3000001"),
        ("\u200f۳۰۰۰۰۰۱\u200f", "3000001"),
        ("٣٠٠ ٠٠٠١", "3000001"),
        ("300-0001", "3000001"),
        ("000000012345678", "12345678"),
    ],
)
def test_subscription_number_normalisation(raw, expected):
    assert identifiers.normalize_subscription_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "subscription_number_length"),
        ("000", "subscription_number_length"),
        ("123456789", "subscription_number_length"),
        ("12a4", "subscription_number_format"),
    ],
)
def test_invalid_subscription_numbers(raw, code):
    assert error_code(identifiers.normalize_subscription_number, raw) == code


def test_bill_id_with_zeros_beyond_thirteen_digits_is_still_the_bill_id():
    thirteen = identifiers.build_bill_id("12345678", "281", 3)
    assert len(thirteen) == 13
    assert identifiers.normalize_bill_id("0" + thirteen) == thirteen
    assert identifiers.normalize_payment_id("00" + "1770160") == "1770160"


def test_subscription_key_reads_a_number_a_bill_id_or_either():
    bill_id = identifiers.build_bill_id("3000001", "281", 3)
    short_bill_id = identifiers.build_bill_id("1", "281", 3)  # 6 digits: also a number
    key = identifiers.normalize_subscription_key
    assert key("۳۰۰۰۰۰۱") == identifiers.SubscriptionKey("3000001", None)
    assert key(f"\u200f0{bill_id}") == identifiers.SubscriptionKey(None, bill_id)
    assert key(short_bill_id) == identifiers.SubscriptionKey(short_bill_id, short_bill_id)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "subscription_number_length"),
        ("0000", "subscription_number_length"),
        ("12-ab", "bill_id_format"),
        ("12345678101300", "bill_id_length"),
        ("1234567810131", "bill_id_checksum"),  # too long for a number: a mistyped bill ID
        ("7748317800142", "bill_id_not_gas"),
    ],
)
def test_subscription_key_errors_name_the_rule(raw, code):
    assert error_code(identifiers.normalize_subscription_key, raw) == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("9345578690", "9345578690"),
        ("934-557-8690", "9345578690"),
        ("۹۳۴-۵۵۷-۸۶۹۰", "9345578690"),
        ("\u200f٩٣٤ ٥٥٧ ٨٦٩٠", "9345578690"),
    ],
)
def test_tracking_code_normalisation(raw, expected):
    assert identifiers.normalize_tracking_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("934-557-869", "tracking_code_length"),
        ("0345578690", "tracking_code_length"),
        ("934-557-8691", "tracking_code_checksum"),
        ("934-557-869O", "tracking_code_format"),
    ],
)
def test_invalid_tracking_codes(raw, code):
    assert error_code(identifiers.normalize_tracking_code, raw) == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("934-557-8690", "9345578690"),
        ("۹۳۴-۵۵۷", "934557"),
        (" ٨٦٩٠ ", "8690"),
        ("\u200f۸۶۹۰", "8690"),
        ("GT-1234", None),
        ("سارا", None),
        ("", None),
        ("- -", None),
    ],
)
def test_code_search_reads_digits_as_printed(raw, expected):
    assert identifiers.normalize_code_search(raw) == expected
