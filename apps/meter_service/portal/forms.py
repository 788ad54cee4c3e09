"""Forms of the subscriber portal. They only validate input; the views call the services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.meter_service import jalali, tracking
from apps.meter_service.doctype.claim.forms import ClaimForm
from apps.meter_service.doctype.claim.models import PaymentMethod
from apps.meter_service.forms import DigitNormalizingForm
from apps.meter_service.identifiers import clean_digits

# Attributes of inputs that take digits: a numeric keypad on phones, digits kept left to right.
DIGIT_ATTRS = {"inputmode": "numeric", "dir": "ltr", "autocomplete": "off"}


class IdentifierForm(DigitNormalizingForm):
    """Step one of the login: who is logging in."""

    identifier = forms.CharField(
        label=_("Subscription number or bill ID"),
        max_length=40,
        help_text=_("Both are printed on your gas bill."),
        widget=forms.TextInput(attrs={**DIGIT_ATTRS, "autofocus": True}),
    )

    def clean_identifier(self) -> str:
        value = clean_digits(self.cleaned_data["identifier"])
        if not value.isascii() or not value.isdigit():
            raise ValidationError(
                _("Enter the subscription number or bill ID in digits."), code="digits_only"
            )
        return value


class CodeForm(DigitNormalizingForm):
    """Step two of the login: the code that came by SMS."""

    code = forms.CharField(
        label=_("Code sent by SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={**DIGIT_ATTRS, "autocomplete": "one-time-code", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        value = clean_digits(self.cleaned_data["code"])
        if not value.isascii() or not value.isdigit():
            raise ValidationError(_("The code has digits only."), code="digits_only")
        return value


class PortalClaimForm(ClaimForm):
    """The claim form of the website channel: pay online or on the next gas bill."""

    payment_methods = (PaymentMethod.GATEWAY, PaymentMethod.NEXT_BILL)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Text inputs, not type=number: browsers drop Persian digits typed into number inputs.
        self.fields["last_reading"].widget = forms.TextInput(
            attrs={"inputmode": "decimal", "dir": "ltr", "autocomplete": "off"}
        )
        # Today's date as the example: the format of the active language (Jalali in Persian).
        self.fields["last_reading_date"].widget = forms.TextInput(
            attrs={**DIGIT_ATTRS, "placeholder": jalali.format_date(timezone.localdate())}
        )
        self.fields["last_bill_scan"].widget = forms.ClearableFileInput(
            attrs={"accept": "application/pdf,image/jpeg,image/png"}
        )
        self.fields["reason"].widget = forms.RadioSelect(choices=self.fields["reason"].choices)
        self.fields["payment_method"].widget = forms.RadioSelect(
            choices=self.fields["payment_method"].choices
        )
        self.fields["payment_method"].initial = self.fields["payment_method"].initial or (
            PaymentMethod.GATEWAY
        )
        self.fields["preferred_visit"].widget = forms.RadioSelect(
            choices=self.fields["preferred_visit"].choices
        )


class StatusLookupForm(DigitNormalizingForm):
    """The public status lookup: a tracking code and the last four digits of the mobile."""

    code = forms.CharField(
        label=_("Tracking code"),
        max_length=30,
        help_text=_("The 10-digit code in the SMS you got when you filed the claim."),
        widget=forms.TextInput(attrs=DIGIT_ATTRS),
    )
    mobile_last4 = forms.CharField(
        label=_("Last 4 digits of the contact mobile"),
        max_length=8,
        widget=forms.TextInput(attrs={**DIGIT_ATTRS, "maxlength": "4", "size": "4"}),
    )

    def clean_code(self) -> str:
        code = tracking.normalize(self.cleaned_data["code"])
        if not tracking.is_valid(code):
            raise ValidationError(
                _("This is not a tracking code; check the 10 digits."), code="bad_code"
            )
        return code

    def clean_mobile_last4(self) -> str:
        digits = clean_digits(self.cleaned_data["mobile_last4"])
        if len(digits) != 4 or not digits.isascii() or not digits.isdigit():
            raise ValidationError(_("Enter exactly 4 digits."), code="bad_last4")
        return digits
