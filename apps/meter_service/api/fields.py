"""DRF serializer fields for Iranian identifiers.

They behave like the form fields in :mod:`apps.meter_service.core.formfields`: Persian,
Arabic-Indic or ASCII digits with spaces and dashes come in, the canonical ASCII string
comes out, and errors carry the same translated messages and codes.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.meter_service.core import identifiers, validators
from apps.meter_service.core.error_codes import IdentifierErrorCode
from apps.meter_service.core.identifiers import IdentifierError


def _messages(codes: tuple[IdentifierErrorCode, ...]) -> dict[str, Any]:
    return {code: validators.MESSAGES[code] for code in codes}


class IdentifierField(serializers.CharField):
    """Base for identifier fields: normalise in to_internal_value, fail by code."""

    def normalize(self, value: str) -> str:
        """Return the canonical identifier or raise IdentifierError."""
        raise NotImplementedError

    def to_internal_value(self, data: Any) -> str:
        """Return the canonical identifier for data."""
        # JSON clients may send ids as numbers; CharField turns those into strings.
        value = super().to_internal_value(data)
        try:
            return self.normalize(value)
        except IdentifierError as error:
            raise serializers.ValidationError(
                self.error_messages[error.code], code=error.code
            ) from error


class NationalIdField(IdentifierField):
    """National id (کد ملی): 10 digits; 8 or 9 digits are left-padded with zeros."""

    default_error_messages = _messages(validators.NATIONAL_ID_CODES)

    def normalize(self, value: str) -> str:
        """Return the 10-digit national id."""
        return identifiers.normalize_national_id(value)


class NationalLegalIdField(IdentifierField):
    """National legal id of a company (شناسه ملی): 11 digits."""

    default_error_messages = _messages(validators.NATIONAL_LEGAL_ID_CODES)

    def normalize(self, value: str) -> str:
        """Return the 11-digit national legal id."""
        return identifiers.normalize_national_legal_id(value)


class MobileField(IdentifierField):
    """Iranian mobile number, returned as 09xxxxxxxxx."""

    default_error_messages = _messages(validators.MOBILE_CODES)

    def normalize(self, value: str) -> str:
        """Return the mobile number as 09xxxxxxxxx."""
        return identifiers.normalize_mobile(value)


class BillIdField(IdentifierField):
    """Bill id (شناسه قبض); with ``gas_only=True`` bills of other services are rejected."""

    default_error_messages = _messages(validators.BILL_ID_CODES)

    def __init__(self, *, gas_only: bool = False, **kwargs: Any) -> None:
        """Store ``gas_only`` and pass the rest to CharField."""
        self.gas_only = gas_only
        super().__init__(**kwargs)

    def normalize(self, value: str) -> str:
        """Return the bill id without leading zeros."""
        return identifiers.normalize_bill_id(value, gas_only=self.gas_only)


class PaymentIdField(IdentifierField):
    """Payment id (شناسه پرداخت); pair it with BillPaymentValidator on the serializer."""

    default_error_messages = _messages(validators.PAYMENT_ID_CODES)

    def normalize(self, value: str) -> str:
        """Return the payment id without leading zeros."""
        return identifiers.normalize_payment_id(value)


# What the schema documents of a subscription number: up to 8 digits after any leading
# zeros, in ASCII, Persian or Arabic-Indic digits (separators are accepted too, unlisted).
SUBSCRIPTION_NUMBER_PATTERN = "^[0۰٠]*[1-9۱-۹١-٩][0-9۰-۹٠-٩]{0,7}$"


@extend_schema_field(
    {
        "type": "string",
        "pattern": SUBSCRIPTION_NUMBER_PATTERN,
        "description": "1 to 8 digits (leading zeros, Persian digits accepted).",
    }
)
class SubscriptionNumberField(IdentifierField):
    """Subscription number (شماره اشتراک): 1 to 8 digits, leading zeros dropped."""

    default_error_messages = _messages(validators.SUBSCRIPTION_NUMBER_CODES)

    def normalize(self, value: str) -> str:
        """Return the subscription number without leading zeros."""
        return identifiers.normalize_subscription_number(value)


class TrackingCodeField(IdentifierField):
    """Tracking code of a claim or complaint: 10 digits with a check digit."""

    default_error_messages = _messages(validators.TRACKING_CODE_CODES)

    def normalize(self, value: str) -> str:
        """Return the 10 ASCII digits of the code."""
        return identifiers.normalize_tracking_code(value)


@extend_schema_field(
    {
        "type": "string",
        "maxLength": 40,
        # Documented: digits (ASCII, Persian, Arabic-Indic), spaces and dashes, at least one
        # digit; direction marks copied with the code are accepted too.
        "pattern": "^[- 0-9۰-۹٠-٩]*[0-9۰-۹٠-٩][- 0-9۰-۹٠-٩]*$",
    }
)
class CodeSearchField(serializers.CharField):
    """All or part of a code or number to search for, typed as printed or read out.

    Cleans to its plain ASCII digits (identifiers.normalize_code_search), as the desk's and
    the office's list searches do.
    """

    default_error_messages = {"digits_only": _("A tracking code has digits only.")}

    def __init__(self, **kwargs: Any) -> None:
        """A search is at most a grouped code with some spaces: 40 characters."""
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        """Return the digits to look for."""
        digits = identifiers.normalize_code_search(super().to_internal_value(data))
        if digits is None:
            self.fail("digits_only")
        return digits


class BillPaymentValidator:
    """Serializer-level validator: the payment id must belong to the bill id.

    Use in ``Meta.validators`` (or a serializer's ``validators``) next to a
    :class:`BillIdField` and a :class:`PaymentIdField`; the error is reported on the
    payment id field. Either field being absent (e.g. a partial update) skips the check.
    """

    message = validators.MESSAGES[IdentifierErrorCode.PAYMENT_ID_MISMATCH]

    def __init__(self, bill_field: str = "bill_id", payment_field: str = "payment_id") -> None:
        """Name the serializer fields holding the bill id and the payment id."""
        self.bill_field = bill_field
        self.payment_field = payment_field

    def __call__(self, attrs: dict[str, Any]) -> None:
        """Raise ValidationError on the payment field when the pair does not match."""
        bill_id = attrs.get(self.bill_field)
        payment_id = attrs.get(self.payment_field)
        if not bill_id or not payment_id:
            return
        if not identifiers.is_valid_payment_id(payment_id, bill_id=bill_id):
            raise serializers.ValidationError(
                {self.payment_field: [self.message]}, code=IdentifierErrorCode.PAYMENT_ID_MISMATCH
            )

    def __repr__(self) -> str:
        """Show the field names, as DRF's own validators do."""
        name = type(self).__name__
        return f"<{name}(bill_field={self.bill_field!r}, payment_field={self.payment_field!r})>"
