"""The billing officer's correction form: the window's reading date and per-bill overrides."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django import forms
from django.db.models import Field
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import formfields
from apps.meter_service.core.desk_widgets import JalaliDateInput
from apps.meter_service.core.forms import DigitNormalizingForm, digits_input
from apps.meter_service.core.jalali import JalaliDateField
from apps.meter_service.doctype.bill.models import Bill

if TYPE_CHECKING:  # a name of the stubs only: a str or a lazy translation
    from django.utils.functional import _StrOrPromise


class CorrectionComputeForm(DigitNormalizingForm):
    last_verified_reading_date = JalaliDateField(
        label=_("Last reading known to be right"),
        required=False,
        widget=JalaliDateInput(),
        help_text=_(
            "Leave empty to correct from the meter's last test. A later date shortens the "
            "window (the shorter period applies)."
        ),
    )
    window_note = forms.CharField(label=_("Why this date"), max_length=300, required=False)

    def __init__(self, *args, periods=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The days after the last bill (from the final reading) have no bill to key them by.
        self.periods = [period for period in periods if period.bill_id is not None]
        for period in self.periods:
            self.fields[f"volume_{period.bill_id}"] = forms.DecimalField(
                label=_("Corrected volume (m³)"),
                required=False,
                min_value=Decimal(0),
                max_digits=12,
                decimal_places=3,
                initial=period.corrected_m3 if period.method == "override" else None,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr"}),
            )
            self.fields[f"reason_{period.bill_id}"] = forms.CharField(
                label=_("Reason"),
                required=False,
                max_length=300,
                initial=period.note if period.method == "override" else "",
            )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("last_verified_reading_date") and not (data.get("window_note") or "").strip():
            self.add_error(
                "window_note", _("Say why the reading on this date is known to be right.")
            )
        for period in self.periods:
            volume = data.get(f"volume_{period.bill_id}")
            reason = (data.get(f"reason_{period.bill_id}") or "").strip()
            if volume is not None and not reason:
                self.add_error(
                    f"reason_{period.bill_id}", _("Give a reason for the volume you set.")
                )
        return data

    def overrides(self) -> dict[int, tuple[Decimal, str]]:
        return {
            period.bill_id: (
                self.cleaned_data[f"volume_{period.bill_id}"],
                self.cleaned_data[f"reason_{period.bill_id}"].strip(),
            )
            for period in self.periods
            if self.cleaned_data.get(f"volume_{period.bill_id}") is not None
        }

    def period_rows(self):
        """(period, volume field, reason field) for the template's table."""
        return [(p, self[f"volume_{p.bill_id}"], self[f"reason_{p.bill_id}"]) for p in self.periods]


def _bill_label(name: str) -> _StrOrPromise:

    field = Bill._meta.get_field(name)
    assert isinstance(field, Field)  # a column of the bill, not a relation
    return field.verbose_name


def _reading(name: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=_bill_label(name),
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=3,
        widget=digits_input(),
    )


class CorrectionBillForm(DigitNormalizingForm):
    """A bill the correction needs, typed from the subscriber's paper bill: the fields the
    correction reads (its period, its readings and what it charged)."""

    payment_id = formfields.PaymentIdField(label=_bill_label("payment_id"))
    period_start = JalaliDateField(label=_bill_label("period_start"), widget=JalaliDateInput())
    period_end = JalaliDateField(
        label=_bill_label("period_end"),
        widget=JalaliDateInput(),
        help_text=_("The day of the closing reading: the next period's start."),
    )
    previous_reading = _reading("previous_reading")
    current_reading = _reading("current_reading")
    amount_rial = forms.IntegerField(
        label=_bill_label("amount_rial"), min_value=0, widget=digits_input(decimal=False)
    )


class CorrectionNotPossibleForm(DigitNormalizingForm):
    reason = forms.CharField(
        label=_("Why no correction is possible"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Closes the step without a correction: nothing is posted to billing, the reason "
            "is kept on the claim and printed on the statement."
        ),
    )
