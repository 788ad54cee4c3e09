"""Actions on meter tests: record a test (and move the claim's process on), test equipment."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import uploads
from apps.meter_service.core.display import code_text
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.inspection import events, rules
from apps.meter_service.doctype.inspection.error_codes import InspectionErrorCode
from apps.meter_service.doctype.inspection.events import InspectionEvents
from apps.meter_service.doctype.inspection.models import (
    Inspection,
    InspectionPhoto,
    TestEquipment,
    TestPoint,
)
from apps.meter_service.doctype.inspection.selectors import open_test_task
from apps.meter_service.doctype.meter.models import Meter
from apps.meter_service.doctype.meter.services import meter_update
from apps.meter_service.doctype.process_steps import OpenStep, process
from apps.meter_service.doctype.rule_setting.selectors import rule_value
from apps.meter_service.document_services import document_create, document_update

# The fields of the BPMN's Task_test form; the rest of the process data is computed.
TASK_FORM_FIELDS = ("outcome", "error_percent", "stopped", "tampered", "notes")

EQUIPMENT_FIELDS = ("kind", "identifier", "make", "model", "calibration_due", "active")

T = TypeVar("T")


def _setting(name: str) -> Any:
    return rule_value(name)


def inspection_process_data(inspection: Inspection) -> dict[str, Any]:
    """What a recorded test gives the claim's process (the Task_test fields and more)."""

    def number(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    return {
        "outcome": "tested",
        "error_percent": number(inspection.error_percent),
        "stopped": inspection.not_registering,
        "tampered": inspection.tampered,
        "notes": inspection.notes,
        "mpe": number(inspection.mpe),
        "inspection_id": inspection.pk,
    }


def _not_at_test_step(claim: Claim) -> ValidationError:
    return ValidationError(
        _("Claim %(code)s is not waiting for its meter test."),
        code=InspectionErrorCode.NOT_AT_TEST_STEP,
        params={"code": code_text(claim.tracking_code)},
    )


def _locked_test_task(claim: Claim, actor: Actor) -> OpenStep:
    """Lock the claim's process and return its open test step, checking the actor's role."""
    process().lock(claim_id=claim.pk)
    task = open_test_task(claim=claim)
    if task is None:
        raise _not_at_test_step(claim)
    process().check_can_complete(user=actor, step=task)
    return task


def _gather(
    errors: dict[str, list[Any]], check: Callable[..., T], *args: Any, **kwargs: Any
) -> T | None:
    """Run a check; keep its field errors instead of stopping at the first."""
    try:
        return check(*args, **kwargs)
    except ValidationError as error:
        for field, messages in error.update_error_dict({}).items():
            errors.setdefault(field, []).extend(messages)
        return None


def _photo_types(photos: list[UploadedFile], errors: dict[str, list[Any]]) -> list[str]:
    _gather(
        errors, rules.check_photo_count, len(photos), limit=_setting("INSPECTION_PHOTO_MAX_COUNT")
    )
    kinds = []
    for photo in photos:
        head = photo.read(16)
        photo.seek(0)
        assert photo.size is not None  # Django sets the size of every upload
        kind = _gather(
            errors,
            rules.check_photo,
            head=head,
            size=photo.size,
            limit=int(_setting("INSPECTION_PHOTO_MAX_BYTES")),
        )
        if kind:
            try:
                uploads.check_image(photo, kind)
            except ValidationError as error:
                _gather(errors, _raise_for, "photos", error)
            kinds.append(kind)  # a photo without one was refused: errors stop the caller
    return kinds


def _raise_for(field: str, error: ValidationError) -> None:
    raise ValidationError({field: error})


@transaction.atomic
def inspection_record(
    *,
    claim: Claim,
    technician: User,
    equipment: TestEquipment | None,
    test_type: str,
    tested_at: datetime.datetime,
    serial_seen: str,
    seal_state: str,
    stopped: bool = False,
    register_fault: bool = False,
    leak: bool = False,
    tampering: bool = False,
    points: Sequence[Mapping[str, Any]],
    photos: Iterable[UploadedFile] = (),
    notes: str = "",
    actor: Actor,
) -> Inspection:
    """Record the test of a claim's meter and complete the claim's test step with it.

    Refused, with nothing written, when the claim is not at its test step, the actor may not
    do that step, the equipment is missing, out of service, of the wrong kind or out of
    calibration on the test date, a point is wrong, or no point is given for a meter that
    is neither stopped nor tampered with. The errors, the tolerance and the verdict (DMN
    test_verdict of the claim's process version) are computed here.
    """
    task = _locked_test_task(claim, actor)
    meter = claim.meter
    point_rows = [dict(p) for p in points]
    photo_list = list(photos)
    not_registering = bool(stopped or register_fault)
    tampered = rules.is_tampered(tampering=tampering, seal_state=seal_state)

    errors: dict[str, list[Any]] = {}
    _gather(errors, rules.check_tested_at, tested_at, now=timezone.now())
    _gather(
        errors,
        rules.check_equipment,
        equipment,
        test_type=test_type,
        on_date=timezone.localdate(tested_at),
        needed=bool(point_rows),
    )
    _gather(
        errors,
        rules.check_points,
        point_rows,
        meter_size=meter.size,
        stopped=not_registering,
        tampered=tampered,
    )
    photo_types = _photo_types(photo_list, errors)
    if errors:
        raise ValidationError(errors)

    assessment = rules.assess(
        point_rows,
        accuracy_class=meter.accuracy_class,
        meter_size=meter.size,
        bands=_setting("IN_SERVICE_TOLERANCE_BANDS"),
        transition_fraction=_setting("TRANSITION_FLOW_FRACTION"),
    )
    verdict = process().decide_verdict(
        step=task,
        tampered=tampered,
        stopped=not_registering,
        error_percent=assessment.error_percent,
        mpe=assessment.mpe,
    )
    inspection = Inspection(
        claim=claim,
        meter=meter,
        test_type=test_type,
        technician=technician,
        equipment=equipment,
        tested_at=tested_at,
        serial_seen=serial_seen.strip(),
        serial_matches=rules.serial_matches(serial_seen, meter.serial),
        seal_state=seal_state,
        stopped=bool(stopped),
        register_fault=bool(register_fault),
        leak=bool(leak),
        tampering=bool(tampering),
        notes=notes.strip(),
        error_percent=assessment.error_percent,
        mean_error_percent=assessment.mean_error_percent,
        mpe=assessment.mpe,
        band=assessment.band,
        accuracy_class=meter.accuracy_class,
        verdict=verdict,
        created_by=actor if isinstance(actor, User) else None,  # one who may do the step
    )
    inspection.full_clean()
    inspection.save()
    rows = []
    for position, (point, result) in enumerate(zip(point_rows, assessment.points, strict=True)):
        row = TestPoint(
            inspection=inspection,
            position=position,
            flow_rate_m3h=result.flow_rate_m3h,
            reference_volume_m3=rules.required_decimal(point["reference_volume_m3"]),
            meter_volume_m3=rules.required_decimal(point["meter_volume_m3"]),
            temperature_c=rules.to_decimal(point.get("temperature_c")),
            pressure_kpa=rules.to_decimal(point.get("pressure_kpa")),
            error_percent=result.error_percent,
            band=result.band,
            tolerance_percent=result.tolerance_percent,
        )
        row.full_clean(exclude=["inspection"])
        rows.append(row)
    TestPoint.objects.bulk_create(rows)
    events.inspection_recorded_event(inspection=inspection, actor=actor)

    _record_meter_test_date(meter, timezone.localdate(tested_at), actor)
    data = inspection_process_data(inspection)
    process().complete(
        step=task,
        user=actor,
        data={k: v for k, v in data.items() if k in TASK_FORM_FIELDS and v is not None},
        extra={k: v for k, v in data.items() if k not in TASK_FORM_FIELDS},
    )
    # Files last: everything that can refuse the test has run, so no file is left behind
    # by a refused one.
    for photo, content_type in zip(photo_list, photo_types, strict=True):
        assert photo.size is not None  # Django sets the size of every upload
        InspectionPhoto.objects.create(
            inspection=inspection,
            image=uploads.rename(photo, content_type),
            content_type=content_type,
            size=photo.size,
        )
    return inspection


def _record_meter_test_date(meter: Meter, tested_on: datetime.date, actor: Actor) -> None:

    if meter.last_test_date is None or meter.last_test_date < tested_on:
        meter_update(meter=meter, last_test_date=tested_on, actor=actor, source="inspection")


@transaction.atomic
def inspection_no_access(*, claim: Claim, actor: Actor, note: str = "") -> None:
    """Complete the claim's test step as "no access to the meter" (no test is recorded)."""
    task = _locked_test_task(claim, actor)
    process().complete(
        step=task,
        user=actor,
        data={"outcome": "no_access", "notes": note.strip()[:500]},
    )


def equipment_create(*, actor: Actor = None, source: str = "desk", **fields: Any) -> TestEquipment:
    """Register a bench or prover."""
    return document_create(
        TestEquipment,
        event_type=InspectionEvents.TEST_EQUIPMENT_CREATED,
        actor=actor,
        source=source,
        fields=fields,
    )


def equipment_update(
    *, equipment: TestEquipment, actor: Actor = None, source: str = "desk", **fields: Any
) -> TestEquipment:
    """Change a bench's or prover's fields (a new calibration date, out of service)."""
    return document_update(
        equipment,
        editable=EQUIPMENT_FIELDS,
        event_type=InspectionEvents.TEST_EQUIPMENT_CHANGED,
        actor=actor,
        source=source,
        fields=fields,
    )
