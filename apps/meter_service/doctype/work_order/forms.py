"""Desk forms of work orders: they read and normalise input; services do the work."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget, UnfoldAdminFileFieldWidget

from apps.meter_service.core.desk_widgets import JalaliDateInput, use_desk_widgets
from apps.meter_service.core.forms import DigitNormalizingForm, ServiceErrorsMixin, digits_input
from apps.meter_service.core.jalali import JalaliDateField
from apps.meter_service.doctype.meter.models import AccuracyClass, MeterSize
from apps.meter_service.permissions import Role

# Service error keys that the form shows under another field.
_FIELD_FOR_ERROR = {"done_at": "done_on"}


def crew_users():
    """Active users of the emergency post crew, to name on a work order."""
    return (
        get_user_model()
        .objects.filter(groups__name=Role.EMERGENCY_CREW, is_active=True)
        .order_by("first_name", "last_name", "username")
        .distinct()
    )


class CrewChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class _MultiplePhotoInput(UnfoldAdminFileFieldWidget):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Any number of photos under one input (none included); their content is checked by
    the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", _MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _reading(label) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=3,
        widget=digits_input(),
    )


class WorkOrderCompleteForm(ServiceErrorsMixin, DigitNormalizingForm):
    """What the crew records at the replacement; defaults for the new meter come from the
    old one."""

    service_error_fields = _FIELD_FOR_ERROR

    done_on = JalaliDateField(label=_("replaced on"), widget=JalaliDateInput())
    done_time = forms.TimeField(
        label=_("time"),
        widget=forms.TimeInput(
            format="%H:%M", attrs={"dir": "ltr", "inputmode": "numeric", "placeholder": "10:30"}
        ),
    )
    old_serial_seen = forms.CharField(
        label=_("serial read on the old meter"),
        max_length=40,
        required=False,
        help_text=_("Optional: checked against the claim's meter."),
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )
    old_final_reading = _reading(_("Old meter: final reading"))
    new_serial = forms.CharField(
        label=_("New meter: serial number"),
        max_length=40,
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )
    new_make = forms.CharField(label=_("New meter: make"), max_length=100)
    new_model = forms.CharField(label=_("New meter: model"), max_length=100, required=False)
    new_size = forms.ChoiceField(label=_("New meter: size"), choices=MeterSize.choices)
    new_accuracy_class = forms.ChoiceField(
        label=_("New meter: accuracy class"), choices=AccuracyClass.choices
    )
    new_initial_reading = _reading(_("New meter: initial reading"))
    seal_numbers = forms.CharField(label=_("Seal numbers"), max_length=100, required=False)
    crew = CrewChoiceField(queryset=None, label=_("crew"), required=False)
    crew_names = forms.CharField(
        label=_("other crew members"),
        max_length=200,
        required=False,
        help_text=_("Names of crew members without an account, separated by commas."),
    )
    notes = forms.CharField(
        label=_("notes"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = MultiplePhotoField(
        label=_("photos"),
        help_text=_("Photos of the old and new meters and the seals (JPEG or PNG)."),
    )

    def __init__(self, *args, work_order, **kwargs):
        old = work_order.meter
        kwargs.setdefault(
            "initial",
            {
                "done_on": timezone.localdate(),
                "done_time": timezone.localtime().strftime("%H:%M"),
                "new_make": old.make,
                "new_model": old.model,
                "new_size": old.size,
                "new_accuracy_class": old.accuracy_class,
                "crew": list(work_order.crew.all()) if work_order.pk else [],
                "crew_names": work_order.crew_names,
                "notes": work_order.notes,
            },
        )
        super().__init__(*args, **kwargs)
        crew = cast(CrewChoiceField, self.fields["crew"])
        crew.queryset = crew_users()
        use_desk_widgets(self)
        # use_desk_widgets gives single-value widgets; these two take several values.
        crew.widget = UnfoldAdminCheckboxSelectMultipleWidget(choices=crew.choices)
        self.fields["photos"].widget = _MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png"})

    def done_at(self) -> datetime.datetime:
        data = self.cleaned_data
        return timezone.make_aware(datetime.datetime.combine(data["done_on"], data["done_time"]))

    def service_arguments(self) -> dict:
        """The cleaned input as work_order_complete's keyword arguments."""
        data = self.cleaned_data
        return {
            "done_at": self.done_at(),
            "old_serial_seen": data["old_serial_seen"],
            "old_final_reading": data["old_final_reading"],
            "new_serial": data["new_serial"].strip(),
            "new_make": data["new_make"],
            "new_model": data["new_model"],
            "new_size": data["new_size"],
            "new_accuracy_class": data["new_accuracy_class"],
            "new_initial_reading": data["new_initial_reading"],
            "seal_numbers": data["seal_numbers"],
            "crew": list(data["crew"]),
            "crew_names": data["crew_names"],
            "notes": data["notes"],
            "photos": data["photos"],
        }
