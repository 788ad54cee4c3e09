"""What each kind of importable master data reads and which service saves a row of it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.model_fields import model_field
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.bill.forms import BillImportForm
from apps.meter_service.doctype.bill.services import CREATED, bill_upsert
from apps.meter_service.doctype.counter_office import services as office_services
from apps.meter_service.doctype.counter_office.models import CounterOffice
from apps.meter_service.doctype.custom_field.models import CustomFieldTarget
from apps.meter_service.doctype.custom_field.selectors import active_fields
from apps.meter_service.doctype.import_batch import forms as import_forms
from apps.meter_service.doctype.import_batch.error_codes import ImportBatchErrorCode
from apps.meter_service.doctype.import_batch.models import ImportTarget
from apps.meter_service.doctype.import_batch.readers import Column
from apps.meter_service.doctype.meter import services as meter_services
from apps.meter_service.doctype.meter.models import InstallationReason, Meter
from apps.meter_service.doctype.subscriber import services as subscriber_services
from apps.meter_service.doctype.subscriber.models import Subscriber

CREATE = "create"
UPDATE = "update"

# A row's save: (fields cleaned by the form, the uploader) -> (CREATE or UPDATE, the record).
Saver = Callable[..., tuple[str, models.Model]]


@dataclass(frozen=True)
class ImportSpec:
    """How to read and save one kind of master data."""

    target: str
    form_class: type[forms.Form]
    save: Saver
    pick: Callable[[dict, Iterable[str]], dict]
    # The column that names the record; a second row with the same value is an error.
    key: str | None = None
    # Field names in the service's errors that a column of the file stands for.
    error_columns: dict[str, str] = field(default_factory=dict)
    # The document type whose custom fields are columns too, named by their keys.
    custom_target: str | None = None

    @property
    def columns(self) -> tuple[Column, ...]:
        """Return the columns of the file: the row form's fields, in order, then the
        target's active custom fields (optional columns named by their keys)."""
        return (
            *(
                Column(
                    name=name,
                    # Every import field has a label; without one the header would read "None".
                    label=name if form_field.label is None else form_field.label,
                    required=form_field.required,
                )
                for name, form_field in self.form_class.base_fields.items()
            ),
            *(Column(name=key, label=key) for key in self.custom_keys()),
        )

    def custom_keys(self) -> list[str]:
        """The keys of the target's active custom fields (none for other data)."""
        if self.custom_target is None:
            return []
        return [custom.key for custom in active_fields(self.custom_target)]

    def custom_columns(self, present: Iterable[str]) -> list[str]:
        """The custom field columns among a file's columns (read once a file)."""
        keys = set(self.custom_keys())
        return [name for name in present if name in keys]

    def column_of(self, error_field: str) -> str:
        """Return the column a service error is about, or "" when it is about the row."""
        name = self.error_columns.get(error_field, error_field)
        return name if name in self.form_class.base_fields else ""


def _model_fields(model: type[models.Model]) -> Callable[[dict, Iterable[str]], dict]:
    """Return a picker of the service fields given in the file.

    A column left out of the file leaves the field alone; an empty cell clears the field,
    except for a field with a default (a choice, a flag), which keeps its value.
    """

    def pick(cleaned: dict, present: Iterable[str]) -> dict:
        fields = {}
        for name in present:
            value = cleaned.get(name)
            if value in (None, "") and model_field(model, name).has_default():
                continue
            fields[name] = value
        return fields

    return pick


def _upsert(model: type[models.Model], key: str, service: Callable[..., models.Model]) -> Saver:
    def save(*, fields: dict[str, Any], actor: Actor) -> tuple[str, models.Model]:
        exists = model._default_manager.filter(**{key: fields[key]}).exists()
        record = service(actor=actor, source="import", **fields)
        return (UPDATE if exists else CREATE), record

    return save


def _installation_fields(cleaned: dict, present: Iterable[str]) -> dict:
    return {
        "subscriber": cleaned["subscriber"],
        "meter": cleaned["meter"],
        "installed_on": cleaned["installed_on"],
        "initial_reading": cleaned.get("initial_reading") or Decimal("0"),
        "reason": cleaned.get("reason") or InstallationReason.NEW_CONNECTION,
        "removed_meter_final_reading": cleaned.get("removed_meter_final_reading"),
    }


def _install(*, fields: dict[str, Any], actor: Actor) -> tuple[str, models.Model]:
    return CREATE, meter_services.meter_install(actor=actor, **fields)


SPECS: dict[str, ImportSpec] = {
    ImportTarget.SUBSCRIBER: ImportSpec(
        target=ImportTarget.SUBSCRIBER,
        form_class=import_forms.SubscriberImportForm,
        save=_upsert(Subscriber, "subscription_number", subscriber_services.subscriber_upsert),
        pick=_model_fields(Subscriber),
        key="subscription_number",
        custom_target=CustomFieldTarget.SUBSCRIBER,
    ),
    ImportTarget.METER: ImportSpec(
        target=ImportTarget.METER,
        form_class=import_forms.MeterImportForm,
        save=_upsert(Meter, "serial", meter_services.meter_upsert),
        pick=_model_fields(Meter),
        key="serial",
    ),
    ImportTarget.COUNTER_OFFICE: ImportSpec(
        target=ImportTarget.COUNTER_OFFICE,
        form_class=import_forms.CounterOfficeImportForm,
        save=_upsert(CounterOffice, "code", office_services.office_upsert),
        pick=_model_fields(CounterOffice),
        key="code",
    ),
    # Installations are history: each row adds one, so no key; a subscription may take
    # several meters in one file, one after the other.
    ImportTarget.METER_INSTALLATION: ImportSpec(
        target=ImportTarget.METER_INSTALLATION,
        form_class=import_forms.MeterInstallationImportForm,
        save=_install,
        pick=_installation_fields,
        error_columns={
            "subscriber": "subscription_number",
            "meter": "meter_serial",
            "removed_on": "installed_on",
            "final_reading": "removed_meter_final_reading",
        },
    ),
}


def _bill_fields(cleaned: dict, present: Iterable[str]) -> dict:
    # An empty cell leaves the field to the service's default (the subscriber's tariff
    # group and zone, the readings' difference, not estimated).
    return {name: cleaned.get(name) for name in present if cleaned.get(name) not in (None, "")}


def _bill(*, fields: dict[str, Any], actor: Actor) -> tuple[str, models.Model]:

    bill, result = bill_upsert(data=fields, source="import", actor=actor)
    return (CREATE if result == CREATED else UPDATE), bill


def _bill_spec() -> ImportSpec:

    # Bills are history known by bill ID and payment ID together: a row sent again changes
    # nothing, a row with corrected figures updates its bill.
    return ImportSpec(
        target=ImportTarget.BILL,
        form_class=BillImportForm,
        save=_bill,
        pick=_bill_fields,
        error_columns={"subscriber": "bill_id"},
    )


SPECS[ImportTarget.BILL] = _bill_spec()


def get_spec(target: str) -> ImportSpec:
    """Return the spec of an import target, or raise ValidationError for an unknown one."""
    try:
        return SPECS[target]
    except KeyError:
        raise ValidationError(
            _("Choose what kind of data the file holds."), code=ImportBatchErrorCode.UNKNOWN_TARGET
        ) from None
