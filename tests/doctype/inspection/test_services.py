"""Recording a test: refusals write nothing; a recorded test moves the claim's process on."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.meter_service.doctype.claim.models import ClaimStatus
from apps.meter_service.doctype.inspection.models import Inspection, InspectionPhoto, TestPoint
from apps.meter_service.doctype.inspection.services import (
    inspection_no_access,
    inspection_process_data,
)
from apps.meter_service.engine.models import ProcessTask
from tests.portal.conftest import png_bytes

from .conftest import HIGH_FLOW, LOW_FLOW, open_steps, point

pytestmark = pytest.mark.django_db


def _nothing_written(claim) -> None:
    assert Inspection.objects.count() == 0
    assert TestPoint.objects.count() == 0
    assert InspectionPhoto.objects.count() == 0
    assert open_steps(claim) == ["Task_test"]


def _task_test_data(claim) -> dict:
    return ProcessTask.objects.get(instance__claim=claim, element_id="Task_test").data


def test_within_tolerance_closes_the_claim_with_no_fault(at_test, record):
    inspection = record(at_test, [point(HIGH_FLOW, 100, "101.5"), point(LOW_FLOW, 10, "9.8")])

    assert inspection.verdict == "within_tolerance"
    assert (inspection.error_percent, inspection.mpe, inspection.band) == (
        Decimal("1.50"),
        Decimal("1.50"),
        "high",
    )
    assert inspection.mean_error_percent == Decimal("-0.25")
    assert [p.error_percent for p in inspection.points.all()] == [Decimal("1.50"), Decimal("-2.00")]
    at_test.refresh_from_db()
    assert at_test.status == ClaimStatus.CLOSED and at_test.outcome == "no_fault"
    assert at_test.findings["verdict"] == "within_tolerance"
    # The process kept the band's tolerance, not the class-wide setting (±3 %).
    assert at_test.findings["mpe"] == 1.5
    assert at_test.findings["error_percent"] == 1.5
    assert open_steps(at_test) == []
    assert _task_test_data(at_test)["inspection_id"] == inspection.pk


def test_a_fast_meter_goes_to_replacement(at_test, record):
    inspection = record(at_test, [point(HIGH_FLOW, 50, 52), point(LOW_FLOW, 10, 10)])
    assert inspection.verdict == "fast" and inspection.error_percent == Decimal("4.00")
    assert open_steps(at_test) == ["Task_replace"]
    data = _task_test_data(at_test)
    assert data["outcome"] == "tested" and data["mpe"] == 1.5 and data["error_percent"] == 4.0


def test_a_slow_meter_goes_to_replacement(at_test, record):
    inspection = record(at_test, [point(LOW_FLOW, 20, 19)])
    assert inspection.verdict == "slow" and inspection.mpe == Decimal("3.00")
    assert open_steps(at_test) == ["Task_replace"]


def test_2_percent_fast_at_high_flow_fails_though_the_class_setting_allows_3(at_test, record):
    """The old class-wide tolerance (±3 %) would have passed this meter."""
    inspection = record(at_test, [point(HIGH_FLOW, 50, 51)])
    assert inspection.verdict == "fast"
    assert open_steps(at_test) == ["Task_replace"]


def test_tampering_goes_to_the_damage_charge_without_points(at_test, record):
    inspection = record(at_test, [], equipment=None, seal_state="broken")
    assert inspection.verdict == "tampered" and inspection.tampered
    assert inspection.error_percent is None and inspection.mpe is None
    assert open_steps(at_test) == ["Task_tamper_charge"]


def test_a_stopped_meter_needs_no_points(at_test, record):
    inspection = record(at_test, [], equipment=None, register_fault=True)
    assert inspection.verdict == "stopped"
    assert _task_test_data(at_test)["stopped"] is True
    assert open_steps(at_test) == ["Task_replace"]


def test_process_data_of_a_test(at_test, record):
    inspection = record(at_test, [point(HIGH_FLOW, 100, 101)], notes="پلمب سالم")
    assert inspection_process_data(inspection) == {
        "outcome": "tested",
        "error_percent": 1.0,
        "stopped": False,
        "tampered": False,
        "notes": "پلمب سالم",
        "mpe": 1.5,
        "inspection_id": inspection.pk,
    }


def test_out_of_calibration_equipment_is_refused_and_nothing_written(
    at_test, record, overdue_prover
):
    with pytest.raises(ValidationError) as error:
        record(at_test, [point(HIGH_FLOW, 100, 101)], equipment=overdue_prover)
    [message] = error.value.message_dict["equipment"]
    assert "PP-OLD" in message
    assert error.value.error_dict["equipment"][0].code == "equipment_out_of_calibration"
    _nothing_written(at_test)


def test_calibration_counts_on_the_test_date(at_test, record, overdue_prover):
    """Equipment calibrated until yesterday was fine for a test done two days ago."""
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    inspection = record(
        at_test, [point(HIGH_FLOW, 100, 101)], equipment=overdue_prover, tested_at=two_days_ago
    )
    assert inspection.equipment == overdue_prover


def test_out_of_calibration_message_names_the_jalali_due_date(at_test, record, overdue_prover):
    from django.utils import translation

    from apps.meter_service.core.jalali import format_date

    with translation.override("fa"), pytest.raises(ValidationError) as error:
        record(at_test, [point(HIGH_FLOW, 100, 101)], equipment=overdue_prover)
    assert format_date(overdue_prover.calibration_due) in error.value.message_dict["equipment"][0]


def test_a_bench_is_not_a_field_prover(at_test, record, bench):
    with pytest.raises(ValidationError) as error:
        record(at_test, [point(HIGH_FLOW, 100, 101)], equipment=bench)
    assert error.value.error_dict["equipment"][0].code == "equipment_wrong_kind"
    _nothing_written(at_test)


def test_points_need_equipment(at_test, record):
    with pytest.raises(ValidationError) as error:
        record(at_test, [point(HIGH_FLOW, 100, 101)], equipment=None)
    assert error.value.error_dict["equipment"][0].code == "equipment_required"
    _nothing_written(at_test)


def test_no_points_refused_unless_stopped_or_tampered(at_test, record):
    with pytest.raises(ValidationError) as error:
        record(at_test, [])
    assert error.value.error_dict["points"][0].code == "points_required"
    _nothing_written(at_test)


@pytest.mark.parametrize("reference", ["0", "-1"])
def test_non_positive_reference_volume_is_refused(at_test, record, reference):
    with pytest.raises(ValidationError) as error:
        record(at_test, [point(HIGH_FLOW, 100, 101), point(LOW_FLOW, reference, 1)])
    [message] = error.value.message_dict["points"]
    assert message.startswith(("Point 2", "نقطه 2", "نقطهٔ 2")) or "۲" in message
    _nothing_written(at_test)


def test_a_claim_not_at_its_test_step_is_refused(paid_claim, record):
    with pytest.raises(ValidationError) as error:
        record(paid_claim, [point(HIGH_FLOW, 100, 101)])
    assert error.value.code == "not_at_test_step"
    assert Inspection.objects.count() == 0
    assert open_steps(paid_claim) == ["Task_schedule"]


def test_a_claim_tested_already_is_refused(at_test, record):
    record(at_test, [point(HIGH_FLOW, 100, 101)])
    with pytest.raises(ValidationError) as error:
        record(at_test, [point(HIGH_FLOW, 100, 101)])
    assert error.value.code == "not_at_test_step"
    assert Inspection.objects.count() == 1


def test_only_the_technicians_lane_records_a_test(at_test, record, staff):
    with pytest.raises(PermissionDenied):
        record(at_test, [point(HIGH_FLOW, 100, 101)], actor=staff["billing_officer"])
    _nothing_written(at_test)


def test_a_test_cannot_be_in_the_future(at_test, record):
    later = timezone.now() + datetime.timedelta(hours=2)
    with pytest.raises(ValidationError) as error:
        record(at_test, [point(HIGH_FLOW, 100, 101)], tested_at=later)
    assert "tested_at" in error.value.error_dict
    _nothing_written(at_test)


def test_a_serial_that_differs_is_recorded_as_such(at_test, record):
    inspection = record(at_test, [point(HIGH_FLOW, 100, 101)], serial_seen="XX-999")
    assert not inspection.serial_matches


def test_photos_are_kept(at_test, record, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    photo = SimpleUploadedFile("seal.png", png_bytes(), content_type="image/png")
    inspection = record(at_test, [point(HIGH_FLOW, 100, 101)], photos=[photo])
    [kept] = inspection.photos.all()
    assert kept.content_type == "image/png" and kept.image.name.endswith(".png")


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"%PDF-1.4 not a photo", "photo_wrong_type"), (png_bytes(padding=2048), "photo_too_large")],
)
def test_bad_photos_are_refused_and_nothing_written(
    at_test, record, settings, tmp_path, content, code
):
    settings.MEDIA_ROOT = tmp_path
    settings.METER_SERVICE = {**settings.METER_SERVICE, "INSPECTION_PHOTO_MAX_BYTES": 1024}
    photo = SimpleUploadedFile("x.png", content, content_type="image/png")
    with pytest.raises(ValidationError) as error:
        record(at_test, [point(HIGH_FLOW, 100, 101)], photos=[photo])
    assert error.value.error_dict["photos"][0].code == code
    _nothing_written(at_test)
    assert not list(tmp_path.rglob("*"))


def test_the_generic_test_form_uses_the_bands_high_flow_tolerance(at_test, step):
    """Without a recorded test, Task_tolerance reads IN_SERVICE_TOLERANCE_BANDS (Qt..Qmax)."""
    step(at_test, "Task_test", outcome="tested", error_percent="1.5")
    at_test.refresh_from_db()
    assert at_test.findings["mpe"] == 1.5 and at_test.outcome == "no_fault"


def test_no_access_sends_the_claim_to_the_subscriber(at_test, staff):
    inspection_no_access(claim=at_test, actor=staff["technician"], note="درب بسته بود")
    assert open_steps(at_test) == ["Task_access"]
    assert _task_test_data(at_test)["outcome"] == "no_access"
    assert Inspection.objects.count() == 0


def test_recording_sets_the_meters_last_test_date(at_test, record):
    record(at_test, [point(HIGH_FLOW, 100, 101)])
    at_test.meter.refresh_from_db()
    assert at_test.meter.last_test_date == timezone.localdate()
