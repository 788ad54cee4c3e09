"""The technician's form for recording a test: findings, test points (a formset), photos.

Every number takes Persian and Arabic-Indic digits; each point's mistakes show on that
point's fields. The forms only validate input: inspection_record decides and writes.
"""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.desk_widgets import use_desk_widgets
from apps.meter_service.core.forms import DigitNormalizingForm, ServiceErrorsMixin, digits_input
from apps.meter_service.core.jalali import JalaliDateField, format_date
from apps.meter_service.doctype.inspection import rules
from apps.meter_service.doctype.inspection.models import SealState, TestEquipment, TestType

MAX_POINTS = 12


PHOTO_ACCEPT = {"accept": "image/jpeg,image/png"}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs=PHOTO_ACCEPT))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class EquipmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: TestEquipment) -> str:
        return _("%(equipment)s, calibrated until %(date)s") % {
            "equipment": str(obj),
            "date": format_date(obj.calibration_due),
        }


class InspectionForm(ServiceErrorsMixin, DigitNormalizingForm):
    """The findings of a test; the points come in TestPointFormSet."""

    service_error_fields = {"tested_at": "tested_on"}

    test_type = forms.ChoiceField(label=_("Test type"), choices=TestType.choices)
    equipment = EquipmentChoiceField(
        label=_("Test bench or prover"),
        queryset=TestEquipment.objects.filter(active=True).order_by("kind", "identifier"),
        required=False,
        help_text=_("Needed when test points are entered."),
    )
    tested_on = JalaliDateField(label=_("Test date"))
    tested_time = forms.TimeField(
        label=_("Test time"),
        widget=forms.TextInput(
            attrs={"dir": "ltr", "inputmode": "numeric", "placeholder": "10:30"}
        ),
    )
    serial_seen = forms.CharField(
        label=_("Serial seen on the meter"),
        max_length=40,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )
    seal_state = forms.ChoiceField(label=_("Seal"), choices=SealState.choices)
    stopped = forms.BooleanField(label=_("Meter stopped"), required=False)
    register_fault = forms.BooleanField(label=_("Register (index) fault"), required=False)
    leak = forms.BooleanField(label=_("Leak"), required=False)
    tampering = forms.BooleanField(label=_("Signs of tampering"), required=False)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        help_text=_("JPEG or PNG: the meter, its seal and its index."),
    )

    def use_desk_widgets(self) -> InspectionForm:
        """Give the fields the desk's look, keeping the photo input's several files."""

        use_desk_widgets(self)
        self.fields["photos"].widget = MultipleFileInput(attrs=PHOTO_ACCEPT)
        return self

    def tested_at(self) -> datetime.datetime:
        """The test's date and time in the site's time zone, as an aware datetime."""
        data = self.cleaned_data
        moment = datetime.datetime.combine(data["tested_on"], data["tested_time"])
        return timezone.make_aware(moment)

    def service_fields(self) -> dict:
        """The cleaned values as inspection_record takes them (points and people aside)."""
        data = self.cleaned_data
        return {
            "test_type": data["test_type"],
            "equipment": data["equipment"],
            "tested_at": self.tested_at(),
            "serial_seen": data["serial_seen"],
            "seal_state": data["seal_state"],
            "stopped": data["stopped"],
            "register_fault": data["register_fault"],
            "leak": data["leak"],
            "tampering": data["tampering"],
            "notes": data["notes"],
            "photos": data["photos"],
        }


class TestPointForm(DigitNormalizingForm):
    """One flow point; its volumes and flow are checked against the meter's size."""

    __test__ = False  # not a pytest test class, whatever its name

    flow_rate_m3h = forms.DecimalField(
        label=_("Flow rate (m³/h)"), max_digits=8, decimal_places=3, widget=digits_input()
    )
    reference_volume_m3 = forms.DecimalField(
        label=_("Reference volume (m³)"), max_digits=10, decimal_places=4, widget=digits_input()
    )
    meter_volume_m3 = forms.DecimalField(
        label=_("Meter volume (m³)"), max_digits=10, decimal_places=4, widget=digits_input()
    )
    temperature_c = forms.DecimalField(
        label=_("Temperature (°C)"),
        max_digits=5,
        decimal_places=1,
        required=False,
        widget=digits_input(),
    )
    pressure_kpa = forms.DecimalField(
        label=_("Pressure (kPa)"),
        max_digits=7,
        decimal_places=2,
        required=False,
        widget=digits_input(),
    )

    def __init__(self, *args, meter_size: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.meter_size = meter_size

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if self.errors or not self.meter_size:
            return cleaned
        for field, error in rules.point_errors(cleaned, meter_size=self.meter_size).items():
            self.add_error(field, error)
        return cleaned


class BaseTestPointFormSet(forms.BaseFormSet):
    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, *args, meter_size: str = "", **kwargs):
        self.meter_size = meter_size
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "meter_size": self.meter_size}

    def points(self) -> list[dict[str, Any]]:
        """The filled-in points, in order (blank rows left out)."""
        return [
            {name: form.cleaned_data.get(name) for name in rules.POINT_FIELDS}
            for form in self.forms
            if form.has_changed() and form.cleaned_data
        ]


# The stubs type the factory's class as a plain BaseFormSet; it is a BaseTestPointFormSet.
TestPointFormSet = cast(
    type[BaseTestPointFormSet],
    forms.formset_factory(
        TestPointForm,
        formset=BaseTestPointFormSet,
        extra=3,
        max_num=MAX_POINTS,
        validate_max=True,
    ),
)
