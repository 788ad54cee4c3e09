"""What each kind of importable master data reads and which service saves a row of it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.model_fields import model_field
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.bill import rules as bill_rules
from apps.meter_service.doctype.bill.forms import BillImportForm
from apps.meter_service.doctype.bill.models import Bill
from apps.meter_service.doctype.bill.services import (
    CREATED,
    bill_create_many,
    bill_new,
    bill_upsert,
    typed_fields,
)
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


@dataclass
class Pending:
    """A row of a batch that passed its form, waiting for its save; `result` is what
    happened: CREATE, UPDATE, or the error that refused it."""

    fields: dict[str, Any]
    result: str | Exception | None = None


# The saves of a batch of rows at once: fills every item's result, in file order.
# (items, the uploader, the save of one item through its service) -> None
BulkSaver = Callable[[list[Pending], Actor, Callable[[Pending], None]], None]


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
    # Saves many new records at once (the rest go through `save` one by one).
    bulk: BulkSaver | None = None

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


def save_one(save: Saver, item: Pending, actor: Actor) -> None:
    """Save one row through its service in a savepoint: refused, it is undone alone."""
    try:
        with transaction.atomic():
            item.result, _record = save(fields=item.fields, actor=actor)
    except (ValidationError, IntegrityError) as error:
        item.result = error


def _insert_or_one_by_one(
    insert: Callable[[], object], run: list[Pending], one: Callable[[Pending], None]
) -> None:
    """Insert a run of new rows at once; if the database refuses it (a constraint, or a
    record another user saved meanwhile), save them one by one, so each row gets its own
    error as before."""
    if not run:
        return
    try:
        with transaction.atomic():
            insert()
    except IntegrityError:
        for item in run:
            one(item)
        return
    for item in run:
        item.result = CREATE


def _subscribers_bulk(items: list[Pending], actor: Actor, one: Callable[[Pending], None]) -> None:
    """New subscribers in one insert a run; an existing one (an update), one with custom
    fields, or one whose bill ID is taken goes through the service, in file order."""
    numbers = [item.fields.get("subscription_number") for item in items]
    bill_ids = [item.fields.get("bill_id") for item in items]
    existing = set(
        Subscriber.objects.filter(subscription_number__in=numbers).values_list(
            "subscription_number", flat=True
        )
    )
    taken = set(Subscriber.objects.filter(bill_id__in=bill_ids).values_list("bill_id", flat=True))
    run: list[Pending] = []
    records: list[Subscriber] = []
    in_run: set[str] = set()

    def flush() -> None:
        _insert_or_one_by_one(
            lambda: subscriber_services.subscriber_create_many(
                records, actor=actor, source="import"
            ),
            run,
            one,
        )
        run.clear()
        records.clear()

    for item in items:
        fields = item.fields
        bill_id = fields.get("bill_id")
        if (
            fields.get("subscription_number") in existing
            or "custom_fields" in fields
            or bill_id in taken
            or bill_id in in_run
        ):
            flush()
            one(item)
            continue
        subscriber = Subscriber(**fields)
        try:
            # Unique fields: checked above for the batch; the constraint is the rules' too.
            subscriber.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError:
            # Refused: the service says why, with every message it gives (rare, so cheap).
            flush()
            one(item)
            continue
        run.append(item)
        records.append(subscriber)
        in_run.add(subscriber.bill_id)
    flush()


def _bills_bulk(items: list[Pending], actor: Actor, one: Callable[[Pending], None]) -> None:
    """New bills in one insert a run, their subscribers locked and their periods checked
    against the subscriptions' other bills (read once a batch); a bill sent before (an
    update) or a second bill of a subscription in the run goes through the service."""
    typed: list[dict[str, Any] | None] = []
    for item in items:
        try:
            # The fields of a valid BillImportForm (the spec's row form): what it checked
            # as the model does is not checked again (bill services' FORM_CHECKED).
            typed.append(typed_fields(item.fields, form_checked=True))
        except ValidationError:
            typed.append(None)  # the service refuses it, in its turn
    bill_ids = {fields["bill_id"] for fields in typed if fields}
    subscribers = {
        subscriber.bill_id: subscriber
        for subscriber in Subscriber.objects.select_for_update()
        .filter(bill_id__in=bill_ids)
        # What a bill takes of its subscriber (bill services' _built and the created event,
        # the bill rules); the rest would be read and built for nothing.
        .only("id", "bill_id", "subscription_number", "tariff_group", "climate_zone")
    }
    others: dict[int, list[Bill]] = {}
    for bill in Bill.objects.filter(subscriber__in=list(subscribers.values())).only(
        "id", "subscriber_id", "bill_id", "payment_id", "period_start", "period_end"
    ):
        others.setdefault(bill.subscriber_id, []).append(bill)
    pairs = {(bill.bill_id, bill.payment_id) for bills in others.values() for bill in bills}
    run: list[Pending] = []
    records: list[Bill] = []
    in_run: set[int] = set()

    def flush() -> None:
        _insert_or_one_by_one(
            lambda: bill_create_many(records, source="import", actor=actor), run, one
        )
        run.clear()
        records.clear()

    for item, fields in zip(items, typed, strict=True):
        if fields is None:
            flush()
            one(item)
            continue
        subscriber = subscribers.get(fields["bill_id"])
        if (
            subscriber is None
            or (fields["bill_id"], fields["payment_id"]) in pairs
            or subscriber.pk in in_run
        ):
            # No subscriber (the service's error), an update, or bills of one subscription
            # in the file that must see each other: the service, one by one.
            flush()
            one(item)
            if subscriber is not None:
                in_run.add(subscriber.pk)  # later bills of it must see this one
            continue
        try:
            bill = bill_new(
                subscriber=subscriber, fields=fields, source="import", form_checked=True
            )
            bill_rules.check_no_overlap(bill, others.get(subscriber.pk, []))
        except ValidationError:
            flush()
            one(item)
            in_run.add(subscriber.pk)
            continue
        run.append(item)
        records.append(bill)
        in_run.add(subscriber.pk)
    flush()


SPECS: dict[str, ImportSpec] = {
    ImportTarget.SUBSCRIBER: ImportSpec(
        target=ImportTarget.SUBSCRIBER,
        form_class=import_forms.SubscriberImportForm,
        save=_upsert(Subscriber, "subscription_number", subscriber_services.subscriber_upsert),
        pick=_model_fields(Subscriber),
        key="subscription_number",
        custom_target=CustomFieldTarget.SUBSCRIBER,
        bulk=_subscribers_bulk,
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
        bulk=_bills_bulk,
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
