"""Forms of the subscriber portal. They only validate input; the views call the services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import jalali, tracking
from apps.meter_service.core.display import local_digits
from apps.meter_service.core.error_codes import SiteErrorCode
from apps.meter_service.core.formfields import MobileField
from apps.meter_service.core.forms import DigitNormalizingForm, ServiceErrorsMixin
from apps.meter_service.core.identifiers import clean_digits
from apps.meter_service.doctype.claim.forms import ClaimForm
from apps.meter_service.doctype.claim.models import PaymentMethod
from apps.meter_service.doctype.complaint import rules as complaint_rules
from apps.meter_service.doctype.complaint import selectors as complaint_selectors
from apps.meter_service.doctype.otp.rules import normalize_identifier

# Attributes of inputs that take digits: a numeric keypad on phones, digits kept left to right.
DIGIT_ATTRS = {"inputmode": "numeric", "dir": "ltr", "autocomplete": "off"}


def _radios(field: forms.Field) -> forms.RadioSelect:
    """Radio buttons offering a choice field's own choices."""
    choices = cast(forms.ChoiceField, field).choices
    # The getter returns the normalised choices (or a callable's iterator); the stubs give
    # it the type of whatever the setter takes.
    return forms.RadioSelect(choices=choices)  # type: ignore[arg-type]


def _choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's field of that name, a choice field (typed so its choices can be set)."""
    return cast(forms.ChoiceField, form.fields[name])


class IdentifierForm(DigitNormalizingForm):
    """Step one of the login: who is logging in."""

    identifier = forms.CharField(
        label=_("Subscription number or bill ID"),
        max_length=40,
        help_text=_("Both are printed on your gas bill."),
        widget=forms.TextInput(attrs={**DIGIT_ATTRS, "autofocus": True}),
    )

    def clean_identifier(self) -> str:

        # The sign-in service's own reading, so a wrong check digit is named on the field.
        return normalize_identifier(self.cleaned_data["identifier"])


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
            raise ValidationError(_("The code has digits only."), code=SiteErrorCode.DIGITS_ONLY)
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
            attrs={
                **DIGIT_ATTRS,
                "placeholder": jalali.format_date(timezone.localdate()),
                "data-jalali": "1",
            }
        )
        self.fields["last_bill_scan"].widget = forms.ClearableFileInput(
            attrs={"accept": "application/pdf,image/jpeg,image/png"}
        )
        self.fields["reason"].widget = _radios(self.fields["reason"])
        self.fields["payment_method"].widget = _radios(self.fields["payment_method"])
        self.fields["payment_method"].initial = self.fields["payment_method"].initial or (
            PaymentMethod.GATEWAY
        )
        self.fields["preferred_visit"].widget = _radios(self.fields["preferred_visit"])


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
                _("This is not a tracking code; check the 10 digits."), code=SiteErrorCode.BAD_CODE
            )
        return code

    def clean_mobile_last4(self) -> str:
        digits = clean_digits(self.cleaned_data["mobile_last4"])
        if len(digits) != 4 or not digits.isascii() or not digits.isdigit():
            raise ValidationError(_("Enter exactly 4 digits."), code=SiteErrorCode.BAD_LAST4)
        return digits


# --- complaints ------------------------------------------------------------------------

# What the file inputs accept; the service reads the first bytes to be sure.
ATTACHMENT_ACCEPT = "application/pdf,image/jpeg,image/png"


class TopicChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return complaint_rules.topic_label(obj)


def _attachment_field() -> forms.FileField:
    return forms.FileField(
        label=_("Attachment"),
        required=False,
        help_text=_("A PDF, JPEG or PNG file, if you have a document or photo to show."),
        widget=forms.ClearableFileInput(attrs={"accept": ATTACHMENT_ACCEPT}),
    )


# Not a DigitNormalizingForm: the subscriber's own words keep the digits they typed. The
# mobile field reads Persian digits itself; the selects send ASCII values.
class ComplaintForm(ServiceErrorsMixin, forms.Form):
    """A subscriber's complaint: about which subscription or claim, the topic, the text."""

    subscription = forms.ChoiceField(
        label=_("Subscription"),
        required=False,
        help_text=_("Not needed when you choose a claim: the claim names its subscription."),
    )
    claim = forms.ChoiceField(
        label=_("About a claim"),
        required=False,
        error_messages={"invalid_choice": _("None of your claims has this tracking code.")},
    )
    topic = TopicChoiceField(
        label=_("Topic"),
        queryset=complaint_selectors.complaint_topics(public_only=True),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "required": complaint_rules.UNKNOWN_TOPIC_MESSAGE,
            "invalid_choice": complaint_rules.UNKNOWN_TOPIC_MESSAGE,
        },
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Your complaint"),
        max_length=5000,
        help_text=_("What happened, when, and what you expect us to do."),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    attachment = _attachment_field()
    contact_mobile = MobileField(
        label=_("Mobile to call you on"),
        required=False,
        help_text=_(
            "The officer may call you here. Texts about the complaint go to your mobile on "
            "record; the service desk can change it."
        ),
    )

    def __init__(self, *args, subscriptions, claims, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscriptions = {s.subscription_number: s for s in subscriptions}
        self.claims = {c.tracking_code: c for c in claims}
        if len(self.subscriptions) > 1:
            _choice_field(self, "subscription").choices = [("", _("Choose…"))] + [
                (
                    number,
                    _("%(number)s, %(address)s")
                    % {
                        "number": local_digits(number),
                        "address": subscriber.address,
                    },
                )
                for number, subscriber in self.subscriptions.items()
            ]
        else:
            del self.fields["subscription"]
        if self.claims:
            _choice_field(self, "claim").choices = [("", _("No, not about a claim"))] + [
                (
                    code,
                    _("%(code)s, filed %(date)s")
                    % {
                        # Isolated left to right: in a right-to-left label the groups of
                        # digits would otherwise swap places.
                        "code": f"\u2066{local_digits(tracking.display(code))}\u2069",
                        "date": jalali.format_date(claim.filed_at),
                    },
                )
                for code, claim in self.claims.items()
            ]
        else:
            del self.fields["claim"]

    def clean_claim(self):
        return self.claims.get(tracking.normalize(self.cleaned_data.get("claim") or ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        claim = cleaned.get("claim")
        if len(self.subscriptions) == 1:
            cleaned["subscriber"] = next(iter(self.subscriptions.values()))
        else:
            cleaned["subscriber"] = self.subscriptions.get(cleaned.get("subscription") or "")
            if cleaned["subscriber"] is None and claim is not None:
                cleaned["subscriber"] = claim.subscriber
            if cleaned["subscriber"] is None and "subscription" not in self.errors:
                self.add_error(
                    "subscription",
                    ValidationError(
                        _("Choose the subscription the complaint is about."),
                        code=SiteErrorCode.NO_SUBSCRIPTION,
                    ),
                )
        return cleaned

    def complaint_fields(self) -> dict:
        """Return the cleaned data as keyword arguments for complaint_file."""
        data = self.cleaned_data
        return {
            "subscriber": data["subscriber"],
            "claim": data.get("claim"),
            "topic": data["topic"],
            "title": data["title"],
            "description": data["description"],
            "contact_mobile": data.get("contact_mobile") or "",
            "attachments": [data["attachment"]] if data.get("attachment") else [],
        }


class ComplaintReplyForm(ServiceErrorsMixin, forms.Form):
    """The subscriber writes back on a complaint."""

    text = forms.CharField(
        label=_("Your reply"),
        max_length=5000,
        error_messages={"required": complaint_rules.EMPTY_TEXT_MESSAGE},
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachment = _attachment_field()

    def attachments(self) -> list:
        return [self.cleaned_data["attachment"]] if self.cleaned_data.get("attachment") else []
