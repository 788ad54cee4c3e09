"""Forms of the import: the upload form and one row form per kind of master data.

A row form checks and converts the text of one row; the doctype's service then saves it,
so imported rows meet the same rules as records entered in the desk.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminFileFieldWidget, UnfoldAdminSelectWidget

from apps.meter_service.core import formfields, identifiers
from apps.meter_service.core.display import code_in_sentence
from apps.meter_service.core.error_codes import CommonErrorCode
from apps.meter_service.core.forms import DigitNormalizingForm
from apps.meter_service.core.jalali import JalaliDateField
from apps.meter_service.core.model_fields import model_field
from apps.meter_service.doctype.counter_office.models import CounterOffice
from apps.meter_service.doctype.import_batch.models import ImportTarget
from apps.meter_service.doctype.import_batch.readers import normalize_header
from apps.meter_service.doctype.meter.models import (
    AccuracyClass,
    InstallationReason,
    Meter,
    MeterInstallation,
    MeterSize,
    MeterStatus,
)
from apps.meter_service.doctype.subscriber.models import (
    ClimateZone,
    CustomerType,
    Subscriber,
    TariffGroup,
)
from apps.meter_service.doctype.subscriber.selectors import subscriber_by_number


def _label(model: type[models.Model], name: str):
    return model_field(model, name).verbose_name


class ImportUploadForm(forms.Form):
    """Choose the kind of data and the file; the service checks what is inside."""

    target = forms.ChoiceField(
        label=_("data"), choices=ImportTarget.choices, widget=UnfoldAdminSelectWidget()
    )
    file = forms.FileField(
        label=_("file"),
        widget=UnfoldAdminFileFieldWidget(attrs={"accept": ".csv,.xlsx"}),
        help_text=_("A CSV or XLSX file whose first row holds the column names."),
    )


# --- fields for spreadsheet cells -------------------------------------------------------


def _choice_names(key: object, label: object) -> set[str]:
    names = {str(key)}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(str(label))
    # A spreadsheet stores the class "1.0" as the number 1.
    with contextlib.suppress(ArithmeticError):
        names.add(format(Decimal(str(key)).normalize(), "f"))
    return names


@functools.cache
def _choice_lookup(choices: tuple[tuple[str, object], ...]) -> dict[str, str]:
    """Return {normalised value or label: stored value}; built once per set of choices."""
    lookup: dict[str, str] = {}
    for key, label in choices:
        for name in _choice_names(key, label):
            lookup.setdefault(normalize_header(name), key)
    return lookup


class ImportChoiceField(forms.TypedChoiceField):
    """A choice written as its stored value or as its label in any language of the site."""

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return ""
        # The field keeps its choices as (value, label) pairs; the stubs allow any input.
        pairs = cast(Iterable[tuple[Any, Any]], self.choices)
        choices = tuple((str(key), label) for key, label in pairs if key not in ("", None))
        if any(text == key for key, _label in choices):
            return text
        return _choice_lookup(choices).get(normalize_header(text), text)


_TRUE = {"1", "true", "yes", "y", "بله", "بلی", "آری", "درست", "فعال"}
_FALSE = {"0", "false", "no", "n", "خیر", "نه", "نادرست", "غیرفعال"}


class ImportBooleanField(forms.Field):
    """Yes or no, written as 1/0, true/false or yes/no in English or Persian."""

    default_error_messages = {"invalid": _("Enter yes or no (1 or 0).")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, bool):
            return value
        text = normalize_header(value)
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValidationError(self.error_messages["invalid"], code=CommonErrorCode.INVALID)


def _choice(model, name: str, choices, *, required: bool = False, coerce=str):
    return ImportChoiceField(
        label=_label(model, name),
        choices=choices,
        required=required,
        coerce=coerce,
        empty_value=None if coerce is not str else "",
    )


def _digits(value: str) -> str:
    return identifiers.clean_digits(value) if value else value


# --- row forms --------------------------------------------------------------------------


class SubscriberImportForm(DigitNormalizingForm):
    subscription_number = formfields.SubscriptionNumberField(
        label=_label(Subscriber, "subscription_number")
    )
    bill_id = formfields.BillIdField(label=_label(Subscriber, "bill_id"), gas_only=True)
    customer_type = _choice(Subscriber, "customer_type", CustomerType.choices)
    national_id = formfields.NationalIdField(
        label=_label(Subscriber, "national_id"), required=False
    )
    national_legal_id = formfields.NationalLegalIdField(
        label=_label(Subscriber, "national_legal_id"), required=False
    )
    name = forms.CharField(label=_label(Subscriber, "name"), max_length=200)
    mobile = formfields.MobileField(label=_label(Subscriber, "mobile"))
    city = forms.CharField(label=_label(Subscriber, "city"), max_length=100)
    address = forms.CharField(label=_label(Subscriber, "address"))
    postal_code = forms.CharField(label=_label(Subscriber, "postal_code"), required=False)
    tariff_group = _choice(Subscriber, "tariff_group", TariffGroup.choices)
    climate_zone = _choice(Subscriber, "climate_zone", ClimateZone.choices, coerce=int)

    def clean_postal_code(self) -> str:
        return _digits(self.cleaned_data["postal_code"])


class MeterImportForm(DigitNormalizingForm):
    serial = forms.CharField(label=_label(Meter, "serial"), max_length=40)
    make = forms.CharField(label=_label(Meter, "make"), max_length=100)
    model = forms.CharField(label=_label(Meter, "model"), max_length=100, required=False)
    size = _choice(Meter, "size", MeterSize.choices, required=True)
    accuracy_class = _choice(Meter, "accuracy_class", AccuracyClass.choices)
    manufacture_year = forms.IntegerField(label=_label(Meter, "manufacture_year"), required=False)
    install_date = JalaliDateField(label=_label(Meter, "install_date"), required=False)
    last_test_date = JalaliDateField(label=_label(Meter, "last_test_date"), required=False)
    status = _choice(Meter, "status", MeterStatus.choices)


class CounterOfficeImportForm(DigitNormalizingForm):
    code = forms.CharField(label=_label(CounterOffice, "code"), max_length=10)
    name = forms.CharField(label=_label(CounterOffice, "name"), max_length=200)
    city = forms.CharField(label=_label(CounterOffice, "city"), max_length=100)
    address = forms.CharField(label=_label(CounterOffice, "address"), required=False)
    phone = forms.CharField(label=_label(CounterOffice, "phone"), required=False)
    is_active = ImportBooleanField(label=_label(CounterOffice, "is_active"), required=False)

    def clean_code(self) -> str:
        return _digits(self.cleaned_data["code"])

    def clean_phone(self) -> str:
        phone = _digits(self.cleaned_data["phone"])
        # A spreadsheet that stored the number as a number dropped its leading zero.
        if len(phone) == 10 and phone.isdigit() and not phone.startswith("0"):
            phone = "0" + phone
        return phone


class MeterInstallationImportForm(DigitNormalizingForm):
    """One installation: the subscription and meter are named by number and serial."""

    subscription_number = formfields.SubscriptionNumberField(
        label=_label(Subscriber, "subscription_number")
    )
    meter_serial = forms.CharField(label=_("meter serial"))
    installed_on = JalaliDateField(label=_label(MeterInstallation, "installed_on"))
    initial_reading = forms.DecimalField(
        label=_label(MeterInstallation, "initial_reading"),
        required=False,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=3,
    )
    reason = _choice(MeterInstallation, "reason", InstallationReason.choices)
    removed_meter_final_reading = forms.DecimalField(
        label=_("final reading of the meter taken out (m³)"),
        required=False,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=3,
    )

    def clean_subscription_number(self) -> str:
        number = self.cleaned_data["subscription_number"]
        subscriber = subscriber_by_number(number)
        if subscriber is None:
            raise ValidationError(
                _("No subscriber has subscription number %(number)s."),
                code=CommonErrorCode.NO_SUBSCRIBER,
                params={"number": code_in_sentence(number)},
            )
        self.cleaned_data["subscriber"] = subscriber
        return number

    def clean_meter_serial(self) -> str:
        serial = self.cleaned_data["meter_serial"]
        meter = Meter.objects.filter(serial=serial).first()
        if meter is None:
            raise ValidationError(
                _("No meter has serial %(serial)s."),
                code=CommonErrorCode.NO_METER,
                params={"serial": serial},
            )
        self.cleaned_data["meter"] = meter
        return serial
