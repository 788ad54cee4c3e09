"""The desk's complaint forms: staff messages, assigning, closing, filing a phone complaint.

The forms only read and shape what staff typed; every check of the complaint itself is the
services' (their ValidationErrors land on the form's fields through add_service_errors).
Free text keeps the digits staff typed; identifiers and codes accept Persian digits.
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from apps.meter_service import permissions
from apps.meter_service.core import formfields
from apps.meter_service.core.forms import ServiceErrorsMixin
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.complaint import rules
from apps.meter_service.doctype.complaint.error_codes import ComplaintErrorCode
from apps.meter_service.doctype.complaint.models import ComplaintChannel
from apps.meter_service.doctype.complaint.selectors import complaint_topics
from apps.meter_service.doctype.subscriber.forms import subscriber_for_key
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.permissions import Role

# The channels staff file for a complainant; the portal and the API file their own.
DESK_CHANNELS = (ComplaintChannel.PHONE, ComplaintChannel.IN_PERSON)
OFFICER_ROLES = (Role.COMPLAINTS_OFFICER, Role.SERVICE_MANAGER)


def officers():
    """Active complaints officers and service managers: who may own a complaint or topic."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=list(OFFICER_ROLES))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def user_label(user) -> str:
    return user.get_full_name() or user.get_username()


class OfficerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return user_label(obj)


class TopicChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return rules.topic_label(obj)


class ComplaintMessageForm(ServiceErrorsMixin, forms.Form):
    """An answer, an answer that resolves, or an internal note; the button says which."""

    ANSWER, RESOLVE, NOTE = "answer", "resolve", "note"

    text = forms.CharField(
        label=_("Message"),
        required=False,  # the service says what is missing, in its own words
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachment = forms.FileField(
        label=_("Attachment"),
        required=False,
        help_text=_("PDF, JPEG or PNG."),
    )

    def kind(self) -> str:
        chosen = self.data.get("kind", self.ANSWER)
        return chosen if chosen in (self.ANSWER, self.RESOLVE, self.NOTE) else self.ANSWER

    def attachments(self) -> list:
        upload = self.cleaned_data.get("attachment")
        return [upload] if upload else []


class ComplaintAssignForm(ServiceErrorsMixin, forms.Form):
    assignee = OfficerChoiceField(
        label=_("Assign to"),
        queryset=officers(),
        required=False,
        empty_label=_("Nobody (unassigned)"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(OfficerChoiceField, self.fields["assignee"]).queryset = officers()


class ComplaintCloseForm(ServiceErrorsMixin, forms.Form):
    text = forms.CharField(
        label=_("Closing note to the complainant"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DeskComplaintForm(ServiceErrorsMixin, forms.Form):
    """A complaint taken by phone or at the service desk, for the complainant."""

    channel = forms.ChoiceField(
        label=_("How the complaint came in"),
        choices=[(c.value, c.label) for c in DESK_CHANNELS],
        initial=ComplaintChannel.PHONE,
    )
    topic = TopicChoiceField(label=_("Topic"), queryset=complaint_topics())
    title = forms.CharField(label=_("Subject"), max_length=200, required=False)
    description = forms.CharField(
        label=_("What the complainant says"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    complainant_name = forms.CharField(
        label=_("Complainant's name"),
        max_length=120,
        required=False,
        help_text=_("Leave empty to use the subscriber's name."),
    )
    contact_mobile = formfields.MobileField(label=_("Mobile"), required=False)
    contact_email = forms.EmailField(label=_("Email"), required=False)
    subscriber = formfields.SubscriptionKeyField(
        label=_("Subscription number or bill ID"),
        required=False,
        help_text=_("If the complainant is a subscriber."),
    )
    claim = formfields.TrackingCodeField(
        label=_("Claim tracking code"),
        required=False,
        help_text=_("If the complaint is about a meter test claim."),
    )
    attachment = forms.FileField(
        label=_("Attachment"), required=False, help_text=_("PDF, JPEG or PNG.")
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        cast(TopicChoiceField, self.fields["topic"]).queryset = complaint_topics()
        for name in ("subscriber", "claim"):
            self.fields[name].widget.attrs.update(
                {"dir": "ltr", "inputmode": "numeric", "autocomplete": "off"}
            )

    def clean_subscriber(self):

        key = self.cleaned_data["subscriber"]
        if not key:
            return None
        return subscriber_for_key(
            key, queryset=permissions.scope(self.user, Subscriber.objects.all())
        )

    def clean_claim(self):

        code = self.cleaned_data["claim"]
        if not code:
            return None
        claims = permissions.scope(self.user, Claim.objects.select_related("subscriber"))
        claim = claims.filter(tracking_code=code).first()
        if claim is None:
            raise forms.ValidationError(
                _("No claim has this tracking code."), code=ComplaintErrorCode.UNKNOWN_CLAIM
            )
        return claim

    def clean(self):
        super().clean()
        data = self.cleaned_data
        has_subscriber = data.get("subscriber") or data.get("claim")
        if not (data.get("complainant_name") or "").strip() and not has_subscriber:
            self.add_error(
                "complainant_name",
                forms.ValidationError(
                    _("Write the complainant's name."), code=ComplaintErrorCode.COMPLAINANT_NAME
                ),
            )
        return data

    def service_fields(self) -> dict:
        """The cleaned data as keyword arguments of services.complaint_file."""
        data = self.cleaned_data
        upload = data.get("attachment")
        return {
            "channel": data["channel"],
            "topic": data["topic"],
            "title": data.get("title") or "",
            "description": data.get("description") or "",
            "subscriber": data.get("subscriber"),
            "claim": data.get("claim"),
            "complainant_name": (data.get("complainant_name") or "").strip(),
            "contact_mobile": data.get("contact_mobile") or "",
            "contact_email": data.get("contact_email") or "",
            "attachments": [upload] if upload else [],
        }


class CannedPickForm(forms.Form):
    """Pick a canned response on a complaint's page (a GET form: the page comes back with
    the answer box filled, so it works without JavaScript). "12" is response 12 in Persian,
    "12-en" in English."""

    canned = forms.ChoiceField(label=_("Canned response"), required=False)

    def __init__(self, *args, responses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.responses = {str(r.pk): r for r in responses}
        choices: list[tuple[str, str]] = [("", str(_("Choose a canned response")))]
        for key, response in self.responses.items():
            choices.append((key, response.title))
            if response.body_en:
                label = _("%(title)s (in English)") % {"title": response.title}
                choices.append((f"{key}-en", str(label)))
        cast(forms.ChoiceField, self.fields["canned"]).choices = choices

    def chosen(self):
        """(the response, its language) picked, or None."""
        value = self.cleaned_data.get("canned") or ""
        key, _sep, language = value.partition("-")
        response = self.responses.get(key)
        if response is None:
            return None
        return response, "en" if language == "en" else "fa"
