"""Form fields for Iranian identifiers.

Each field accepts Persian, Arabic-Indic or ASCII digits with spaces and dashes, and
cleans to the canonical ASCII string (see :mod:`apps.meter_service.core.identifiers`). Error
messages come from :data:`apps.meter_service.core.validators.MESSAGES` and can be overridden
per code with ``error_messages={...}`` like any Django field.

A payment id is only fully checked against its bill id; do that in the form's
``clean()`` with :func:`apps.meter_service.core.validators.validate_payment_id_for_bill`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from django import forms
from django.core.exceptions import ValidationError

from apps.meter_service.core import identifiers, validators
from apps.meter_service.core.error_codes import IdentifierErrorCode
from apps.meter_service.core.identifiers import IdentifierError


def _messages(codes: tuple[IdentifierErrorCode, ...]) -> dict[str, Any]:
    return {code: validators.MESSAGES[code] for code in codes}


# What a field cleans to: the canonical string, or a SubscriptionKey.
_Clean = TypeVar("_Clean")


class IdentifierField(forms.CharField, Generic[_Clean]):
    """Base for identifier fields: normalise in to_python, report errors by code."""

    input_mode: ClassVar[str] = "numeric"
    autocomplete: ClassVar[str] = "off"

    def normalize(self, value: str) -> _Clean:
        """Return the canonical identifier or raise IdentifierError."""
        raise NotImplementedError

    # CharField's stub says to_python returns str; a SubscriptionKeyField cleans to a tuple.
    def to_python(self, value: Any) -> _Clean | str | None:  # type: ignore[override]
        """Return the canonical identifier, or the empty value ('' unless set) when empty."""
        value = super().to_python(value)
        if value in self.empty_values:
            return self.empty_value
        try:
            return self.normalize(value)
        except IdentifierError as error:
            raise ValidationError(self.error_messages[error.code], code=error.code) from error

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        """Add attributes for digit entry; ``dir=ltr`` keeps digit groups in order in RTL."""
        attrs = super().widget_attrs(widget)
        # max_length applies to the canonical value; typed input may be longer (+98 prefix,
        # spaces, dashes), so the browser must not cut it off.
        attrs.pop("maxlength", None)
        attrs.pop("minlength", None)
        if not widget.is_hidden:
            defaults = {
                "inputmode": self.input_mode,
                "dir": "ltr",
                "autocomplete": self.autocomplete,
            }
            # These are merged over widget.attrs, so never overwrite what the caller chose.
            attrs.update({k: v for k, v in defaults.items() if k not in widget.attrs})
        return attrs


class NationalIdField(IdentifierField[str]):
    """National id (کد ملی): 10 digits; 8 or 9 digits are left-padded with zeros."""

    default_error_messages = _messages(validators.NATIONAL_ID_CODES)

    def normalize(self, value: str) -> str:
        """Return the 10-digit national id."""
        return identifiers.normalize_national_id(value)


class NationalLegalIdField(IdentifierField[str]):
    """National legal id of a company (شناسه ملی): 11 digits."""

    default_error_messages = _messages(validators.NATIONAL_LEGAL_ID_CODES)

    def normalize(self, value: str) -> str:
        """Return the 11-digit national legal id."""
        return identifiers.normalize_national_legal_id(value)


class MobileField(IdentifierField[str]):
    """Iranian mobile number, cleaned to 09xxxxxxxxx."""

    default_error_messages = _messages(validators.MOBILE_CODES)
    input_mode = "tel"
    autocomplete = "tel"

    def normalize(self, value: str) -> str:
        """Return the mobile number as 09xxxxxxxxx."""
        return identifiers.normalize_mobile(value)


class BillIdField(IdentifierField[str]):
    """Bill id (شناسه قبض); with ``gas_only=True`` bills of other services are rejected."""

    default_error_messages = _messages(validators.BILL_ID_CODES)

    def __init__(self, *, gas_only: bool = False, **kwargs: Any) -> None:
        """Store ``gas_only`` and pass the rest to CharField."""
        self.gas_only = gas_only
        super().__init__(**kwargs)

    def normalize(self, value: str) -> str:
        """Return the bill id without leading zeros."""
        return identifiers.normalize_bill_id(value, gas_only=self.gas_only)


class PaymentIdField(IdentifierField[str]):
    """Payment id (شناسه پرداخت); only its own check digit is checked here."""

    default_error_messages = _messages(validators.PAYMENT_ID_CODES)

    def normalize(self, value: str) -> str:
        """Return the payment id without leading zeros."""
        return identifiers.normalize_payment_id(value)


class SubscriptionNumberField(IdentifierField[str]):
    """Subscription number (شماره اشتراک): 1 to 8 digits, leading zeros dropped."""

    default_error_messages = _messages(validators.SUBSCRIPTION_NUMBER_CODES)

    def normalize(self, value: str) -> str:
        """Return the subscription number without leading zeros."""
        return identifiers.normalize_subscription_number(value)


class TrackingCodeField(IdentifierField[str]):
    """Tracking code of a claim or complaint: 10 digits with a check digit."""

    default_error_messages = _messages(validators.TRACKING_CODE_CODES)

    def normalize(self, value: str) -> str:
        """Return the 10 ASCII digits of the code."""
        return identifiers.normalize_tracking_code(value)


class SubscriptionKeyField(IdentifierField[identifiers.SubscriptionKey]):
    """A subscription number or a gas bill ID in one input, as printed on the gas bill.

    Cleans to an :class:`~apps.meter_service.core.identifiers.SubscriptionKey` (or None when
    empty); find the subscriber with
    :func:`apps.meter_service.doctype.subscriber.selectors.subscriber_by_key`.
    """

    default_error_messages = _messages(validators.SUBSCRIPTION_KEY_CODES)

    def normalize(self, value: str) -> identifiers.SubscriptionKey:
        """Return what the input can be: a subscription number, a bill ID, or both."""
        return identifiers.normalize_subscription_key(value)

    # Not a str, unlike CharField's (see IdentifierField.to_python).
    def to_python(self, value: Any) -> identifiers.SubscriptionKey | None:  # type: ignore[override]
        """Return the key, or None for an empty value."""
        key = super().to_python(value)
        # Not a key only when empty: the empty value is '' or None.
        return key if isinstance(key, identifiers.SubscriptionKey) else None
