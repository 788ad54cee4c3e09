"""Work orders in the desk: the crew's completion page from the inbox, the list, the meter's
service history, the claim page, and who may reach which page."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from apps.meter_service.core import tracking
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.meter.models import Meter, MeterInstallation
from apps.meter_service.doctype.work_order.models import WorkOrder, WorkOrderPhoto
from apps.meter_service.doctype.work_order.services import work_order_complete
from apps.meter_service.engine import task_pages
from apps.meter_service.permissions import Role

from .conftest import open_steps, open_task, png

pytestmark = pytest.mark.django_db

LIST = reverse("admin:meter_service_workorder_changelist")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _complete_url(order) -> str:
    return reverse("admin:meter_service_workorder_complete", args=[order.pk])


def _history_url(serial: str) -> str:
    return reverse("admin:meter_service_meter_service_history", args=[serial])


def _form(**overrides) -> dict:
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with translation.override("fa"):
        day = format_date(yesterday)  # Persian digits, as the date picker writes them
    data = {
        "done_on": day,
        "done_time": "۱۰:۳۰",
        "old_final_reading": "۹۰۰٫۵",
        "new_serial": "NEW-۱۲۳",
        "new_make": "Gaz Tajhiz",
        "new_model": "G4-R",
        "new_size": "G4",
        "new_accuracy_class": "1.5",
        "new_initial_reading": "۰",
        "seal_numbers": "S-۱",
    }
    data.update(overrides)
    return data


def test_the_inbox_opens_the_replacement_on_the_work_order(faulty_claim, work_order, staff):
    task = open_task(faulty_claim, "Task_replace")
    assert task_pages.page_for(task) == _complete_url(work_order)
    response = _client(staff["emergency_crew"]).get(
        reverse("admin:meter_service_processtask_change", args=[task.pk])
    )
    assert response.status_code == 302 and response.url == _complete_url(work_order)
    # another lane still gets no page for it
    other = _client(staff["technician"]).get(
        reverse("admin:meter_service_processtask_change", args=[task.pk])
    )
    assert other.status_code == 404


def test_other_steps_keep_the_generic_form(paid_claim):
    assert task_pages.page_for(open_task(paid_claim, "Task_schedule")) is None


def test_the_crew_records_the_replacement_in_persian_digits(
    faulty_claim, work_order, staff, files_backend
):
    client = _client(staff["emergency_crew"])
    page = client.get(_complete_url(work_order))
    assert page.status_code == 200
    assert page.context["form"]["new_make"].value() == faulty_claim.meter.make
    data = _form(crew=[staff["emergency_crew"].pk], photos=[png()])
    response = client.post(_complete_url(work_order), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    work_order.refresh_from_db()
    assert work_order.status == "done" and work_order.new_meter.serial == "NEW-123"
    assert str(work_order.old_final_reading) == "900.500"
    assert work_order.seal_numbers == "S-1"
    assert WorkOrderPhoto.objects.filter(work_order=work_order).count() == 1
    assert open_steps(faulty_claim) == ["Task_correction"]
    # the photo is served to staff from the work order's page
    photo = WorkOrderPhoto.objects.get(work_order=work_order)
    url = reverse("admin:meter_service_workorder_photo", args=[work_order.pk, photo.pk])
    served = _client(staff["billing_officer"]).get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")
    if files_backend:  # the photo is an object in the bucket
        assert files_backend.body(photo.image.name).startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"old_final_reading": "۸۰۰"}, "old_final_reading"),
        ({"new_serial": "{old}"}, "new_serial"),
        ({"done_on": "1405/13/40"}, "done_on"),
        ({"new_initial_reading": "-1"}, "new_initial_reading"),
        ({"photos": "gif"}, "photos"),
        ({"photos": "big"}, "photos"),
    ],
)
def test_bad_input_shows_under_its_field_and_writes_nothing(
    faulty_claim, work_order, staff, settings, tmp_path, overrides, field
):
    settings.MEDIA_ROOT = tmp_path
    settings.METER_SERVICE = {**settings.METER_SERVICE, "WORK_ORDER_PHOTO_MAX_BYTES": 100}
    if overrides.get("new_serial") == "{old}":
        overrides["new_serial"] = faulty_claim.meter.serial
    if overrides.get("photos") == "gif":
        overrides["photos"] = [png("meter.png", b"GIF89a" + b"\x00" * 20)]
    if overrides.get("photos") == "big":
        overrides["photos"] = [png("meter.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 500)]
    meters, installations = Meter.objects.count(), MeterInstallation.objects.count()
    response = _client(staff["emergency_crew"]).post(_complete_url(work_order), _form(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert f'id="id_{field}"' in response.content.decode()
    work_order.refresh_from_db()
    assert work_order.status == "open"
    assert (Meter.objects.count(), MeterInstallation.objects.count()) == (meters, installations)
    assert WorkOrderPhoto.objects.count() == 0 and list(tmp_path.iterdir()) == []
    assert open_steps(faulty_claim) == ["Task_replace"]


def _replaced(work_order, staff):
    return work_order_complete(
        work_order=work_order,
        done_at=timezone.now() - datetime.timedelta(hours=1),
        old_final_reading=900,
        new_serial="NEW-55",
        new_initial_reading=0,
        actor=staff["emergency_crew"],
    )


def test_the_history_lists_installations_claims_and_work_orders(faulty_claim, work_order, staff):
    _replaced(work_order, staff)
    client = _client(staff["service_manager"])
    old = client.get(_history_url(faulty_claim.meter.serial))
    assert old.status_code == 200
    keys = [s.key for s in old.context["sections"]]
    assert keys == ["installations", "claims", "work_orders"]
    text = old.content.decode()
    assert tracking.display(faulty_claim.tracking_code) in text
    assert faulty_claim.subscriber.subscription_number in text
    assert f"WO-{work_order.pk}" in text and "NEW-55" in text
    # the new meter's page shows the same replacement and its own installation
    new = client.get(_history_url("NEW-55"))
    assert new.status_code == 200 and f"WO-{work_order.pk}" in new.content.decode()
    assert client.get(_history_url("NO-SUCH-1")).status_code == 404
    # reached from the meter's page
    meter_page = reverse(
        "admin:meter_service_meter_service_history_action", args=[faulty_claim.meter.pk]
    )
    assert client.get(meter_page).url == _history_url(faulty_claim.meter.serial)


def test_the_claim_page_shows_the_replacement(faulty_claim, work_order, staff):
    _replaced(work_order, staff)
    page = _client(staff["service_desk_clerk"]).get(
        reverse("admin:meter_service_claim_change", args=[faulty_claim.pk])
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert f"WO-{work_order.pk}" in text and "NEW-55" in text
    assert _history_url(faulty_claim.meter.serial) in text


def test_the_crew_plans_an_open_work_order(work_order, staff):
    crew = staff["emergency_crew"]
    url = reverse("admin:meter_service_workorder_change", args=[work_order.pk])
    response = _client(crew).post(
        url,
        {"scheduled_for": "۱۴۰۵/۰۹/۱۲", "crew": [crew.pk], "crew_names": "", "notes": "کلید"},
    )
    assert response.status_code == 302
    work_order.refresh_from_db()
    assert str(work_order.scheduled_for) == "2026-12-03"
    assert list(work_order.crew.all()) == [crew] and work_order.notes == "کلید"


# --- the permission matrix -------------------------------------------------------------------
STAFF_VIEW = [
    Role.SERVICE_DESK_CLERK,
    Role.TECHNICIAN,
    Role.BILLING_OFFICER,
    Role.COMPLAINTS_OFFICER,
    Role.SERVICE_MANAGER,
    Role.SYSTEM_ADMIN,
]


@pytest.mark.parametrize("role", [Role.EMERGENCY_CREW, *STAFF_VIEW])
def test_crew_and_staff_see_work_orders_only_the_crew_completes(work_order, make_user, role):
    client = _client(make_user(role))
    assert client.get(LIST).status_code == 200
    change = reverse("admin:meter_service_workorder_change", args=[work_order.pk])
    assert client.get(change).status_code == 200
    assert client.get(_history_url(work_order.meter.serial)).status_code == 200
    complete = client.get(_complete_url(work_order)).status_code
    assert complete == (200 if role == Role.EMERGENCY_CREW else 403)
    assert client.get(reverse("admin:meter_service_workorder_add")).status_code == 403


@pytest.mark.parametrize(
    "role", [Role.SUBSCRIBER, Role.COUNTER_OFFICE_OPERATOR, Role.AGENCY_CLIENT]
)
def test_subscribers_offices_and_agencies_never_reach_work_orders(work_order, make_user, role):
    client = _client(make_user(role, is_staff=True))
    login = reverse("admin:login")
    photo_url = reverse("admin:meter_service_workorder_photo", args=[work_order.pk, 1])
    for url in (
        LIST,
        reverse("admin:meter_service_workorder_change", args=[work_order.pk]),
        _complete_url(work_order),
        _history_url(work_order.meter.serial),
        photo_url,
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(login), url
    assert WorkOrder.objects.get(pk=work_order.pk).status == "open"


def test_the_crews_page_shows_the_contact_mobile_masked(faulty_claim, work_order, staff):
    """The crew work from the address; the contact mobile is shown masked, with the control
    to show it in full (recorded), not in full to every crew member who opens the page."""
    from apps.meter_service import privacy
    from apps.meter_service.core.identifiers import normalize_digits

    page = _client(staff["emergency_crew"]).get(_complete_url(work_order))
    text = normalize_digits(page.content.decode())
    assert faulty_claim.contact_mobile not in text
    assert privacy.mask_mobile(faulty_claim.contact_mobile) in text
    reveal = reverse("admin:meter_service_claim_reveal", args=[faulty_claim.pk, "contact_mobile"])
    assert reveal in text
