"""Iranian identifiers: digit normalisation, check digits, validation (see DOMAIN.md).

Pure Python on purpose (no Django import) so that importers, scripts and tests can use
the same rules as the forms, the API and the model validators.

Every ``normalize_*`` function takes raw user input (Persian, Arabic-Indic or ASCII
digits, with spaces, dashes or invisible direction marks) and returns the canonical ASCII
string, or raises :class:`IdentifierError` whose ``code`` names the rule that failed.
Codes are ``<kind>_<reason>``, where kind is one of ``national_id``,
``national_legal_id``, ``mobile``, ``bill_id``, ``payment_id``, ``subscription_number``,
``tracking_code``.

Every door (desk forms, portals, the API, imports) reads identifiers through these
functions, through :mod:`apps.meter_service.core.formfields` and
:mod:`apps.meter_service.api.fields`, so one typed value means the same everywhere.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from enum import IntEnum
from typing import NamedTuple

from apps.meter_service.core.error_codes import IdentifierErrorCode

_PERSIAN_ZERO = 0x06F0
_ARABIC_INDIC_ZERO = 0x0660

_DIGIT_MAP = {
    **{_PERSIAN_ZERO + i: str(i) for i in range(10)},
    **{_ARABIC_INDIC_ZERO + i: str(i) for i in range(10)},
}
_TO_PERSIAN = {ord(str(i)): chr(_PERSIAN_ZERO + i) for i in range(10)}

# Dashes people type (or word processors substitute) between digit groups, and the
# invisible marks that copy-paste from right-to-left text carries along with the digits
# (ZWSP, ZWNJ, ZWJ, LRM, RLM, bidi embeddings and isolates, ALM, BOM). Whitespace
# (including no-break spaces) is removed separately via str.split().
_SEPARATORS = (
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\u061c\ufeff"
)
_CLEAN_MAP = {**_DIGIT_MAP, **{ord(ch): None for ch in _SEPARATORS}}

# str.isdigit() also accepts superscripts and other scripts' digits; only ASCII counts.
_ASCII_DIGITS = re.compile(r"[0-9]*")
_MOBILE = re.compile(r"(?:\+98|0098|0)?(9[0-9]{9})")

NATIONAL_ID_LENGTH = 10
NATIONAL_ID_SHORT_LENGTHS = (8, 9)
NATIONAL_LEGAL_ID_LENGTH = 11
BILL_ID_MIN_LENGTH = 6
BILL_ID_MAX_LENGTH = 13
PAYMENT_ID_MIN_LENGTH = 6
PAYMENT_ID_MAX_LENGTH = 13
FILE_CODE_MAX_LENGTH = 8
SUBSCRIPTION_NUMBER_MAX_LENGTH = FILE_CODE_MAX_LENGTH
TRACKING_CODE_LENGTH = 10
COMPANY_CODE_LENGTH = 3

_LEGAL_ID_WEIGHTS = (29, 27, 23, 19, 17)
_MOD11_WEIGHTS = (2, 3, 4, 5, 6, 7)
# The weights repeated for the longest input checked (a bill ID and a payment ID together).
_MOD11_CYCLE = _MOD11_WEIGHTS * 5


class ServiceType(IntEnum):
    """Service-type digit of a bill id (second digit from the right)."""

    WATER = 1
    ELECTRICITY = 2
    GAS = 3
    FIXED_PHONE = 4


class IdentifierError(ValueError):
    """Raised when an identifier breaks one of the rules; ``code`` names the rule."""

    def __init__(self, code: IdentifierErrorCode, message: str) -> None:
        """Store the machine-readable ``code`` alongside the English ``message``."""
        super().__init__(message)
        self.code = code


class BillIdParts(NamedTuple):
    """Fields of a bill id, as returned by :func:`decode_bill_id`."""

    file_code: str
    company_code: str
    service_type: int


class PaymentIdParts(NamedTuple):
    """Fields of a payment id, as returned by :func:`decode_payment_id`."""

    amount_rial: int
    year_digit: int
    period: int


# --- digits -------------------------------------------------------------------------


def normalize_digits(text: str) -> str:
    """Return text with Persian and Arabic-Indic digits replaced by ASCII digits."""
    return text.translate(_DIGIT_MAP)


def to_persian_digits(text: str) -> str:
    """Return text with ASCII digits shown as Persian digits."""
    return text.translate(_TO_PERSIAN)


def clean_digits(text: str | int) -> str:
    """Return input with ASCII digits and without spaces, dashes or direction marks.

    Nothing is validated: letters and other characters are kept so that the caller can
    report them.
    """
    return "".join(str(text).translate(_CLEAN_MAP).split())


def _is_ascii_number(text: str) -> bool:
    return bool(text) and _ASCII_DIGITS.fullmatch(text) is not None


def _is_valid(normalizer: Callable[..., str], value: str | int, **options: object) -> bool:
    try:
        normalizer(value, **options)
    except IdentifierError:
        return False
    return True


def _digits_or_raise(value: str | int, kind: str, label: str) -> str:
    cleaned = clean_digits(value)
    if not _ASCII_DIGITS.fullmatch(cleaned):
        raise IdentifierError(
            IdentifierErrorCode(f"{kind}_format"), f"{label} must contain digits only."
        )
    return cleaned


# --- check digits -------------------------------------------------------------------


def mod11_check_digit(digits: str) -> int:
    """Return the mod-11 check digit used by bill and payment ids.

    Weights 2, 3, 4, 5, 6, 7 repeat from the rightmost digit; with r = sum % 11 the
    digit is 0 when r < 2, else 11 - r. Leading zeros therefore never change it.
    """
    if len(digits) <= len(_MOD11_CYCLE):
        # The weights from the right, paired with the digits read from the right.
        total = sum(map(operator.mul, map(int, reversed(digits)), _MOD11_CYCLE))
    else:
        total = sum(
            int(digit) * _MOD11_WEIGHTS[position % len(_MOD11_WEIGHTS)]
            for position, digit in enumerate(reversed(digits))
        )
    remainder = total % 11
    return 0 if remainder < 2 else 11 - remainder


def national_id_check_digit(first_nine: str) -> int:
    """Return the check digit (tenth digit) of a national id from its first nine digits."""
    if len(first_nine) != NATIONAL_ID_LENGTH - 1 or not _is_ascii_number(first_nine):
        raise ValueError("A national ID check digit needs exactly nine ASCII digits.")
    total = sum(int(first_nine[i]) * (10 - i) for i in range(9))
    remainder = total % 11
    return remainder if remainder < 2 else 11 - remainder


def national_legal_id_check_digit(first_ten: str) -> int:
    """Return the check digit (eleventh digit) of a national legal id from its first ten."""
    if len(first_ten) != NATIONAL_LEGAL_ID_LENGTH - 1 or not _is_ascii_number(first_ten):
        raise ValueError("A national legal ID check digit needs exactly ten ASCII digits.")
    # The tenth digit takes part twice: once as an ordinary digit and once, plus two,
    # as the offset added to every digit.
    offset = int(first_ten[9]) + 2
    total = sum(
        (offset + int(first_ten[i])) * _LEGAL_ID_WEIGHTS[i % len(_LEGAL_ID_WEIGHTS)]
        for i in range(10)
    )
    remainder = total % 11
    return 0 if remainder == 10 else remainder


# --- national id (کد ملی) -----------------------------------------------------------


def normalize_national_id(value: str | int) -> str:
    """Return the 10-digit national id, or raise IdentifierError.

    8- and 9-digit input is left-padded with zeros, because ids starting with zeros are
    often stored as numbers (spreadsheets drop the leading zeros).
    """
    digits = _digits_or_raise(value, "national_id", "A national ID")
    if len(digits) in NATIONAL_ID_SHORT_LENGTHS:
        digits = digits.zfill(NATIONAL_ID_LENGTH)
    if len(digits) != NATIONAL_ID_LENGTH:
        raise IdentifierError(
            IdentifierErrorCode.NATIONAL_ID_LENGTH, "A national ID must have 10 digits."
        )
    # These pass the checksum (e.g. 1111111111) but are never issued.
    if len(set(digits)) == 1 or digits[3:9] == "000000":
        raise IdentifierError(
            IdentifierErrorCode.NATIONAL_ID_INVALID,
            "A national ID cannot be one repeated digit or have digits 4 to 9 all zero.",
        )
    if int(digits[9]) != national_id_check_digit(digits[:9]):
        raise IdentifierError(
            IdentifierErrorCode.NATIONAL_ID_CHECKSUM, "The national ID check digit is wrong."
        )
    return digits


def is_valid_national_id(value: str | int) -> bool:
    """Return whether value is a valid national id (after normalisation)."""
    return _is_valid(normalize_national_id, value)


# --- national legal id (شناسه ملی) --------------------------------------------------


def normalize_national_legal_id(value: str | int) -> str:
    """Return the 11-digit national legal id of a company, or raise IdentifierError."""
    digits = _digits_or_raise(value, "national_legal_id", "A national legal ID")
    if len(digits) != NATIONAL_LEGAL_ID_LENGTH:
        raise IdentifierError(
            IdentifierErrorCode.NATIONAL_LEGAL_ID_LENGTH, "A national legal ID must have 11 digits."
        )
    # Checking digits 4 to 9 also rejects the all-zero code.
    if digits[3:9] == "000000":
        raise IdentifierError(
            IdentifierErrorCode.NATIONAL_LEGAL_ID_INVALID,
            "Digits 4 to 9 of a national legal ID cannot all be 0.",
        )
    if int(digits[10]) != national_legal_id_check_digit(digits[:10]):
        raise IdentifierError(
            IdentifierErrorCode.NATIONAL_LEGAL_ID_CHECKSUM,
            "The national legal ID check digit is wrong.",
        )
    return digits


def is_valid_national_legal_id(value: str | int) -> bool:
    """Return whether value is a valid national legal id."""
    return _is_valid(normalize_national_legal_id, value)


# --- mobile -------------------------------------------------------------------------


def normalize_mobile(value: str | int) -> str:
    """Return the mobile number as 09xxxxxxxxx, or raise IdentifierError.

    Accepts the +98 and 0098 international prefixes, a leading 0, or none at all.
    """
    match = _MOBILE.fullmatch(clean_digits(value))
    if match is None:
        raise IdentifierError(
            IdentifierErrorCode.MOBILE_FORMAT, "A mobile number must look like 09121234567."
        )
    return "0" + match.group(1)


def is_valid_mobile(value: str | int) -> bool:
    """Return whether value is a valid Iranian mobile number."""
    return _is_valid(normalize_mobile, value)


# --- bill id (شناسه قبض) ------------------------------------------------------------


def _strip_number(value: str | int, kind: str, label: str, max_length: int) -> str:
    # Bill and payment ids are numbers: the bank barcode left-pads both to 13 digits, so
    # leading zeros carry no meaning and are dropped from the canonical form, before the
    # length is counted (a 13-digit ID typed with one more zero is still that ID).
    digits = _digits_or_raise(value, kind, label).lstrip("0")
    if len(digits) > max_length:
        raise IdentifierError(
            IdentifierErrorCode(f"{kind}_length"), f"{label} must have 6 to 13 digits."
        )
    return digits


def normalize_bill_id(value: str | int, *, gas_only: bool = False) -> str:
    """Return the bill id without leading zeros, or raise IdentifierError.

    With ``gas_only`` the service-type digit must be 3 (gas).
    """
    digits = _strip_number(value, "bill_id", "A bill ID", BILL_ID_MAX_LENGTH)
    if len(digits) < BILL_ID_MIN_LENGTH:
        raise IdentifierError(
            IdentifierErrorCode.BILL_ID_LENGTH, "A bill ID must have 6 to 13 digits."
        )
    if int(digits[-1]) != mod11_check_digit(digits[:-1]):
        raise IdentifierError(
            IdentifierErrorCode.BILL_ID_CHECKSUM, "The bill ID check digit is wrong."
        )
    if gas_only and int(digits[-2]) != ServiceType.GAS:
        raise IdentifierError(
            IdentifierErrorCode.BILL_ID_NOT_GAS, "The bill ID is not for a gas bill."
        )
    return digits


def is_valid_bill_id(value: str | int, *, gas_only: bool = False) -> bool:
    """Return whether value is a valid bill id (a gas one if ``gas_only``)."""
    return _is_valid(normalize_bill_id, value, gas_only=gas_only)


def normalize_gas_bill_id(value: str | int) -> str:
    """Return the bill id of a gas bill, or raise IdentifierError."""
    return normalize_bill_id(value, gas_only=True)


def decode_bill_id(value: str | int) -> BillIdParts:
    """Return the file code, company code and service type of a valid bill id."""
    digits = normalize_bill_id(value)
    return BillIdParts(
        file_code=digits[:-5], company_code=digits[-5:-2], service_type=int(digits[-2])
    )


def build_bill_id(file_code: str | int, company_code: str | int, service_type: int) -> str:
    """Return the canonical bill id for a file code, company code and service type.

    Raise ValueError when a part does not fit its width: the file code (subscription
    number) takes 1 to 8 digits and is not zero, the company code 3 digits, the service
    type one digit.
    """
    file_digits = clean_digits(file_code).lstrip("0")
    company_digits = clean_digits(company_code).zfill(COMPANY_CODE_LENGTH)
    if not _is_ascii_number(file_digits):
        raise ValueError("The file code must be a positive number.")
    if len(file_digits) > FILE_CODE_MAX_LENGTH:
        raise ValueError("The file code must have at most 8 digits.")
    if len(company_digits) != COMPANY_CODE_LENGTH or not _is_ascii_number(company_digits):
        raise ValueError("The company code must be a number of at most 3 digits.")
    if not 0 <= int(service_type) <= 9:
        raise ValueError("The service type must be a single digit.")
    body = f"{file_digits}{company_digits}{int(service_type)}"
    return f"{body}{mod11_check_digit(body)}"


# --- payment id (شناسه پرداخت) -------------------------------------------------------


def normalize_payment_id(value: str | int, *, bill_id: str | int | None = None) -> str:
    """Return the payment id without leading zeros, or raise IdentifierError.

    Without ``bill_id`` only the first check digit (C1) can be verified. With it, the
    bill id is validated too and the second check digit (C2), which ties the payment id
    to that bill, must match (code ``payment_id_mismatch``).
    """
    bill = normalize_bill_id(bill_id) if bill_id is not None else None
    digits = _strip_number(value, "payment_id", "A payment ID", PAYMENT_ID_MAX_LENGTH)
    if len(digits) < PAYMENT_ID_MIN_LENGTH:
        raise IdentifierError(
            IdentifierErrorCode.PAYMENT_ID_LENGTH, "A payment ID must have 6 to 13 digits."
        )
    if int(digits[-2]) != mod11_check_digit(digits[:-2]):
        raise IdentifierError(
            IdentifierErrorCode.PAYMENT_ID_CHECKSUM, "The payment ID check digit is wrong."
        )
    if bill is not None and int(digits[-1]) != mod11_check_digit(bill + digits[:-1]):
        raise IdentifierError(
            IdentifierErrorCode.PAYMENT_ID_MISMATCH,
            "The payment ID does not belong to this bill ID.",
        )
    return digits


def is_valid_payment_id(value: str | int, *, bill_id: str | int | None = None) -> bool:
    """Return whether value is a valid payment id (for ``bill_id``, when given)."""
    return _is_valid(normalize_payment_id, value, bill_id=bill_id)


def decode_payment_id(value: str | int, *, bill_id: str | int | None = None) -> PaymentIdParts:
    """Return the amount in Rial, year digit and period encoded in a valid payment id."""
    digits = normalize_payment_id(value, bill_id=bill_id)
    return PaymentIdParts(
        amount_rial=int(digits[:-5]) * 1000,
        year_digit=int(digits[-5]),
        period=int(digits[-4:-2]),
    )


def build_payment_id(bill_id: str | int, amount_rial: int, year_digit: int, period: int) -> str:
    """Return the payment id for a bill, amount (Rial), year digit and period.

    Raise IdentifierError for an invalid bill id, ValueError when the amount is not a
    positive whole number of thousands of Rial with at most 8 digits of thousands, the
    year digit is not 0-9 or the period is not 0-99.
    """
    bill = normalize_bill_id(bill_id)
    if amount_rial <= 0 or amount_rial % 1000:
        raise ValueError("The amount must be a positive multiple of 1000 Rial.")
    thousands = str(amount_rial // 1000)
    if len(thousands) > PAYMENT_ID_MAX_LENGTH - 5:
        raise ValueError("The amount is too large for a payment ID.")
    if not 0 <= year_digit <= 9:
        raise ValueError("The year digit must be between 0 and 9.")
    if not 0 <= period <= 99:
        raise ValueError("The period must be between 0 and 99.")
    body = f"{thousands}{year_digit}{period:02d}"
    with_c1 = f"{body}{mod11_check_digit(body)}"
    return f"{with_c1}{mod11_check_digit(bill + with_c1)}"


# --- subscription number (شماره اشتراک) ----------------------------------------------


def normalize_subscription_number(value: str | int) -> str:
    """Return the subscription number without leading zeros, or raise IdentifierError.

    It is the file code of the subscription's bill ID, a number of 1 to 8 digits: like the
    bill ID, leading zeros (from a padded print or a spreadsheet) carry no meaning.
    """
    digits = _digits_or_raise(value, "subscription_number", "A subscription number")
    digits = digits.lstrip("0")
    if not digits or len(digits) > SUBSCRIPTION_NUMBER_MAX_LENGTH:
        raise IdentifierError(
            IdentifierErrorCode.SUBSCRIPTION_NUMBER_LENGTH,
            "A subscription number must have 1 to 8 digits.",
        )
    return digits


def is_valid_subscription_number(value: str | int) -> bool:
    """Return whether value is a subscription number (after normalisation)."""
    return _is_valid(normalize_subscription_number, value)


class SubscriptionKey(NamedTuple):
    """What a "subscription number or bill ID" input may name, as read by
    :func:`normalize_subscription_key`: the canonical forms it can be (one or both, never
    neither)."""

    subscription_number: str | None
    bill_id: str | None


def normalize_subscription_key(value: str | int) -> SubscriptionKey:
    """Read a subscription number or a gas bill ID typed in one field.

    A subscription number has at most 8 digits and a bill ID 6 to 13 with a check digit,
    so 6 to 8 digits may be either. Up to 8 digits always count as a subscription number;
    longer input must be a valid gas bill ID, else its error is raised (so a mistyped check
    digit says so instead of "no such subscriber"). Non-digits and empty input are refused.
    """
    digits = _digits_or_raise(value, "bill_id", "A bill ID").lstrip("0")
    if not digits:
        raise IdentifierError(
            IdentifierErrorCode.SUBSCRIPTION_NUMBER_LENGTH,
            "A subscription number must have 1 to 8 digits.",
        )
    if len(digits) > SUBSCRIPTION_NUMBER_MAX_LENGTH:
        return SubscriptionKey(subscription_number=None, bill_id=normalize_gas_bill_id(digits))
    bill_id = digits if is_valid_bill_id(digits, gas_only=True) else None
    return SubscriptionKey(subscription_number=digits, bill_id=bill_id)


# --- tracking code (کد رهگیری) --------------------------------------------------------

# The Verhoeff scheme: its check digit catches every single-digit slip and every swap of
# two neighbouring digits.
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def verhoeff_check_digit(digits: str) -> int:
    """Return the Verhoeff check digit for a string of ASCII digits."""
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _D[c][_P[(i + 1) % 8][int(ch)]]
    return _INV[c]


def normalize_tracking_code(value: str | int) -> str:
    """Return the 10-digit tracking code of a claim or complaint, or raise IdentifierError.

    People read it out and type it grouped (934-557-8690), so separators are dropped; its
    last digit is a Verhoeff check digit (verhoeff_check_digit below).
    """
    digits = _digits_or_raise(value, "tracking_code", "A tracking code")
    if len(digits) != TRACKING_CODE_LENGTH or digits[0] == "0":
        raise IdentifierError(
            IdentifierErrorCode.TRACKING_CODE_LENGTH, "A tracking code has 10 digits."
        )
    if int(digits[-1]) != verhoeff_check_digit(digits[:-1]):
        raise IdentifierError(
            IdentifierErrorCode.TRACKING_CODE_CHECKSUM, "The tracking code check digit is wrong."
        )
    return digits


def is_valid_tracking_code(value: str | int) -> bool:
    """Return whether value is a well-formed tracking code (after normalisation)."""
    return _is_valid(normalize_tracking_code, value)


def normalize_code_search(value: str | int) -> str | None:
    """Return what a list's search box should look for in codes and numbers, or None.

    A search names all or part of a code or number, typed as it is printed: grouped with
    dashes or spaces (934-557-8690), in Persian or Arabic-Indic digits, pasted with
    direction marks. The answer is the plain ASCII digits; None when the text is not a
    number at all (a name, a serial with letters), so the caller searches it as text.
    """
    digits = clean_digits(value)
    if not digits or not _ASCII_DIGITS.fullmatch(digits):
        return None
    return digits
