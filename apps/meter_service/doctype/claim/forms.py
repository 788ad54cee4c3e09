"""Claim forms: one base for every channel; each channel adds its own fields."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import formfields, identifiers
from apps.meter_service.core.error_codes import CommonErrorCode
from apps.meter_service.core.forms import DigitNormalizingForm, ServiceErrorsMixin, digits_input
from apps.meter_service.core.identifiers import clean_digits
from apps.meter_service.core.jalali import JalaliDateField
from apps.meter_service.doctype.claim.error_codes import ClaimErrorCode
from apps.meter_service.doctype.claim.models import ClaimReason, PaymentMethod, VisitTime
from apps.meter_service.doctype.subscriber.forms import subscriber_for_key
from apps.meter_service.doctype.subscriber.selectors import subscriber_for_caller

# Fields that go to services.claim_file unchanged.
CLAIM_FIELDS = (
    "reason",
    "reason_text",
    "last_reading",
    "last_reading_date",
    "last_bill_id",
    "last_payment_id",
    "last_bill_scan",
    "contact_mobile",
    "preferred_visit",
    "payment_method",
)


class ClaimForm(ServiceErrorsMixin, DigitNormalizingForm):
    """What every channel asks: the problem, the documents, how to reach the subscriber."""

    payment_methods: tuple[str, ...] = (PaymentMethod.GATEWAY, PaymentMethod.NEXT_BILL)

    reason = forms.ChoiceField(
        label=_("What is wrong with the meter?"), choices=ClaimReason.choices
    )
    reason_text = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    last_reading = forms.DecimalField(
        label=_("Last meter reading (m³)"),
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=3,
        help_text=_("The black digits on the meter's register."),
        widget=digits_input(),
    )
    last_reading_date = JalaliDateField(label=_("Date of the reading"))
    last_bill_id = formfields.BillIdField(
        gas_only=True, label=_("Bill ID of the last settled bill"), required=False
    )
    last_payment_id = formfields.PaymentIdField(
        label=_("Payment ID of the last settled bill"), required=False
    )
    last_bill_scan = forms.FileField(
        label=_("Scan or photo of the last settled bill"),
        required=False,
        help_text=_("PDF, JPEG or PNG. Needed when you do not give the bill and payment IDs."),
    )
    contact_mobile = formfields.MobileField(label=_("Mobile for SMS"))
    preferred_visit = forms.ChoiceField(
        label=_("Preferred visit time"), choices=VisitTime.choices, initial=VisitTime.ANY
    )
    payment_method = forms.ChoiceField(label=_("How will you pay?"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["payment_method"]).choices = [
            (value, label)
            for value, label in PaymentMethod.choices
            if value in self.payment_methods
        ]
        if len(self.payment_methods) == 1:
            self.fields["payment_method"].initial = self.payment_methods[0]

    def claim_fields(self) -> dict:
        """Return the cleaned data as keyword arguments for services.claim_file."""
        data = {name: self.cleaned_data.get(name) for name in CLAIM_FIELDS}
        data["reason_text"] = data["reason_text"] or ""
        data["last_bill_id"] = data["last_bill_id"] or ""
        data["last_payment_id"] = data["last_payment_id"] or ""
        return data


class DeskIntakeForm(ClaimForm):
    """An in-person claim at the service desk, with the clerk's document checklist."""

    payment_methods = (PaymentMethod.IN_PERSON, PaymentMethod.NEXT_BILL)

    subscriber_identifier = formfields.SubscriptionKeyField(
        label=_("Subscription number or bill ID"),
        help_text=_("As printed on the subscriber's gas bill."),
    )
    national_id_seen = forms.BooleanField(
        label=_("National ID card (or company papers) seen"), required=False
    )
    reading_seen = forms.BooleanField(label=_("Meter reading checked"), required=False)
    bill_seen = forms.BooleanField(label=_("Last settled bill seen"), required=False)

    field_order = ["subscriber_identifier"]

    def clean_subscriber_identifier(self):
        self.subscriber = subscriber_for_key(self.cleaned_data["subscriber_identifier"])
        return self.cleaned_data["subscriber_identifier"]

    def checklist(self) -> dict[str, bool]:
        return {
            name: bool(self.cleaned_data.get(name))
            for name in ("national_id_seen", "reading_seen", "bill_seen")
        }


# What the caller proved, as the no-match message names it.
CALLER_NO_MATCH_MESSAGES = {
    "national_id": _(
        "No subscription has this subscription number or bill ID together with this "
        "national ID. Read both numbers back to the caller."
    ),
    "national_legal_id": _(
        "No subscription has this subscription number or bill ID together with this "
        "national legal ID. Read both numbers back to the caller."
    ),
    "mobile": _(
        "No subscription has this subscription number or bill ID together with this mobile "
        "on file. Read both numbers back to the caller."
    ),
}
CALLER_PROOF_MESSAGE = _(
    "Enter the caller's 10-digit national ID, a business's 11-digit national legal ID, or "
    "the mobile number on file (09…)."
)


def caller_proof_readings(text: str) -> dict[str, str]:
    """Return every way a caller's proof can be read: national ID, national legal ID,
    mobile, each canonical. Some digits are more than one (a 10-digit number starting with
    9 is also a mobile without its 0); the subscription on file tells which it was."""

    readings = {}
    for kind, normalize in (
        ("national_id", identifiers.normalize_national_id),
        ("national_legal_id", identifiers.normalize_national_legal_id),
        ("mobile", identifiers.normalize_mobile),
    ):
        try:
            readings[kind] = normalize(text)
        except identifiers.IdentifierError:
            continue
    return readings


def caller_proof_kind(text: str, readings: dict[str, str]) -> str:
    """Return what the caller most likely gave, to word a refusal: a number written like a
    mobile (0 9…, +98 9…) is a mobile; else a national legal ID, else a national ID."""

    digits = clean_digits(text)
    if "mobile" in readings and digits.startswith(("09", "+98", "0098")):
        return "mobile"
    for kind in ("national_legal_id", "national_id", "mobile"):
        if kind in readings:
            return kind
    return "national_id"


class PhoneClaimForm(ClaimForm):
    """A claim taken by phone at the call centre: the caller names the subscription and
    proves it, the fee goes on the next gas bill (nothing can be paid over the phone)."""

    payment_methods = (PaymentMethod.NEXT_BILL,)

    subscriber_identifier = formfields.SubscriptionKeyField(
        label=_("Subscription number or bill ID"),
        help_text=_("As the caller reads it from the gas bill."),
    )
    caller_proof = forms.CharField(
        label=_("Caller's national ID or mobile on file"),
        max_length=30,
        help_text=_(
            "The holder's national ID (a business: its national legal ID), or the mobile "
            "number on file for the subscription."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr", "autocomplete": "off"}),
    )

    field_order = ["subscriber_identifier", "caller_proof"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A caller cannot hand over a scan; the bill and payment IDs are read out instead.
        del self.fields["last_bill_scan"]

    def clean_caller_proof(self) -> dict[str, str]:
        readings = caller_proof_readings(self.cleaned_data["caller_proof"])
        if not readings:
            raise forms.ValidationError(CALLER_PROOF_MESSAGE, code=ClaimErrorCode.CALLER_PROOF)
        self.caller_proof_kind = caller_proof_kind(self.cleaned_data["caller_proof"], readings)
        return readings

    def clean(self):

        super().clean()
        cleaned = self.cleaned_data
        key, readings = cleaned.get("subscriber_identifier"), cleaned.get("caller_proof")
        if key and readings:
            subscriber = subscriber_for_caller(key, **readings)
            if subscriber is None:
                raise forms.ValidationError(
                    CALLER_NO_MATCH_MESSAGES[self.caller_proof_kind], code=CommonErrorCode.NO_MATCH
                )
            self.subscriber = subscriber
        return cleaned

    def claim_fields(self) -> dict:
        data = super().claim_fields()
        data.pop("last_bill_scan", None)
        return data
