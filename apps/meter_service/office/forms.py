"""Forms of the counter-office portal. They only validate input; the views call the services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import formfields, identifiers, validators
from apps.meter_service.core.error_codes import CommonErrorCode, SiteErrorCode
from apps.meter_service.core.forms import DigitNormalizingForm
from apps.meter_service.core.identifiers import IdentifierError, clean_digits
from apps.meter_service.core.jalali import JalaliDateField
from apps.meter_service.doctype.claim.forms import ClaimForm
from apps.meter_service.doctype.claim.models import ClaimStatus, PaymentMethod
from apps.meter_service.doctype.counter_office.models import CounterOffice
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.office.selectors import operator_offices, walk_in_subscriber
from apps.meter_service.permissions import Role, has_role

# Inputs that take digits: a numeric keypad on phones, digit groups kept left to right.
DIGIT_ATTRS = {"inputmode": "numeric", "dir": "ltr", "autocomplete": "off"}
DATE_PLACEHOLDER = "1403/05/12"

NO_MATCH_MESSAGE = _(
    "No subscription has this bill ID together with this national ID. Check both numbers "
    "against the gas bill and the ID card."
)
# A business shows its national legal ID: the message names the number that was typed.
NO_MATCH_LEGAL_ID_MESSAGE = _(
    "No subscription has this bill ID together with this national legal ID. Check both "
    "numbers against the gas bill and the company's registration papers."
)


def _radios(field: forms.Field) -> forms.RadioSelect:
    """Radio buttons offering a choice field's own choices."""
    choices = cast(forms.ChoiceField, field).choices
    # The getter returns the normalised choices (or a callable's iterator); the stubs give
    # it the type of whatever the setter takes.
    return forms.RadioSelect(choices=choices)  # type: ignore[arg-type]


class OfficeLoginForm(AuthenticationForm):
    """Username and password; only operators of an active counter office get in.

    Every refusal is the wrong-password answer, word for word: telling "this account is
    not an operator" (or "operates no active office") apart from "wrong password" would
    confirm to whoever guessed it that a staff or subscriber account's password is right.
    The view counts such a refusal as a failed sign-in for the same reason.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "dir": "ltr"})
        self.fields["password"].widget.attrs.update({"dir": "ltr"})

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not has_role(user, Role.COUNTER_OFFICE_OPERATOR) or not (
            operator_offices(user=user).exists()
        ):
            raise self.get_invalid_login_error()


class OfficeField(forms.ModelChoiceField):
    """A counter office, shown by name, city and code."""

    def label_from_instance(self, obj: CounterOffice) -> str:
        return f"{obj.name} · {obj.city} ({obj.code})"


class OfficeChoiceForm(forms.Form):
    """Which of the operator's offices they work at now."""

    office = OfficeField(
        label=_("The office you are working at now"),
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        cast(OfficeField, self.fields["office"]).queryset = offices


class WalkInForm(DigitNormalizingForm):
    """Identify a walk-in subscriber: the bill ID and the holder's national ID must match."""

    bill_id = formfields.BillIdField(
        gas_only=True,
        label=_("Bill ID"),
        help_text=_("As printed on the subscriber's gas bill."),
        widget=forms.TextInput(attrs={"autofocus": True}),
    )
    identity = forms.CharField(
        label=_("National ID"),
        max_length=30,
        help_text=_(
            "The 10-digit national ID of the subscription holder; for a business, its "
            "11-digit national legal ID."
        ),
        widget=forms.TextInput(attrs=DIGIT_ATTRS),
    )

    subscriber: Subscriber | None = None

    def clean_identity(self) -> str:
        digits = clean_digits(self.cleaned_data["identity"])
        try:
            if len(digits) == identifiers.NATIONAL_LEGAL_ID_LENGTH:
                return identifiers.normalize_national_legal_id(digits)
            return identifiers.normalize_national_id(digits)
        except IdentifierError as error:
            raise validators.validation_error(error) from error

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        if not self.errors:
            self.subscriber = walk_in_subscriber(
                bill_id=cleaned["bill_id"], identity=cleaned["identity"]
            )
            if self.subscriber is None:
                if len(cleaned["identity"]) == identifiers.NATIONAL_LEGAL_ID_LENGTH:
                    raise ValidationError(NO_MATCH_LEGAL_ID_MESSAGE, code=CommonErrorCode.NO_MATCH)
                raise ValidationError(NO_MATCH_MESSAGE, code=CommonErrorCode.NO_MATCH)
        return cleaned


class OfficeClaimForm(ClaimForm):
    """The claim form of the counter-office channel: the fee is taken at the office."""

    payment_methods = (PaymentMethod.COUNTER_OFFICE,)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Text inputs, not type=number or type=date: browsers drop Persian digits there.
        self.fields["last_reading_date"].widget = forms.TextInput(
            attrs={**DIGIT_ATTRS, "placeholder": DATE_PLACEHOLDER, "data-jalali": "1"}
        )
        self.fields["last_bill_scan"].widget = forms.ClearableFileInput(
            attrs={"accept": "application/pdf,image/jpeg,image/png"}
        )
        self.fields["reason"].widget = _radios(self.fields["reason"])
        self.fields["preferred_visit"].widget = _radios(self.fields["preferred_visit"])
        # One way to pay on this channel: at the office's counter, so nothing to choose.
        self.fields["payment_method"].widget = forms.HiddenInput()


class CollectForm(DigitNormalizingForm):
    """The fee taken at the counter: the office's own receipt number, if it has one."""

    receipt_number = forms.CharField(
        label=_("Office receipt number"),
        required=False,
        max_length=50,
        help_text=_("The number on the office's receipt or card-reader slip, if there is one."),
        widget=forms.TextInput(attrs=DIGIT_ATTRS),
    )


class ClaimSearchForm(DigitNormalizingForm):
    """Search the office's claims by tracking code (all or part of it) and status."""

    q = forms.CharField(
        label=_("Tracking code"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={**DIGIT_ATTRS, "type": "search"}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *ClaimStatus.choices],
    )

    def clean_q(self) -> str:
        typed = self.cleaned_data["q"]
        digits = identifiers.normalize_code_search(typed)
        if digits is None and identifiers.clean_digits(typed):
            raise ValidationError(
                _("A tracking code has digits only."), code=SiteErrorCode.DIGITS_ONLY
            )
        return digits or ""


class StatementDayForm(DigitNormalizingForm):
    """The day of a daily statement (Jalali in Persian)."""

    day = JalaliDateField(
        label=_("Date"),
        widget=forms.TextInput(
            attrs={**DIGIT_ATTRS, "placeholder": DATE_PLACEHOLDER, "data-jalali": "1"}
        ),
    )
