"""Actions on bills: the billing system's bills come in here, from files, the API and the desk.

A bill is known by its bill ID and payment ID together, so sending the same bill again
changes nothing, and sending it with corrected figures updates it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from apps.meter_service.audit.events import changed_fields, insert_events, record_event
from apps.meter_service.core import bulk_sql, identifiers, validators
from apps.meter_service.core.error_codes import CommonErrorCode
from apps.meter_service.core.model_fields import model_field
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.bill import rules
from apps.meter_service.doctype.bill.events import BillEvents
from apps.meter_service.doctype.bill.models import Bill
from apps.meter_service.doctype.subscriber.models import Subscriber

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"

FIELDS = (
    "bill_id",
    "payment_id",
    "period_start",
    "period_end",
    "previous_reading",
    "current_reading",
    "volume_m3",
    "amount_rial",
    "tariff_group",
    "climate_zone",
    "is_estimated",
    "meter_changed",
    "issued_on",
)
# What a later copy of the same bill may correct (its identity and subscriber stay).
CHANGEABLE = tuple(name for name in FIELDS if name not in rules.IDENTITY)


def _identifier(name: str, value: Any, normalize: Callable[[str], str]) -> str:
    try:
        return normalize(value if value is not None else "")
    except identifiers.IdentifierError as error:
        raise ValidationError({name: validators.validation_error(error)}) from error


def _typed(data: dict[str, Any], *, form_checked: bool = False) -> dict[str, Any]:
    """Return the known fields converted as the model stores them; unknown names refused.
    `form_checked`: a valid BillImportForm's fields, whose bill and payment IDs it made
    canonical with the same normalisers: not normalised again."""
    unknown = set(data) - set(FIELDS) - {"subscriber"}
    if unknown:
        raise TypeError(f"not bill fields: {sorted(unknown)}")
    out: dict[str, Any] = {}
    errors: dict[str, list] = {}
    for name, value in data.items():
        if name == "subscriber":
            continue
        try:
            out[name] = model_field(Bill, name).to_python(value)
        except ValidationError as error:
            errors[name] = error.error_list
    if errors:
        raise ValidationError(errors)
    if form_checked:
        return out
    out["bill_id"] = _identifier("bill_id", out.get("bill_id"), identifiers.normalize_gas_bill_id)
    out["payment_id"] = _identifier(
        "payment_id", out.get("payment_id"), identifiers.normalize_payment_id
    )
    return out


def _subscriber_of(data: dict[str, Any], bill_id: str) -> Subscriber:
    subscriber = data.get("subscriber")
    if subscriber is None:
        subscriber = Subscriber.objects.filter(bill_id=bill_id).first()
    if subscriber is None:
        raise ValidationError(
            {
                "bill_id": ValidationError(
                    _("No subscriber has the bill ID %(bill_id)s."),
                    code=CommonErrorCode.NO_SUBSCRIBER,
                    params={"bill_id": bill_id},
                )
            }
        )
    return subscriber


def _validate_and_save(bill: Bill, *, update_fields: list[str] | None = None) -> None:
    bill.full_clean()
    # The subscription's bills are locked (through its row) by the caller, so two bills
    # sent at once cannot both pass the overlap check.
    others = Bill.objects.filter(
        subscriber=bill.subscriber,
        period_start__lt=bill.period_end,
        period_end__gt=bill.period_start,
    )
    rules.check_no_overlap(bill, others)
    bill.save(update_fields=update_fields)


@transaction.atomic
def bill_upsert(*, data: dict[str, Any], source: str, actor: Actor = None) -> tuple[Bill, str]:
    """Create the bill, or bring the one with the same bill ID and payment ID up to date.

    Returns the bill and what happened: "created", "updated" or "unchanged". The subscriber
    is the one whose bill ID the bill carries (or data["subscriber"]); tariff group and
    climate zone default to the subscriber's; a missing volume is the readings' difference.
    Raises ValidationError (by field) and writes nothing when the bill is refused.
    """
    fields = _typed(data)
    subscriber = _subscriber_of(data, fields["bill_id"])
    Subscriber.objects.select_for_update().filter(pk=subscriber.pk).first()
    existing = (
        Bill.objects.select_for_update()
        .filter(bill_id=fields["bill_id"], payment_id=fields["payment_id"])
        .first()
    )
    if existing is None:
        return bill_create(
            subscriber=subscriber, fields=fields, source=source, actor=actor
        ), CREATED
    given = {name: value for name, value in fields.items() if name in CHANGEABLE}
    changes = _update(existing, fields=given, source=source, actor=actor)
    return existing, (UPDATED if changes else UNCHANGED)


def _built(subscriber: Subscriber, fields: dict[str, Any], source: str) -> Bill:
    """A new, unsaved bill of the subscriber from `fields` (as _typed returns them)."""
    values = {
        "tariff_group": subscriber.tariff_group,
        "climate_zone": subscriber.climate_zone,
        **{
            name: value
            for name, value in fields.items()
            if value is not None or name == "issued_on"
        },
    }
    bill = Bill(subscriber=subscriber, source=source, **values)
    if bill.volume_m3 is None and None not in (bill.previous_reading, bill.current_reading):
        bill.volume_m3 = bill.current_reading - bill.previous_reading
    return bill


def _created_parameters(bill: Bill, source: str) -> dict[str, Any]:
    return {
        "source": source,
        "subscription_number": bill.subscriber.subscription_number,
        "period_start": bill.period_start,
        "period_end": bill.period_end,
        "volume_m3": bill.volume_m3,
        "amount_rial": bill.amount_rial,
    }


def _record_created(bill: Bill, *, source: str, actor: Actor) -> None:
    record_event(
        document=bill,
        event_type=BillEvents.BILL_CREATED,
        actor=actor,
        parameters=_created_parameters(bill, source),
    )


@transaction.atomic
def bill_create(
    *, subscriber: Subscriber, fields: dict[str, Any], source: str, actor: Actor = None
) -> Bill:
    """Create a bill of the subscriber; refuse it (writing nothing) when a rule fails."""
    bill = _built(subscriber, fields, source)
    _validate_and_save(bill)
    _record_created(bill, source=source, actor=actor)
    return bill


# The fields whose model checks a bill import's row form (bill.forms.BillImportForm) has made
# already, as the model makes them or more strictly: the bill and payment IDs (canonical, each
# check digit and the pair, with the service's own normalisers), the dates, the readings (12
# digits, 3 places, not below 0) and the flags. The volume (the readings' difference when left
# out), the amount (the model's upper bound) and the tariff group and climate zone (the
# subscriber's when left out) are still checked by the model, and so are the bill's rules.
FORM_CHECKED = (
    "bill_id",
    "payment_id",
    "period_start",
    "period_end",
    "previous_reading",
    "current_reading",
    "is_estimated",
    "meter_changed",
    "issued_on",
)


def bill_new(
    *,
    subscriber: Subscriber,
    fields: dict[str, Any],
    source: str,
    form_checked: bool = False,
) -> Bill:
    """A new bill of the subscriber as bill_create builds it, checked but for its uniqueness
    and its overlap with other bills (the caller's, for a whole batch). `fields` as _typed
    returns them. `form_checked`: `fields` are a valid BillImportForm's, so the model's
    checks of FORM_CHECKED are not made again. Raises ValidationError (by field), also for
    what the table's check constraints would refuse (the caller's bulk insert then need not
    fail on it)."""
    bill = _built(subscriber, fields, source)
    # The subscriber is the caller's, read (and locked) from the database: no query for it.
    exclude = ["subscriber", *(FORM_CHECKED if form_checked else ())]
    bill.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    _check_table_constraints(bill)
    return bill


# The bill table's check constraints (Bill.Meta.constraints), by name, as Python tests of a
# checked bill: a batch's insert would fail on the whole run for one such row.
TABLE_CHECKS: dict[str, Callable[[Bill], bool]] = {
    "bill_period_ends_after_start": lambda bill: bill.period_end > bill.period_start,
    "bill_reading_not_below_previous": lambda bill: (
        bill.meter_changed or bill.current_reading >= bill.previous_reading
    ),
}


def _check_table_constraints(bill: Bill) -> None:
    for constraint in Bill._meta.constraints:
        test = TABLE_CHECKS.get(constraint.name)
        if test is not None and not test(bill):
            raise ValidationError(
                constraint.get_violation_error_message(), code=constraint.violation_error_code
            )


def bill_create_many(bills: list[Bill], *, source: str, actor: Actor = None) -> None:
    """Save new bills (from bill_new, overlaps checked by the caller with their subscribers
    locked) in a few multi-row inserts, with their "created" events in a few more, as
    bill_create would save each. The database's constraints stay the last word: an
    IntegrityError leaves nothing written."""
    if not bills:
        return
    with transaction.atomic():
        bulk_sql.insert_objects(bills)
        # The ids the database gave, by each bill's identity (its unique pair).
        keys = {(bill.bill_id, bill.payment_id) for bill in bills}
        saved = Bill.objects.filter(
            bill_id__in={key[0] for key in keys}, payment_id__in={key[1] for key in keys}
        ).values_list("bill_id", "payment_id", "pk")
        ids = {(bill_id, payment_id): pk for bill_id, payment_id, pk in saved}
        for bill in bills:
            bill.pk = ids[(bill.bill_id, bill.payment_id)]
            bill._state.adding = False
        insert_events(
            model=Bill,
            event_type=BillEvents.BILL_CREATED,
            actor=actor,
            documents=[(bill, _created_parameters(bill, source)) for bill in bills],
        )


def typed_fields(data: dict[str, Any], *, form_checked: bool = False) -> dict[str, Any]:
    """The fields of a bill as bill_upsert reads them (ValidationError by field);
    `form_checked` as in _typed."""
    return _typed(data, form_checked=form_checked)


@transaction.atomic
def bill_update(*, bill: Bill, fields: dict[str, Any], source: str, actor: Actor = None) -> Bill:
    """Correct a bill's figures; save and record only what changed, from what to what."""
    _update(bill, fields=fields, source=source, actor=actor)
    return bill


def _update(bill: Bill, *, fields: dict[str, Any], source: str, actor: Actor) -> dict[str, list]:
    unknown = set(fields) - set(CHANGEABLE)
    if unknown:
        raise TypeError(f"not changeable: {sorted(unknown)}")
    given = {
        name: value for name, value in fields.items() if value is not None or name == "issued_on"
    }
    before = {name: getattr(bill, name) for name in given}
    for name, value in given.items():
        setattr(bill, name, value)
    changes = changed_fields(bill, before)
    if not changes:
        return changes
    _validate_and_save(bill, update_fields=[*changes, "updated_at"])
    record_event(
        document=bill,
        event_type=BillEvents.BILL_UPDATED,
        actor=actor,
        parameters={"source": source, "changes": changes},
    )
    return changes
