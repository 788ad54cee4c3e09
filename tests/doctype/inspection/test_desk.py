"""The desk: the inbox sends Task_test to the record page; the page, the lists, the matrix."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.inspection.models import Inspection, TestPoint
from apps.meter_service.doctype.meter.models import AccuracyClass
from apps.meter_service.permissions import Role
from tests.portal.conftest import png_bytes

from .conftest import HIGH_FLOW, open_steps, open_task, point

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _record_url(claim) -> str:
    return reverse("admin:meter_service_inspection_record", args=[claim.pk])


def _form(claim, equipment, points=(), **overrides) -> dict:
    """The record page's POST: the findings, and the points formset (Persian digits)."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with translation.override("fa"):
        tested_on = format_date(yesterday)  # Jalali, Persian digits
    data = {
        "test_type": "field",
        "equipment": str(equipment.pk) if equipment else "",
        "tested_on": tested_on,
        "tested_time": "۱۰:۳۰",
        "serial_seen": claim.meter.serial,
        "seal_state": "intact",
        "notes": "",
        "points-TOTAL_FORMS": "3",
        "points-INITIAL_FORMS": "0",
        "points-MIN_NUM_FORMS": "0",
        "points-MAX_NUM_FORMS": "12",
        "_record": "1",
    }
    for index, values in enumerate(points):
        for name, value in values.items():
            data[f"points-{index}-{name}"] = value
    data.update(overrides)
    return data


def test_the_inbox_opens_the_test_step_on_the_record_page(at_test, staff):
    task = open_task(at_test, "Task_test")
    response = _client(staff["technician"]).get(
        reverse("admin:meter_service_processtask_change", args=[task.pk])
    )
    assert response.status_code == 302 and response.url == _record_url(at_test)


def test_the_record_page_shows_the_form_and_the_meters_flows(at_test, staff, prover):
    response = _client(staff["technician"]).get(_record_url(at_test))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="points-0-flow_rate_m3h"' in page and 'name="serial_seen"' in page
    assert 'id="meter-flows"' in page and "PP-01" in page


def test_recording_with_persian_digits(at_test, staff, prover, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    points = [
        {"flow_rate_m3h": "۶", "reference_volume_m3": "۱۰۰", "meter_volume_m3": "۱۰۴"},
        {"flow_rate_m3h": "۰٫۴", "reference_volume_m3": "۱۰", "meter_volume_m3": "۹٫۸"},
    ]
    data = _form(at_test, prover, points, **{"points-0-temperature_c": "۱۸٫۵"})
    data["photos"] = [SimpleUploadedFile("meter.png", png_bytes(), content_type="image/png")]
    response = _client(staff["technician"]).post(_record_url(at_test), data)

    inspection = Inspection.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:meter_service_inspection_change", args=[inspection.pk])
    assert inspection.verdict == "fast" and str(inspection.error_percent) == "4.00"
    assert inspection.tested_at.date() <= timezone.localdate()
    assert [str(p.error_percent) for p in inspection.points.all()] == ["4.00", "-2.00"]
    assert str(inspection.points.first().temperature_c) == "18.5"
    assert inspection.photos.count() == 1
    assert inspection.technician == staff["technician"]
    assert open_steps(at_test) == ["Task_replace"]


def test_a_bad_point_shows_on_its_row_and_nothing_is_written(at_test, staff, prover):
    points = [
        {"flow_rate_m3h": "۶", "reference_volume_m3": "۱۰۰", "meter_volume_m3": "۱۰۱"},
        {"flow_rate_m3h": "۹", "reference_volume_m3": "۰", "meter_volume_m3": "۱"},
    ]
    response = _client(staff["technician"]).post(
        _record_url(at_test), _form(at_test, prover, points)
    )
    assert response.status_code == 200
    formset = response.context["formset"]
    assert not formset.forms[0].errors
    assert set(formset.forms[1].errors) == {"flow_rate_m3h", "reference_volume_m3"}
    assert Inspection.objects.count() == 0 and TestPoint.objects.count() == 0
    assert open_steps(at_test) == ["Task_test"]


def test_errors_of_the_findings_show_on_their_fields(at_test, staff, prover):
    response = _client(staff["technician"]).post(
        _record_url(at_test), _form(at_test, prover, [], tested_on="۱۴۰۵/۱۳/۴۰", seal_state="")
    )
    assert response.status_code == 200
    assert {"tested_on", "seal_state"} <= set(response.context["form"].errors)
    assert Inspection.objects.count() == 0


def test_out_of_calibration_equipment_is_refused_on_the_page(at_test, staff, overdue_prover):
    overdue_prover.calibration_due = timezone.localdate() - datetime.timedelta(days=3)
    overdue_prover.save(update_fields=["calibration_due"])
    points = [{"flow_rate_m3h": "6", "reference_volume_m3": "100", "meter_volume_m3": "101"}]
    response = _client(staff["technician"]).post(
        _record_url(at_test), _form(at_test, overdue_prover, points)
    )
    assert response.status_code == 200
    [message] = response.context["form"].errors["equipment"]
    assert "PP-OLD" in message
    assert Inspection.objects.count() == 0 and open_steps(at_test) == ["Task_test"]


def test_no_access_from_the_record_page(at_test, staff):
    response = _client(staff["technician"]).post(
        _record_url(at_test), {"_no_access": "1", "notes": "کسی در منزل نبود"}
    )
    assert response.status_code == 302
    assert open_steps(at_test) == ["Task_access"]
    assert Inspection.objects.count() == 0


def test_a_claim_not_at_its_test_goes_back_to_the_claim_page(paid_claim, staff):
    response = _client(staff["technician"]).get(_record_url(paid_claim))
    assert response.status_code == 302
    assert response.url == reverse("admin:meter_service_claim_change", args=[paid_claim.pk])


def test_the_claim_page_lists_its_tests_with_the_verdict(at_test, record, staff):
    inspection = record(at_test, [point(HIGH_FLOW, 50, 52)])
    url = reverse("admin:meter_service_claim_change", args=[at_test.pk])
    with translation.override("en"):
        page = _client(staff["billing_officer"]).get(url, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert reverse("admin:meter_service_inspection_change", args=[inspection.pk]) in html
    assert reverse("admin:meter_service_inspection_report", args=[inspection.pk]) in html
    assert str(inspection.get_verdict_display()) in html or "تند" in html


def test_the_meters_history_lists_its_tests(at_test, record, staff):
    history = reverse("admin:meter_service_meter_service_history", args=[at_test.meter.serial])
    client = _client(staff["service_manager"])
    before = client.get(history)
    assert "inspections" not in [s.key for s in before.context["sections"]]
    inspection = record(at_test, [point(HIGH_FLOW, 50, 52)])
    after = client.get(history)
    keys = [s.key for s in after.context["sections"]]
    assert keys.index("claims") < keys.index("inspections")
    html = after.content.decode()
    assert reverse("admin:meter_service_inspection_change", args=[inspection.pk]) in html
    # 52 m³ registered for 50 m³ passed; Persian decimal mark and percent sign, not "4.00 %".
    assert to_persian_digits("+4٫00٪") in html


def test_the_test_page_shows_points_and_results_read_only(at_test, record, staff):
    inspection = record(at_test, [point(HIGH_FLOW, 50, 52, temperature_c=Decimal("15.7"))])
    url = reverse("admin:meter_service_inspection_change", args=[inspection.pk])
    client = _client(staff["service_manager"])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    # Persian decimal mark and percent sign throughout: the results, the point's title and the
    # temperature that Django itself formats (it used "." and "%": "15.7", "4.00 %").
    assert to_persian_digits("+4٫00٪") in html
    # each point's row title: Persian units and digits, not "6.000 m³/h: 4.00 %"
    assert "۶ مترمکعب بر ساعت: خطای " + to_persian_digits("+4٫00٪") in html
    assert "m³/h:" not in html
    assert "۱۵٫۷" in html and "15.7" not in html and "15٫7" not in html
    # The class as the meter's pages name it, not the stored code "1.5".
    with translation.override("fa"):
        assert str(AccuracyClass(inspection.accuracy_class).label) in html
    assert client.post(url, {"verdict": "within_tolerance"}).status_code == 403
    inspection.refresh_from_db()
    assert inspection.verdict == "fast"


def test_the_desk_serves_the_report_and_the_photos(at_test, record, staff, files_backend):
    photo = SimpleUploadedFile("seal.png", png_bytes(), content_type="image/png")
    inspection = record(at_test, [point(HIGH_FLOW, 100, 101)], photos=[photo])
    client = _client(staff["service_desk_clerk"])
    report = client.get(reverse("admin:meter_service_inspection_report", args=[inspection.pk]))
    assert report.status_code == 200 and report.content.startswith(b"%PDF")
    kept = inspection.photos.get()
    served = client.get(
        reverse("admin:meter_service_inspection_photo", args=[inspection.pk, kept.pk])
    )
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == png_bytes()
    if files_backend:  # the photo is an object in the bucket
        assert files_backend.body(kept.image.name) == png_bytes()


def test_the_equipment_list_highlights_overdue_calibration(staff, prover, overdue_prover):
    response = _client(staff["service_manager"]).get(
        reverse("admin:meter_service_testequipment_changelist")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "PP-OLD" in html and "PP-01" in html
    cells = [cell.split("</td>")[0] for cell in html.split('class="field-calibration')[1:]]
    red = [("bg-red-100" in cell) for cell in cells]
    assert sorted(red) == [False, True]  # the overdue one only


def test_equipment_is_added_with_a_jalali_date(staff):
    from apps.meter_service.doctype.inspection.models import TestEquipment

    response = _client(staff["service_manager"]).post(
        reverse("admin:meter_service_testequipment_add"),
        {
            "kind": "lab_bench",
            "identifier": "LB-۰۹",
            "make": "Elster",
            "model": "",
            "calibration_due": "۱۴۰۶/۰۱/۱۵",
            "active": "on",
        },
    )
    assert response.status_code == 302
    equipment = TestEquipment.objects.get()
    assert equipment.calibration_due == datetime.date(2027, 4, 4)


# --- the permission matrix of the new desk pages ---------------------------------------------
DESK_ROLES = [
    Role.SERVICE_DESK_CLERK,
    Role.TECHNICIAN,
    Role.EMERGENCY_CREW,
    Role.BILLING_OFFICER,
    Role.COMPLAINTS_OFFICER,
    Role.SERVICE_MANAGER,
    Role.SYSTEM_ADMIN,
]
# role: (test list and page, equipment list, equipment add, record page)
MATRIX = {
    Role.SERVICE_DESK_CLERK: (200, 403, 403, 403),
    Role.TECHNICIAN: (200, 200, 403, 200),
    Role.EMERGENCY_CREW: (200, 403, 403, 403),
    Role.BILLING_OFFICER: (200, 403, 403, 403),
    Role.COMPLAINTS_OFFICER: (200, 403, 403, 403),
    Role.SERVICE_MANAGER: (200, 200, 200, 403),
    Role.SYSTEM_ADMIN: (200, 200, 200, 403),
}


@pytest.fixture
def tested_and_waiting(
    make_claim, make_user, installed, make_subscriber, make_meter, record, at_test
):
    """One tested claim (its test's page) and one waiting at its test (the record page)."""
    from apps.meter_service.doctype.claim.services import claim_mark_paid
    from apps.meter_service.doctype.meter.services import meter_install
    from apps.meter_service.engine.services import process_complete_task

    from .conftest import SCHEDULE

    inspection = record(at_test, [point(HIGH_FLOW, 100, 101)])
    other = meter_install(
        subscriber=make_subscriber(),
        meter=make_meter(),
        installed_on=datetime.date(2022, 3, 21),
        initial_reading=100,
    )
    waiting = claim_mark_paid(claim=make_claim(installation=other), reference="t")
    task = open_task(waiting, "Task_schedule")
    process_complete_task(task_id=task.task_id, user=make_user("technician"), data=SCHEDULE)
    return inspection, waiting


@pytest.mark.parametrize("role", DESK_ROLES)
def test_desk_role_matrix_of_the_test_pages(client, make_user, tested_and_waiting, role):
    inspection, waiting = tested_and_waiting
    client.force_login(make_user(role))
    tests_code, equipment_code, equipment_add_code, record_code = MATRIX[role]
    urls = {
        "tests": reverse("admin:meter_service_inspection_changelist"),
        "test": reverse("admin:meter_service_inspection_change", args=[inspection.pk]),
        "report": reverse("admin:meter_service_inspection_report", args=[inspection.pk]),
        "equipment": reverse("admin:meter_service_testequipment_changelist"),
        "equipment_add": reverse("admin:meter_service_testequipment_add"),
        "record": _record_url(waiting),
    }
    expected = {
        "tests": tests_code,
        "test": tests_code,
        "report": tests_code,
        "equipment": equipment_code,
        "equipment_add": equipment_add_code,
        "record": record_code,
    }
    got = {name: client.get(url).status_code for name, url in urls.items()}
    assert got == expected
    # Tests are written by the record page only, never added in the desk.
    assert client.get(reverse("admin:meter_service_inspection_add")).status_code == 403


@pytest.mark.parametrize("role", [Role.SUBSCRIBER, Role.COUNTER_OFFICE_OPERATOR])
def test_outside_roles_never_reach_the_test_pages(client, make_user, tested_and_waiting, role):
    inspection, waiting = tested_and_waiting
    client.force_login(make_user(role, is_staff=True))
    for url in (
        reverse("admin:meter_service_inspection_changelist"),
        reverse("admin:meter_service_inspection_report", args=[inspection.pk]),
        reverse("admin:meter_service_testequipment_changelist"),
        _record_url(waiting),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
