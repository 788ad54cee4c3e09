"""Work orders: opened by the process on a faulty verdict, completed in one transaction."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.meter.models import (
    InstallationReason,
    Meter,
    MeterInstallation,
    MeterStatus,
)
from apps.meter_service.doctype.meter.services import meter_install
from apps.meter_service.doctype.work_order.models import (
    WorkOrder,
    WorkOrderPhoto,
    WorkOrderStatus,
)
from apps.meter_service.doctype.work_order.services import (
    work_order_cancel,
    work_order_complete,
    work_order_from_process,
    work_order_update,
)
from apps.meter_service.engine import handlers
from apps.meter_service.engine.models import ProcessTask

from .conftest import JPEG, open_steps, png, yesterday_at

pytestmark = pytest.mark.django_db


# --- opening ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("findings", "verdict"),
    [
        ({"error_percent": "4"}, "fast"),
        ({"error_percent": "-5"}, "slow"),
        ({"stopped": True}, "stopped"),
    ],
)
def test_a_faulty_verdict_opens_one_work_order_before_the_crews_step(tested, findings, verdict):
    claim = tested(**findings)
    order = WorkOrder.objects.get(claim=claim)
    assert order.status == WorkOrderStatus.OPEN and order.meter == claim.meter
    assert open_steps(claim) == ["Task_replace"]
    assert claim.process.state and f"'work_order_id': {order.pk}" in str(claim.process.state)
    assert verdict in str(claim.process.state)
    assert DocumentEvent.objects.filter(
        event_type="work_order_opened", object_id=str(order.pk)
    ).exists()


@pytest.mark.parametrize("findings", [{"error_percent": "1"}, {"tampered": True}])
def test_no_work_order_unless_the_meter_is_faulty(tested, findings):
    claim = tested(**findings)
    assert not WorkOrder.objects.filter(claim=claim).exists()
    assert "Task_replace" not in open_steps(claim)


def test_opening_again_finds_the_same_work_order(faulty_claim, work_order):
    again = work_order_from_process(faulty_claim.pk, {}, None)
    assert again == work_order
    assert handlers.TOPICS["work_order.open"]({"claim_id": faulty_claim.pk}) == {
        "work_order_id": work_order.pk
    }
    assert WorkOrder.objects.filter(claim=faulty_claim).count() == 1


def test_a_cancelled_work_order_makes_room_for_a_new_one(faulty_claim, work_order, staff):
    work_order_cancel(work_order=work_order, reason="wrong meter", actor=staff["service_manager"])
    fresh = work_order_from_process(faulty_claim.pk, {}, None)
    assert fresh != work_order and fresh.status == WorkOrderStatus.OPEN
    work_order.refresh_from_db()
    assert work_order.status == WorkOrderStatus.CANCELLED


# --- completing ------------------------------------------------------------------------------
def test_completion_swaps_the_meters_and_moves_the_claim_on(
    faulty_claim, work_order, complete_args, step, staff, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    old_meter = faulty_claim.meter
    crew = staff["emergency_crew"]
    done = work_order_complete(
        work_order=work_order, photos=[png(), png("seal.jpg", JPEG)], **complete_args()
    )

    assert done.status == WorkOrderStatus.DONE and done.completed_by == crew
    assert list(done.crew.all()) == [crew]
    new_meter = Meter.objects.get(serial="NEW-778899")
    assert done.new_meter == new_meter
    # the new meter takes the old one's make, model, size and class
    assert (new_meter.make, new_meter.size, new_meter.accuracy_class) == (
        old_meter.make,
        old_meter.size,
        old_meter.accuracy_class,
    )
    old = MeterInstallation.objects.get(meter=old_meter)
    assert old.removed_on == yesterday_at().date() and old.final_reading == Decimal("900.5")
    assert old.is_current is None
    new = MeterInstallation.objects.get(meter=new_meter)
    assert new.is_current and new.subscriber == faulty_claim.subscriber
    assert new.reason == InstallationReason.FAULT and new.initial_reading == 0
    old_meter.refresh_from_db()
    new_meter.refresh_from_db()
    assert old_meter.status == MeterStatus.FAULTY
    assert new_meter.status == MeterStatus.INSTALLED
    assert [p.content_type for p in WorkOrderPhoto.objects.filter(work_order=done)] == [
        "image/png",
        "image/jpeg",
    ]
    # the process moved on with the same data
    assert open_steps(faulty_claim) == ["Task_correction"]
    task = ProcessTask.objects.get(instance__claim=faulty_claim, element_id="Task_replace")
    assert task.completed_by == crew
    assert task.data["new_serial"] == "NEW-778899" and task.data["old_final_reading"] == 900.5
    step(
        faulty_claim,
        "Task_correction",
        "billing_officer",
        correction_rial="-2400000",
        correction_method="scaled",
    )
    faulty_claim.refresh_from_db()
    assert faulty_claim.outcome == "faulty"
    assert faulty_claim.findings["new_serial"] == "NEW-778899"


def test_a_meter_in_stock_is_installed_as_it_is(work_order, complete_args, make_meter):
    spare = make_meter("SPARE-1", make="Elster", size="G6")
    done = work_order_complete(work_order=work_order, **complete_args(new_serial="SPARE-1"))
    assert done.new_meter == spare
    spare.refresh_from_db()
    assert spare.status == MeterStatus.INSTALLED and spare.make == "Elster"


# --- refusals: nothing written ---------------------------------------------------------------
def _snapshot(claim):
    return {
        "meters": list(Meter.objects.order_by("pk").values_list("serial", "status")),
        "installations": list(
            MeterInstallation.objects.order_by("pk").values_list(
                "meter_id", "removed_on", "final_reading", "is_current"
            )
        ),
        "orders": list(WorkOrder.objects.values_list("status", "new_meter_id", "done_at")),
        "photos": WorkOrderPhoto.objects.count(),
        "steps": open_steps(claim),
        "tasks": list(ProcessTask.objects.order_by("pk").values_list("completed_at", flat=True)),
        "events": DocumentEvent.objects.count(),
    }


@pytest.fixture
def other_installed_serial(make_subscriber, make_meter):
    meter = make_meter("BUSY-1")
    meter_install(
        subscriber=make_subscriber(),
        meter=meter,
        installed_on=datetime.date(2023, 1, 1),
        initial_reading=Decimal("0"),
    )
    return meter.serial


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        (
            {"old_final_reading": Decimal("849.999")},
            "old_final_reading",
            "final_below_claim_reading",
        ),
        ({"new_serial": "BUSY-1"}, "new_serial", "new_meter_installed"),
        ({"new_serial": "x"}, "new_serial", "serial"),
        ({"new_serial": "{old}"}, "new_serial", "same_meter"),
        ({"old_serial_seen": "OTHER-9"}, "old_serial_seen", "old_serial_mismatch"),
        ({"new_size": "G7"}, "new_size", "invalid_choice"),
        ({"done_at": "future"}, "done_at", "done_in_future"),
        ({"photos": [png("x.png", b"GIF89a" + b"\x00" * 20)]}, "photos", "photo_wrong_type"),
        (
            {"photos": [png("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)]},
            "photos",
            "photo_too_large",
        ),
        ({"crew": "technician"}, "crew", "crew_role"),
    ],
)
def test_bad_input_is_refused_per_field_and_writes_nothing(
    faulty_claim,
    work_order,
    complete_args,
    other_installed_serial,
    staff,
    settings,
    tmp_path,
    overrides,
    field,
    code,
):
    settings.MEDIA_ROOT = tmp_path
    settings.METER_SERVICE = {**settings.METER_SERVICE, "WORK_ORDER_PHOTO_MAX_BYTES": 100}
    if overrides.get("new_serial") == "{old}":
        overrides["new_serial"] = faulty_claim.meter.serial
    if overrides.get("done_at") == "future":
        overrides["done_at"] = timezone.now() + datetime.timedelta(hours=2)
    if overrides.get("crew") == "technician":
        overrides["crew"] = [staff["technician"]]
    before = _snapshot(faulty_claim)
    with pytest.raises(ValidationError) as error:
        work_order_complete(work_order=work_order, **complete_args(**overrides))
    assert field in error.value.error_dict
    assert code in [e.code for e in error.value.error_dict[field]]
    assert _snapshot(faulty_claim) == before
    assert list(tmp_path.iterdir()) == []  # no photo file either


def test_the_final_reading_cannot_be_below_the_installations_initial_one(
    faulty_claim, work_order, complete_args
):
    # A claim's reading is checked against the installation's at filing; a reading typed
    # at the replacement is checked against both.
    installation = MeterInstallation.objects.get(meter=faulty_claim.meter)
    MeterInstallation.objects.filter(pk=installation.pk).update(initial_reading=Decimal("950"))
    with pytest.raises(ValidationError) as error:
        work_order_complete(work_order=work_order, **complete_args())
    assert [e.code for e in error.value.error_dict["old_final_reading"]] == ["final_below_initial"]


def test_only_the_crew_completes_and_nothing_is_written(
    faulty_claim, work_order, complete_args, staff
):
    before = _snapshot(faulty_claim)
    for role in ("technician", "billing_officer", "service_manager"):
        with pytest.raises(PermissionDenied):
            work_order_complete(work_order=work_order, **complete_args(actor=staff[role]))
    assert _snapshot(faulty_claim) == before


def test_a_done_work_order_is_not_completed_twice(work_order, complete_args):
    work_order_complete(work_order=work_order, **complete_args())
    with pytest.raises(ValidationError) as error:
        work_order_complete(work_order=work_order, **complete_args(new_serial="NEW-2"))
    assert error.value.code == "work_order_not_open"
    assert not Meter.objects.filter(serial="NEW-2").exists()


def test_planning_names_the_crew_and_the_day(work_order, staff):
    crew = staff["emergency_crew"]
    day = timezone.localdate() + datetime.timedelta(days=1)
    work_order_update(
        work_order=work_order, actor=crew, crew=[crew], scheduled_for=day, crew_names="رضا"
    )
    work_order.refresh_from_db()
    assert work_order.scheduled_for == day and list(work_order.crew.all()) == [crew]
    with pytest.raises(ValidationError):
        work_order_update(work_order=work_order, actor=crew, crew=[staff["technician"]])
    assert list(work_order.crew.all()) == [crew]
