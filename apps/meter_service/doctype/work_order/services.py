"""Actions on replacement work orders: open (from the process), plan, complete, cancel.

Completing a work order is one transaction: the meters and installations change, the work
order is stored, and the claim's `Task_replace` step is completed, or nothing is written.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from apps.meter_service.core import uploads
from apps.meter_service.core.display import local_digits
from apps.meter_service.core.error_codes import CommonErrorCode
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.meter import services as meter_services
from apps.meter_service.doctype.meter.models import InstallationReason, Meter, MeterInstallation
from apps.meter_service.doctype.process_steps import OpenStep, process
from apps.meter_service.doctype.work_order import events, rules
from apps.meter_service.doctype.work_order.error_codes import WorkOrderErrorCode
from apps.meter_service.doctype.work_order.models import (
    WorkOrder,
    WorkOrderPhoto,
    WorkOrderStatus,
)

# The user task of meter_test.bpmn that a work order completes, and its form's fields.
REPLACE_TASK = "Task_replace"
TASK_FIELDS = ("old_final_reading", "new_serial", "new_initial_reading", "seal_numbers")
PLANNING_FIELDS = ("scheduled_for", "crew_names", "notes")

# Where the meter services name a field, and the completion form's name for it.
_METER_FIELDS = {
    "serial": "new_serial",
    "make": "new_make",
    "model": "new_model",
    "size": "new_size",
    "accuracy_class": "new_accuracy_class",
    "meter": "new_serial",
    "final_reading": "old_final_reading",
    "removed_on": "done_at",
    "installed_on": "done_at",
    "initial_reading": "new_initial_reading",
}


def _renamed(error: ValidationError) -> ValidationError:
    """The same errors, keyed by the completion form's field names."""
    if not hasattr(error, "error_dict"):
        return error
    renamed: dict[str, list[ValidationError]] = {}
    for field, errors in error.error_dict.items():
        renamed.setdefault(_METER_FIELDS.get(field, field), []).extend(errors)
    return ValidationError(renamed)


def open_replace_task(claim: Claim) -> OpenStep | None:
    """The claim's open `Task_replace` step (None when the claim is not waiting for it)."""
    return process().open_step(claim_id=claim.pk, element_id=REPLACE_TASK)


@transaction.atomic
def work_order_open(*, claim: Claim, actor: Actor = None) -> WorkOrder:
    """Open the replacement work order of a claim; return the live one if it has it."""
    existing = WorkOrder.objects.filter(claim=claim, is_live=True).first()
    if existing is not None:
        return existing
    work_order = WorkOrder(
        claim=claim,
        meter=claim.meter,
        created_by=actor if isinstance(actor, User) else None,  # a signed-in user, not anonymous
    )
    work_order.full_clean(validate_constraints=False)
    work_order.save()
    events.work_order_opened_event(work_order=work_order, actor=actor)
    return work_order


def work_order_from_process(claim_id: int, data: dict[str, Any], actor: Actor = None) -> WorkOrder:
    """Open the work order when the process reaches the replacement (topic work_order.open).

    Idempotent: a step run again (a version move, a retried step) finds the same order.
    """

    claim = Claim.objects.select_related("meter").get(pk=claim_id)
    return work_order_open(claim=claim, actor=actor)


@transaction.atomic
def work_order_update(
    *,
    work_order: WorkOrder,
    actor: Actor = None,
    crew: Iterable[User] | None = None,
    **fields: Any,
) -> WorkOrder:
    """Plan an open work order: when, who (accounts and other names), notes."""
    unknown = set(fields) - set(PLANNING_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    rules.check_can_complete(work_order)
    changes = {
        name: [getattr(work_order, name), value]
        for name, value in fields.items()
        if getattr(work_order, name) != value
    }
    for name, value in fields.items():
        setattr(work_order, name, value)
    if crew is not None:
        crew = list(crew)
        _check_crew(crew)
        before = sorted(work_order.crew.values_list("username", flat=True))
        after = sorted(u.get_username() for u in crew)
        if before != after:
            changes["crew"] = [before, after]
    if not changes:
        return work_order
    work_order.full_clean(validate_constraints=False)
    work_order.save(update_fields=[name for name in changes if name != "crew"] or None)
    if crew is not None:
        work_order.crew.set(crew)
    events.work_order_updated_event(work_order=work_order, actor=actor, changes=changes)
    return work_order


def _check_crew(crew: list[User]) -> None:
    strangers = [u for u in crew if not rules.is_crew(u)]
    if strangers:
        raise ValidationError(
            {
                "crew": ValidationError(
                    rules.CREW_ROLE_MESSAGE,
                    code=WorkOrderErrorCode.CREW_ROLE,
                    params={"names": "، ".join(str(u) for u in strangers)},
                )
            }
        )


@transaction.atomic
def work_order_cancel(*, work_order: WorkOrder, reason: str = "", actor: Actor = None) -> WorkOrder:
    """Cancel an open work order (the claim may then get a new one)."""
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    rules.check_can_complete(work_order)
    work_order.status = WorkOrderStatus.CANCELLED
    work_order.is_live = None
    work_order.save(update_fields=["status", "is_live"])
    events.work_order_cancelled_event(work_order=work_order, actor=actor, reason=reason)
    return work_order


def _photo_checks(photos: Sequence[UploadedFile]) -> tuple[list[str], list[ValidationError]]:
    types: list[str] = []
    errors: list[ValidationError] = []
    if len(photos) > rules.photo_max_count():
        errors.append(
            ValidationError(
                rules.TOO_MANY_PHOTOS_MESSAGE,
                code=CommonErrorCode.TOO_MANY_PHOTOS,
                params={"count": local_digits(rules.photo_max_count())},
            )
        )
        return types, errors
    for photo in photos:
        photo.seek(0)
        head = photo.read(16)
        photo.seek(0)
        assert photo.size is not None  # Django sets the size of every upload
        try:
            content_type = rules.check_photo(name=photo.name or "", head=head, size=photo.size)
            uploads.check_image(photo, content_type, name=photo.name or "")
            types.append(content_type)
        except ValidationError as error:
            errors.append(error)
    return types, errors


@transaction.atomic
def work_order_complete(
    *,
    work_order: WorkOrder,
    done_at: datetime.datetime,
    old_final_reading: Decimal,
    new_serial: str,
    new_initial_reading: Decimal,
    seal_numbers: str = "",
    new_make: str | None = None,
    new_model: str | None = None,
    new_size: str | None = None,
    new_accuracy_class: str | None = None,
    old_serial_seen: str = "",
    crew: Iterable[User] = (),
    crew_names: str = "",
    notes: str = "",
    photos: Sequence[UploadedFile] = (),
    actor: Actor,
) -> WorkOrder:
    """Record the replacement and move the claim on to the bill correction.

    Takes the old meter out (final reading, marked faulty), installs the new one (registered
    here when its serial is new, with the old meter's make, model, size and class unless
    given), stores the work order with its crew and photos, and completes the claim's
    `Task_replace` with the same data. Every check runs before the first write; a refusal
    raises ValidationError keyed by the completion form's fields (PermissionDenied for a user
    outside the step's lane) and writes nothing.
    """

    # The process instance first, as every process step does: one lock order for all.
    process().lock(claim_id=work_order.claim_id)
    work_order = (
        WorkOrder.objects.select_for_update()
        .select_related("claim__subscriber", "claim__meter", "meter")
        .get(pk=work_order.pk)
    )
    rules.check_can_complete(work_order)
    claim = work_order.claim
    task = open_replace_task(claim)
    if task is None:
        raise ValidationError(rules.NO_TASK_MESSAGE, code=WorkOrderErrorCode.NO_REPLACE_TASK)
    process().check_can_complete(user=actor, step=task)

    old_meter = work_order.meter
    new_serial = (new_serial or "").strip()
    crew_list = list(crew)
    installation = (
        MeterInstallation.objects.select_for_update()
        .filter(subscriber=claim.subscriber, meter=old_meter, is_current=True)
        .first()
    )
    new_meter = Meter.objects.select_for_update().filter(serial=new_serial).first()
    errors: dict[str, list[ValidationError]] = {}
    try:
        rules.check_completion(
            claim=claim,
            installation=installation,
            done_at=done_at,
            now=timezone.now(),
            old_final_reading=old_final_reading,
            new_serial=new_serial,
            new_initial_reading=new_initial_reading,
            new_meter=new_meter,
            new_meter_installed=new_meter is not None
            and MeterInstallation.objects.filter(meter=new_meter, is_current=True).exists(),
            crew=crew_list,
            old_serial=old_meter.serial,
            old_serial_seen=old_serial_seen,
        )
    except ValidationError as error:
        errors.update(error.error_dict)
    new_fields = {
        "serial": new_serial,
        "make": new_make or old_meter.make,
        "model": old_meter.model if new_model is None else new_model,
        "size": new_size or old_meter.size,
        "accuracy_class": new_accuracy_class or old_meter.accuracy_class,
    }
    if new_meter is None and "new_serial" not in errors:
        try:
            Meter(**new_fields).full_clean(validate_unique=False)
        except ValidationError as error:
            for field, field_errors in _renamed(error).error_dict.items():
                errors.setdefault(field, []).extend(field_errors)
    photo_types, photo_errors = _photo_checks(photos)
    if photo_errors:
        errors.setdefault("photos", []).extend(photo_errors)
    if errors:
        raise ValidationError(errors)

    # --- writes: all checked above; a refusal below still rolls everything back ----------
    try:
        if new_meter is None:
            new_meter = meter_services.meter_create(actor=actor, source="work_order", **new_fields)
        meter_services.meter_install(
            subscriber=claim.subscriber,
            meter=new_meter,
            installed_on=timezone.localtime(done_at).date(),
            initial_reading=new_initial_reading,
            reason=InstallationReason.FAULT,
            removed_meter_final_reading=old_final_reading,
            actor=actor,
        )
    except ValidationError as error:
        raise _renamed(error) from error
    # meter_install took the old meter out as faulty (reason FAULT).
    work_order.status = WorkOrderStatus.DONE
    work_order.done_at = done_at
    work_order.old_serial_seen = old_serial_seen.strip()
    work_order.old_final_reading = old_final_reading
    work_order.new_meter = new_meter
    work_order.new_initial_reading = new_initial_reading
    work_order.seal_numbers = seal_numbers.strip()
    work_order.crew_names = crew_names.strip() or work_order.crew_names
    work_order.notes = notes.strip() or work_order.notes
    # One who may do the step: a User (the step's check refused anyone else).
    work_order.completed_by = actor if isinstance(actor, User) else None
    work_order.full_clean(validate_constraints=False)
    work_order.save()
    if crew_list:
        work_order.crew.set(crew_list)
    elif not work_order.crew.exists() and isinstance(actor, User) and rules.is_crew(actor):
        work_order.crew.set([actor])
    process().complete(
        step=task,
        user=actor,
        data={
            "old_final_reading": str(old_final_reading),
            "new_serial": new_serial,
            "new_initial_reading": str(new_initial_reading),
            "seal_numbers": work_order.seal_numbers,
        },
    )
    # Files last: storage is outside the transaction, so nothing can refuse after them.
    for photo, content_type in zip(photos, photo_types, strict=True):
        assert photo.size is not None  # Django sets the size of every upload
        record = WorkOrderPhoto(
            work_order=work_order,
            uid=uuid.uuid4().hex,
            content_type=content_type,
            size=photo.size,
        )
        record.image.save(uploads.stored_name(content_type), photo, save=False)
        record.save()
    events.work_order_done_event(work_order=work_order, actor=actor)
    return work_order
