"""Desk forms for meters and installations; they validate input, services do the work."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.desk_widgets import JalaliDateInput, use_desk_widgets
from apps.meter_service.core.forms import DigitNormalizingModelForm
from apps.meter_service.core.jalali import JalaliDateField
from apps.meter_service.doctype.meter import rules
from apps.meter_service.doctype.meter.models import (
    InstallationReason,
    Meter,
    MeterInstallation,
    MeterStatus,
)
from apps.meter_service.doctype.subscriber.models import Subscriber


class DeskModelForm(DigitNormalizingModelForm):
    """A desk form whose declared fields get the desk's widgets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_desk_widgets(self)


class MeterInstallForm(DeskModelForm):
    """Install a meter at a subscription; the meter there now is taken out."""

    subscriber = forms.ModelChoiceField(Subscriber.objects.all(), label=_("subscriber"))
    meter = forms.ModelChoiceField(
        Meter.objects.filter(status=MeterStatus.IN_STOCK),
        label=_("meter"),
        help_text=_("Only meters in stock are listed."),
    )
    installed_on = JalaliDateField(label=_("installed on"), widget=JalaliDateInput())
    initial_reading = forms.DecimalField(
        label=_("initial reading (m³)"),
        min_value=Decimal("0"),
        decimal_places=3,
        max_digits=12,
    )
    reason = forms.ChoiceField(choices=InstallationReason.choices, label=_("reason"))
    removed_meter_final_reading = forms.DecimalField(
        label=_("final reading of the meter taken out (m³)"),
        required=False,
        min_value=Decimal("0"),
        decimal_places=3,
        max_digits=12,
        help_text=_("Required when the subscription has a meter now."),
    )

    class Meta:
        model = MeterInstallation
        fields = ["subscriber", "meter", "installed_on", "initial_reading", "reason"]

    def clean(self) -> dict[str, Any]:
        """Apply the service's rules here too, so a refusal shows on the form."""
        super().clean()
        data = self.cleaned_data
        subscriber, meter, installed_on = (
            data.get("subscriber"),
            data.get("meter"),
            data.get("installed_on"),
        )
        if not (subscriber and meter and installed_on):
            return data
        current = MeterInstallation.objects.filter(subscriber=subscriber, is_current=True).first()
        try:
            rules.check_can_install(meter=meter, installed_on=installed_on, current=current)
            if current is not None:
                rules.check_can_remove(
                    installation=current,
                    removed_on=installed_on,
                    final_reading=data.get("removed_meter_final_reading"),
                )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                target = {
                    "final_reading": "removed_meter_final_reading",
                    "removed_on": "installed_on",
                }.get(field, field)
                for message in messages:
                    self.add_error(target if target in self.fields else None, message)
        return data


class MeterRemoveForm(DeskModelForm):
    """End an installation: the date the meter came out and its final reading."""

    removed_on = JalaliDateField(label=_("removed on"), widget=JalaliDateInput())
    final_reading = forms.DecimalField(
        label=_("final reading (m³)"),
        min_value=Decimal("0"),
        decimal_places=3,
        max_digits=12,
    )

    class Meta:
        model = MeterInstallation
        fields = ["removed_on", "final_reading"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("removed_on") is None or data.get("final_reading") is None:
            return data
        original = MeterInstallation.objects.get(pk=self.instance.pk)
        try:
            rules.check_can_remove(
                installation=original,
                removed_on=data["removed_on"],
                final_reading=data["final_reading"],
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return data
