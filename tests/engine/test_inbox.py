"""The desk's task inbox and task pages, and the subscriber's step in the portal."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.meter_service.doctype.claim.services import claim_mark_paid
from apps.meter_service.doctype.otp.services import portal_user_for
from apps.meter_service.engine import services
from apps.meter_service.engine.models import ProcessTask

from .conftest import SCHEDULE, open_steps, open_task

pytestmark = pytest.mark.django_db

INBOX = reverse("admin:meter_service_processtask_changelist")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _task_url(task) -> str:
    return reverse("admin:meter_service_processtask_change", args=[task.pk])


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("technician", True),
        ("billing_officer", False),
        ("emergency_crew", False),
        ("service_manager", False),
        ("service_desk_clerk", False),
    ],
)
def test_the_inbox_lists_the_steps_of_the_users_lanes(paid_claim, make_user, role, sees):
    response = _client(make_user(role)).get(INBOX)
    assert response.status_code == 200
    listed = [task.instance.claim_id for task in response.context["cl"].result_list]
    assert listed == ([paid_claim.pk] if sees else [])


@pytest.mark.parametrize("role", ["complaints_officer", "system_admin"])
def test_roles_without_a_lane_have_no_inbox(make_user, role, paid_claim):
    assert _client(make_user(role)).get(INBOX).status_code == 403


def test_a_technician_completes_the_schedule_from_the_task_page(paid_claim, staff):
    task = open_task(paid_claim, "Task_schedule")
    client = _client(staff["technician"])
    page = client.get(_task_url(task))
    assert page.status_code == 200
    assert 'name="visit_date"' in page.content.decode()
    response = client.post(_task_url(task), {**SCHEDULE, "visit_date": "۱۴۰۵/۰۹/۱۰"})
    assert response.status_code == 302 and response.url == INBOX
    assert open_steps(paid_claim) == ["Task_test"]
    done = ProcessTask.objects.get(pk=task.pk)
    assert done.completed_by == staff["technician"]
    # the done step shows who did it, without a form to send again
    again = client.get(_task_url(task)).content.decode()
    assert 'id="task-closed"' in again and staff["technician"].username in again
    assert 'name="visit_date"' not in again


def test_bad_data_redisplays_the_form_with_errors(paid_claim, staff):
    task = open_task(paid_claim, "Task_schedule")
    response = _client(staff["technician"]).post(_task_url(task), {"test_type": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert open_steps(paid_claim) == ["Task_schedule"]


def test_another_lanes_task_page_is_not_found(paid_claim, staff):
    task = open_task(paid_claim, "Task_schedule")
    client = _client(staff["billing_officer"])
    assert client.get(_task_url(task)).status_code == 404
    assert client.post(_task_url(task), SCHEDULE).status_code == 404
    assert open_steps(paid_claim) == ["Task_schedule"]


def test_done_by_me_lists_what_the_user_completed(paid_claim, step, staff):
    step(paid_claim, "Task_schedule", **SCHEDULE)
    response = _client(staff["technician"]).get(INBOX, {"show": "done"})
    assert list(response.context["cl"].result_list) == list(
        ProcessTask.objects.filter(element_id="Task_schedule")
    )


def _no_access(claim, step):
    step(claim, "Task_schedule", **SCHEDULE)
    step(claim, "Task_test", outcome="no_access")


def test_the_subscriber_gives_access_in_the_portal(paid_claim, step):
    _no_access(paid_claim, step)
    client = _client(portal_user_for(paid_claim.subscriber))
    page = client.get(reverse("portal:claim_detail", args=[paid_claim.tracking_code]))
    assert 'id="step-Task_access"' in page.content.decode()
    task = open_task(paid_claim, "Task_access")
    url = reverse("portal:claim_step", args=[paid_claim.tracking_code, task.task_id])
    bad = client.post(url, {"available_from": "not a date"})
    assert bad.status_code == 400 and open_steps(paid_claim) == ["Task_access"]
    good = client.post(url, {"available_from": "۱۴۰۵/۰۹/۲۰", "access_note": "زنگ دوم"})
    assert good.status_code == 302
    assert open_steps(paid_claim) == ["Task_schedule"]


def test_another_subscriber_cannot_reach_the_step(paid_claim, step, make_subscriber):
    _no_access(paid_claim, step)
    task = open_task(paid_claim, "Task_access")
    stranger = _client(portal_user_for(make_subscriber()))
    url = reverse("portal:claim_step", args=[paid_claim.tracking_code, task.task_id])
    assert stranger.post(url, {"available_from": "1405/09/20"}).status_code == 404
    assert open_steps(paid_claim) == ["Task_access"]


def test_the_claim_page_shows_open_steps_history_and_service_level(paid_claim, step, staff):
    step(paid_claim, "Task_schedule", **SCHEDULE)
    url = reverse("admin:meter_service_claim_change", args=[paid_claim.pk])
    task = open_task(paid_claim, "Task_test")
    as_technician = _client(staff["technician"]).get(url).content.decode()
    assert _task_url(task) in as_technician  # the technician's own step is a link
    as_billing = _client(staff["billing_officer"]).get(url).content.decode()
    assert _task_url(task) not in as_billing  # others see it without one
    assert "meter-sla-on_track" in as_billing
    # the history names the step done, by whom, and the step that followed
    assert staff["technician"].username in as_billing or staff["technician"].get_full_name()
    # with the values given, labelled from the step's form: its Persian labels and choices
    # and the date in the Jalali calendar
    schedule = {f["key"]: f for f in services.workflow_forms()["Task_schedule"]["components"]}
    visit_time = schedule["visit_time"]["properties"]
    assert f"{visit_time['label_fa']}: {visit_time['label_fa:morning']}" in as_billing
    assert f"{schedule['visit_date']['properties']['label_fa']}: ۱۴۰۵/۰۹/۱۰" in as_billing


# --- a form designed as a schema ------------------------------------------------------------
@pytest.fixture
def designed_claim(make_claim):
    """A paid claim on a version whose schedule form asks for a gate code too."""
    bpmn, dmn = services.workflow_files()
    forms = services.workflow_forms()
    forms["Task_schedule"]["components"].append(
        {
            "type": "textfield",
            "key": "gate_code",
            "label": "Gate code",
            "validate": {"required": True, "pattern": "[0-9]{4}"},
            "properties": {"label_fa": "رمز در ورودی"},
        }
    )
    version = services.process_version_create(bpmn=bpmn, dmn_files=dmn, forms=forms)
    services.process_version_activate(version=version)
    claim = claim_mark_paid(claim=make_claim(), reference="test-payment")
    assert claim.process.version == version
    return claim


def test_the_desk_renders_and_checks_a_designed_form(designed_claim, staff):
    task = open_task(designed_claim, "Task_schedule")
    client = _client(staff["technician"])
    page = client.get(_task_url(task)).content.decode()
    assert 'name="gate_code"' in page and "رمز در ورودی" in page

    wrong = client.post(_task_url(task), {**SCHEDULE, "gate_code": "12a4"})
    assert wrong.status_code == 200 and set(wrong.context["form"].errors) == {"gate_code"}
    forged = client.post(_task_url(task), {**SCHEDULE, "gate_code": "1234", "is_admin": "1"})
    assert forged.status_code == 200
    assert "is_admin" in " ".join(forged.context["form"].non_field_errors())
    assert open_steps(designed_claim) == ["Task_schedule"]

    done = client.post(_task_url(task), {**SCHEDULE, "gate_code": "۱۲۳۴"})
    assert done.status_code == 302 and open_steps(designed_claim) == ["Task_test"]
    assert ProcessTask.objects.get(pk=task.pk).data["gate_code"] == "1234"
