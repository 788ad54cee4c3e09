"""Django validators for Iranian identifiers, with translated messages.

Two families:

* ``validate_<kind>(value)`` take raw user input (Persian or Arabic-Indic digits,
  spaces, dashes) and only check that it is a valid identifier once normalised.
* ``validate_canonical_<kind>(value)`` are for ``validators=[...]`` on model
  ``CharField``\\s: the value is what is stored, so besides being valid it must already be
  in canonical form (ASCII digits, padded national id, ``09…`` mobile, bill and payment
  ids without leading zeros). Otherwise lookups by identifier would miss rows.

:data:`MESSAGES` maps every error code to its message; the form and API fields reuse it
so that the same mistake reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import identifiers
from apps.meter_service.core.error_codes import IdentifierErrorCode
from apps.meter_service.core.identifiers import IdentifierError
from apps.meter_service.core.types import StrOrPromise

MESSAGES: dict[IdentifierErrorCode, StrOrPromise] = {
    IdentifierErrorCode.NATIONAL_ID_FORMAT: _("Enter the national ID using digits only."),
    IdentifierErrorCode.NATIONAL_ID_LENGTH: _("Enter a valid national ID; it must have 10 digits."),
    IdentifierErrorCode.NATIONAL_ID_INVALID: _(
        "Enter a valid national ID; it cannot be one digit repeated, "
        "and digits 4 to 9 cannot all be zero."
    ),
    IdentifierErrorCode.NATIONAL_ID_CHECKSUM: _(
        "Enter a valid 10-digit national ID; the check digit does not match."
    ),
    IdentifierErrorCode.NATIONAL_LEGAL_ID_FORMAT: _(
        "Enter the national legal ID using digits only."
    ),
    IdentifierErrorCode.NATIONAL_LEGAL_ID_LENGTH: _(
        "Enter a valid national legal ID; it must have 11 digits."
    ),
    IdentifierErrorCode.NATIONAL_LEGAL_ID_INVALID: _(
        "Enter a valid national legal ID; digits 4 to 9 cannot all be zero."
    ),
    IdentifierErrorCode.NATIONAL_LEGAL_ID_CHECKSUM: _(
        "Enter a valid 11-digit national legal ID; the check digit does not match."
    ),
    IdentifierErrorCode.MOBILE_FORMAT: _("Enter a valid mobile number, such as 09121234567."),
    IdentifierErrorCode.BILL_ID_FORMAT: _("Enter the bill ID using digits only."),
    IdentifierErrorCode.BILL_ID_LENGTH: _("Enter a valid bill ID; it must have 6 to 13 digits."),
    IdentifierErrorCode.BILL_ID_CHECKSUM: _(
        "Enter a valid bill ID; the check digit does not match."
    ),
    IdentifierErrorCode.BILL_ID_NOT_GAS: _(
        "Enter the bill ID of a gas bill; this bill ID is for another service."
    ),
    IdentifierErrorCode.PAYMENT_ID_FORMAT: _("Enter the payment ID using digits only."),
    IdentifierErrorCode.PAYMENT_ID_LENGTH: _(
        "Enter a valid payment ID; it must have 6 to 13 digits."
    ),
    IdentifierErrorCode.PAYMENT_ID_CHECKSUM: _(
        "Enter a valid payment ID; the check digit does not match."
    ),
    IdentifierErrorCode.PAYMENT_ID_MISMATCH: _("This payment ID does not belong to this bill ID."),
    IdentifierErrorCode.SUBSCRIPTION_NUMBER_FORMAT: _(
        "Enter the subscription number using digits only."
    ),
    IdentifierErrorCode.SUBSCRIPTION_NUMBER_LENGTH: _(
        "Enter a valid subscription number; it must have 1 to 8 digits."
    ),
    IdentifierErrorCode.TRACKING_CODE_FORMAT: _("Enter the tracking code using digits only."),
    IdentifierErrorCode.TRACKING_CODE_LENGTH: _(
        "Enter a valid tracking code; it must have 10 digits."
    ),
    IdentifierErrorCode.TRACKING_CODE_CHECKSUM: _(
        "Enter a valid tracking code; the check digit does not match, so a digit is "
        "probably mistyped."
    ),
}

NOT_CANONICAL_MESSAGE = _("Enter this identifier in its standard form: %(canonical)s.")

NATIONAL_ID_CODES = tuple(code for code in MESSAGES if code.startswith("national_id_"))
NATIONAL_LEGAL_ID_CODES = tuple(code for code in MESSAGES if code.startswith("national_legal_"))
MOBILE_CODES = (IdentifierErrorCode.MOBILE_FORMAT,)
BILL_ID_CODES = tuple(code for code in MESSAGES if code.startswith("bill_id_"))
PAYMENT_ID_CODES = tuple(code for code in MESSAGES if code.startswith("payment_id_"))
SUBSCRIPTION_NUMBER_CODES = tuple(
    code for code in MESSAGES if code.startswith("subscription_number_")
)
TRACKING_CODE_CODES = tuple(code for code in MESSAGES if code.startswith("tracking_code_"))
# A "subscription number or bill ID" input fails with the codes of either.
SUBSCRIPTION_KEY_CODES = SUBSCRIPTION_NUMBER_CODES + BILL_ID_CODES


def validation_error(error: IdentifierError) -> ValidationError:
    """Return the translated ValidationError for an IdentifierError."""
    return validation_error_for_code(error.code)


def validation_error_for_code(code: IdentifierErrorCode) -> ValidationError:
    """Return the translated ValidationError for an identifier error code."""
    return ValidationError(MESSAGES[code], code=code)


def _check(normalizer: Callable[..., str], value: object, **options: object) -> str:
    try:
        return normalizer(value, **options)
    except IdentifierError as error:
        raise validation_error(error) from error


def _check_canonical(kind: str, normalizer: Callable[..., str], value: object) -> None:
    canonical = _check(normalizer, value)
    if canonical != value:
        raise ValidationError(
            NOT_CANONICAL_MESSAGE,
            code=IdentifierErrorCode(f"{kind}_not_canonical"),
            params={"canonical": canonical},
        )


# --- raw input ----------------------------------------------------------------------


def validate_national_id(value: str) -> None:
    """Raise ValidationError unless value is a valid national id (کد ملی)."""
    _check(identifiers.normalize_national_id, value)


def validate_national_legal_id(value: str) -> None:
    """Raise ValidationError unless value is a valid national legal id (شناسه ملی)."""
    _check(identifiers.normalize_national_legal_id, value)


def validate_mobile(value: str) -> None:
    """Raise ValidationError unless value is a valid Iranian mobile number."""
    _check(identifiers.normalize_mobile, value)


def validate_bill_id(value: str) -> None:
    """Raise ValidationError unless value is a valid bill id (شناسه قبض) of any service."""
    _check(identifiers.normalize_bill_id, value)


def validate_gas_bill_id(value: str) -> None:
    """Raise ValidationError unless value is a valid bill id of a gas bill."""
    _check(identifiers.normalize_bill_id, value, gas_only=True)


def validate_payment_id(value: str) -> None:
    """Raise ValidationError unless value is a payment id whose own check digit matches.

    A payment id can only be fully checked against its bill id; use
    :func:`validate_payment_id_for_bill` when both are known.
    """
    _check(identifiers.normalize_payment_id, value)


def validate_subscription_number(value: str) -> None:
    """Raise ValidationError unless value is a subscription number (1 to 8 digits)."""
    _check(identifiers.normalize_subscription_number, value)


def validate_tracking_code(value: str) -> None:
    """Raise ValidationError unless value is a tracking code whose check digit matches."""
    _check(identifiers.normalize_tracking_code, value)


def validate_payment_id_for_bill(bill_id: str, payment_id: str) -> None:
    """Raise ValidationError unless payment_id is valid and belongs to bill_id.

    An invalid bill id raises with a ``bill_id_*`` code, a payment id of another bill
    with ``payment_id_mismatch``.
    """
    _check(identifiers.normalize_payment_id, payment_id, bill_id=bill_id)


# --- stored (canonical) values, for model fields ------------------------------------


def validate_canonical_national_id(value: str) -> None:
    """Raise ValidationError unless value is a valid national id in canonical form."""
    _check_canonical("national_id", identifiers.normalize_national_id, value)


def validate_canonical_national_legal_id(value: str) -> None:
    """Raise ValidationError unless value is a valid national legal id in canonical form."""
    _check_canonical("national_legal_id", identifiers.normalize_national_legal_id, value)


def validate_canonical_mobile(value: str) -> None:
    """Raise ValidationError unless value is a valid mobile number stored as 09xxxxxxxxx."""
    _check_canonical("mobile", identifiers.normalize_mobile, value)


def validate_canonical_bill_id(value: str) -> None:
    """Raise ValidationError unless value is a valid bill id in canonical form."""
    _check_canonical("bill_id", identifiers.normalize_bill_id, value)


def validate_canonical_gas_bill_id(value: str) -> None:
    """Raise ValidationError unless value is a valid gas bill id in canonical form."""
    _check_canonical("bill_id", identifiers.normalize_gas_bill_id, value)


def validate_canonical_payment_id(value: str) -> None:
    """Raise ValidationError unless value is a payment id in canonical form."""
    _check_canonical("payment_id", identifiers.normalize_payment_id, value)
