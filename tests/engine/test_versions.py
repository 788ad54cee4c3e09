"""Versions of the process: upload and compare in the desk, activate, move running claims."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from apps.meter_service.doctype.claim.services import claim_cancel, claim_mark_paid
from apps.meter_service.doctype.meter.services import meter_install
from apps.meter_service.engine import services, versions
from apps.meter_service.engine.models import (
    InstanceStatus,
    ProcessTask,
    ProcessVersion,
)
from apps.meter_service.permissions import Role

from .conftest import SCHEDULE, open_steps

pytestmark = pytest.mark.django_db

TECHNICIAN_LANE = '<bpmn:lane id="Lane_technician" name="technician">'


# --- the shipped files, changed the way a modeler would ---------------------------------------
def shipped() -> tuple[str, dict[str, str]]:
    return services.workflow_files()


def _replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def with_confirmation_step(bpmn: str) -> str:
    """A technician's step "Confirm the visit" between telling the subscriber and the test."""
    bpmn = _replace(
        bpmn,
        TECHNICIAN_LANE,
        TECHNICIAN_LANE + "\n        <bpmn:flowNodeRef>Task_confirm</bpmn:flowNodeRef>",
    )
    bpmn = _replace(
        bpmn,
        '<bpmn:sequenceFlow id="Flow_Task_notify_visit_Task_test" '
        'sourceRef="Task_notify_visit" targetRef="Task_test" />',
        '<bpmn:sequenceFlow id="Flow_Task_notify_visit_Task_test" '
        'sourceRef="Task_notify_visit" targetRef="Task_confirm" />\n'
        '    <bpmn:sequenceFlow id="Flow_Task_confirm_Task_test" '
        'sourceRef="Task_confirm" targetRef="Task_test" />',
    )
    bpmn = _replace(
        bpmn,
        "<bpmn:incoming>Flow_Task_notify_visit_Task_test</bpmn:incoming>\n"
        "      <bpmn:outgoing>Flow_Task_test_Gateway_access</bpmn:outgoing>",
        "<bpmn:incoming>Flow_Task_confirm_Task_test</bpmn:incoming>\n"
        "      <bpmn:outgoing>Flow_Task_test_Gateway_access</bpmn:outgoing>",
    )
    confirm = """
    <bpmn:userTask id="Task_confirm" name="Confirm the visit">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="confirmed" label="Subscriber confirmed" type="boolean" />
        </camunda:formData>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_Task_notify_visit_Task_test</bpmn:incoming>
      <bpmn:outgoing>Flow_Task_confirm_Task_test</bpmn:outgoing>
    </bpmn:userTask>
  </bpmn:process>"""
    return _replace(bpmn, "\n  </bpmn:process>", confirm)


def with_renamed_test(bpmn: str) -> str:
    return _replace(
        bpmn,
        '<bpmn:userTask id="Task_test" name="Test the meter"',
        '<bpmn:userTask id="Task_test" name="Test the meter on site"',
    )


def without_scheduling(bpmn: str) -> str:
    """No "Schedule the test" step: the visit is told to the subscriber straight away."""
    start = bpmn.index('<bpmn:userTask id="Task_schedule"')
    end = bpmn.index("</bpmn:userTask>", start) + len("</bpmn:userTask>")
    bpmn = bpmn[:start] + bpmn[end:]
    bpmn = _replace(bpmn, "<bpmn:flowNodeRef>Task_schedule</bpmn:flowNodeRef>", "")
    bpmn = _replace(
        bpmn,
        'sourceRef="Task_schedule" targetRef="Task_notify_visit" />',
        'sourceRef="Task_access" targetRef="Task_notify_visit" />',
    )
    bpmn = _replace(
        bpmn,
        '<bpmn:sequenceFlow id="Flow_Gateway_fork_Task_schedule" sourceRef="Gateway_fork" '
        'targetRef="Task_schedule" />',
        '<bpmn:sequenceFlow id="Flow_Gateway_fork_Task_schedule" sourceRef="Gateway_fork" '
        'targetRef="Task_notify_visit" />',
    )
    bpmn = _replace(
        bpmn,
        '<bpmn:sequenceFlow id="Flow_Task_access_Task_schedule" sourceRef="Task_access" '
        'targetRef="Task_schedule" />',
        "",
    )
    bpmn = _replace(
        bpmn,
        "<bpmn:outgoing>Flow_Task_access_Task_schedule</bpmn:outgoing>",
        "<bpmn:outgoing>Flow_Task_schedule_Task_notify_visit</bpmn:outgoing>",
    )
    return _replace(
        bpmn,
        "<bpmn:incoming>Flow_Task_schedule_Task_notify_visit</bpmn:incoming>",
        "<bpmn:incoming>Flow_Task_schedule_Task_notify_visit</bpmn:incoming>\n"
        "      <bpmn:incoming>Flow_Gateway_fork_Task_schedule</bpmn:incoming>",
    )


def without_notification(bpmn: str) -> str:
    """No "Tell the subscriber the visit time" step between scheduling and the test."""
    start = bpmn.index('<bpmn:serviceTask id="Task_notify_visit"')
    end = bpmn.index("</bpmn:serviceTask>", start) + len("</bpmn:serviceTask>")
    bpmn = bpmn[:start] + bpmn[end:]
    bpmn = _replace(bpmn, "<bpmn:flowNodeRef>Task_notify_visit</bpmn:flowNodeRef>", "")
    bpmn = _replace(
        bpmn,
        '<bpmn:sequenceFlow id="Flow_Task_notify_visit_Task_test" '
        'sourceRef="Task_notify_visit" targetRef="Task_test" />',
        "",
    )
    bpmn = _replace(
        bpmn,
        'sourceRef="Task_schedule" targetRef="Task_notify_visit" />',
        'sourceRef="Task_schedule" targetRef="Task_test" />',
    )
    return _replace(
        bpmn,
        "<bpmn:incoming>Flow_Task_notify_visit_Task_test</bpmn:incoming>",
        "<bpmn:incoming>Flow_Task_schedule_Task_notify_visit</bpmn:incoming>",
    )


def new_version(bpmn: str, dmn: dict[str, str] | None = None, note: str = "test") -> ProcessVersion:
    services.process_version_active()  # version 1: the shipped files
    return services.process_version_create(
        bpmn=bpmn, dmn_files=shipped()[1] if dmn is None else dmn, note=note
    )


# --- comparing --------------------------------------------------------------------------------
def test_the_diff_lists_an_added_step():
    active = services.process_version_active()
    version = new_version(with_confirmation_step(shipped()[0]))
    diff = versions.process_version_diff(active, version)
    assert [(s.bpmn_id, s.name, s.lane) for s in diff.added] == [
        ("Task_confirm", "Confirm the visit", "technician")
    ]
    assert diff.removed == []
    # The neighbours' flows changed; nothing else did.
    assert {c.bpmn_id for c in diff.changed} == {"Task_notify_visit", "Task_test"}
    assert not diff.dmn_added and not diff.dmn_changed and not diff.dmn_removed


def test_the_diff_shows_a_renamed_step_and_a_changed_decision_table():
    active = services.process_version_active()
    bpmn, dmn = shipped()
    dmn = {**dmn, "test_verdict.dmn": dmn["test_verdict.dmn"].replace("&lt; -mpe", "&lt;= -mpe")}
    version = new_version(with_renamed_test(bpmn), dmn=dmn)
    diff = versions.process_version_diff(active, version)
    assert diff.added == [] and diff.removed == []
    renamed = [c for c in diff.changed if c.bpmn_id == "Task_test"]
    assert len(renamed) == 1 and renamed[0].renamed
    assert (renamed[0].old_name, renamed[0].name) == ("Test the meter", "Test the meter on site")
    assert diff.dmn_changed == ["test_verdict.dmn"]


def test_the_diff_lists_a_removed_step():
    active = services.process_version_active()
    version = new_version(without_scheduling(shipped()[0]))
    diff = versions.process_version_diff(active, version)
    assert [s.bpmn_id for s in diff.removed] == ["Task_schedule"]


# --- the desk: upload, compare, download ------------------------------------------------------
def _url(name: str, *args) -> str:
    return reverse(f"admin:meter_service_processversion_{name}", args=args)


def in_english(client) -> None:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"


def _files(bpmn: str, dmn: dict[str, str] | None = None, **extra) -> dict:
    data = {
        "bpmn": SimpleUploadedFile("meter_test.bpmn", bpmn.encode(), "application/xml"),
        "note": "Confirm the visit before the test",
        **extra,
    }
    if dmn:
        data["dmn"] = [SimpleUploadedFile(n, x.encode(), "application/xml") for n, x in dmn.items()]
    return data


@pytest.fixture
def manager(client, make_user):
    user = make_user(Role.SERVICE_MANAGER)
    client.force_login(user)
    in_english(client)
    return user


def test_upload_makes_an_inactive_version_and_shows_it_against_the_active(client, manager):
    assert client.get(_url("add")).status_code == 200
    response = client.post(_url("add"), _files(with_confirmation_step(shipped()[0])))
    assert response.status_code == 302, response.content.decode()[:2000]
    version = ProcessVersion.objects.get(number=2)
    assert response["Location"] == _url("change", version.pk)
    assert version.is_active is None and version.uploaded_by == manager
    assert version.note == "Confirm the visit before the test"
    # No DMN file uploaded: the active version's are kept.
    assert version.dmn_files == services.process_version_active().dmn_files
    assert services.process_version_active().number == 1

    page = client.get(response["Location"]).content.decode()
    assert "Steps added" in page
    assert "Task_confirm" in page and "Confirm the visit" in page
    assert "Against version 1: steps added 1, removed 0, changed 2." in page
    assert _url("activate", version.pk) in page
    assert _url("file", version.pk, "meter_test.bpmn") in page
    assert _url("file", version.pk, "test_verdict.dmn") in page


def test_an_uploaded_dmn_file_replaces_the_one_of_the_same_name(client, manager):
    bpmn, dmn = shipped()
    changed = dmn["fee_refund.dmn"].replace('name="What happens', 'name="What becomes')
    response = client.post(_url("add"), _files(bpmn, {"fee_refund.dmn": changed}))
    assert response.status_code == 302
    version = ProcessVersion.objects.get(number=2)
    assert version.dmn_files == {**dmn, "fee_refund.dmn": changed}
    page = client.get(response["Location"]).content.decode()
    assert "Decision tables (DMN files)" in page and "fee_refund.dmn" in page


def test_only_the_uploaded_dmn_files_when_asked(client, manager):
    bpmn, dmn = shipped()
    bpmn = bpmn.replace('name="Meter test"', 'name="Meter test (2)"')  # not version 1 again
    extra = dmn["fee_refund.dmn"].replace('id="fee_refund"', 'id="fee_refund_unused"')
    data = _files(
        bpmn,
        {"fee_refund.dmn": dmn["fee_refund.dmn"], "test_verdict.dmn": dmn["test_verdict.dmn"]},
    )
    assert client.post(_url("add"), data).status_code == 302
    data = _files(bpmn, {"other.dmn": extra})
    assert client.post(_url("add"), data).status_code == 302
    assert set(ProcessVersion.objects.get(number=3).dmn_files) == {
        "fee_refund.dmn",
        "test_verdict.dmn",
        "other.dmn",
    }
    # Dropping the kept files leaves the BPMN without its decisions: refused, nothing saved.
    data = _files(bpmn, {"other.dmn": extra}, only_uploaded_dmn="on")
    response = client.post(_url("add"), data)
    assert response.status_code == 200
    assert ProcessVersion.objects.count() == 3


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("meter_test.xml", b"<x/>", "is not a .bpmn file"),
        ("meter_test.bpmn", "<x/>".encode("utf-16"), "is not a text file in UTF-8"),
        ("meter_test.bpmn", b"hello", "is not an XML file"),
        (
            "meter_test.bpmn",
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
            "declares a DOCTYPE",
        ),
    ],
)
def test_the_form_refuses_what_is_not_a_bpmn_file(client, manager, name, content, message):
    services.process_version_active()
    data = {"bpmn": SimpleUploadedFile(name, content), "note": "x"}
    response = client.post(_url("add"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert ProcessVersion.objects.count() == 1


def test_the_form_refuses_a_file_too_large_and_a_dmn_of_another_kind(client, manager, settings):
    from apps.meter_service.engine import validation

    services.process_version_active()
    big = "<x>" + " " * validation.MAX_FILE_BYTES + "</x>"
    response = client.post(_url("add"), _files(big))
    assert "is larger than 2 MB" in response.content.decode()
    response = client.post(
        _url("add"),
        {**_files(shipped()[0]), "dmn": [SimpleUploadedFile("table.xlsx", b"PK")]},
    )
    assert "is not a .dmn file" in response.content.decode()
    assert ProcessVersion.objects.count() == 1


def test_the_version_page_names_a_renamed_step_and_compares_with_any_version(client, manager):
    renamed = new_version(with_renamed_test(shipped()[0]))
    added = new_version(with_confirmation_step(shipped()[0]))
    page = client.get(_url("change", renamed.pk)).content.decode()
    assert "Test the meter on site (was: Test the meter)" in page
    assert "Steps changed" in page and "Steps added" not in page
    page = client.get(_url("change", added.pk) + "?against=2").content.decode()
    assert "Against version 2:" in page
    assert "Test the meter (was: Test the meter on site)" in page and "Task_confirm" in page
    page = client.get(_url("change", renamed.pk) + "?against=2").content.decode()
    assert "Against version 1:" in page  # not itself: the active version instead


def test_files_download_as_uploaded(client, manager):
    version = services.process_version_active()
    response = client.get(_url("file", version.pk, "meter_test.bpmn"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="meter_test.bpmn"'
    assert response.content.decode() == version.bpmn
    response = client.get(_url("file", version.pk, "fee_refund.dmn"))
    assert response.content.decode() == version.dmn_files["fee_refund.dmn"]
    assert client.get(_url("file", version.pk, "passwd")).status_code == 404


def test_the_list_shows_versions_with_their_claims(client, manager, make_claim):
    make_claim()
    new_version(with_renamed_test(shipped()[0]), note="Renamed the test step")
    page = client.get(_url("changelist")).content.decode()
    assert "Renamed the test step" in page
    assert "meter_test.bpmn as shipped" in page
    listed = versions.process_versions_with_counts().order_by("number")
    assert [(v.number, v.running, v.completed) for v in listed] == [(1, 1, 0), (2, 0, 0)]


# --- who may do what --------------------------------------------------------------------------
DESK = {
    Role.SERVICE_DESK_CLERK: "view",
    Role.TECHNICIAN: "view",
    Role.EMERGENCY_CREW: "view",
    Role.BILLING_OFFICER: "view",
    Role.COMPLAINTS_OFFICER: "view",
    Role.SERVICE_MANAGER: "activate",
    Role.SYSTEM_ADMIN: "activate",
}


@pytest.mark.parametrize("role", sorted(DESK))
def test_permissions_by_role(client, make_user, role):
    version = new_version(with_renamed_test(shipped()[0]))
    client.force_login(make_user(role))
    may = DESK[role] == "activate"
    assert client.get(_url("changelist")).status_code == 200
    page = client.get(_url("change", version.pk))
    assert page.status_code == 200
    assert (_url("activate", version.pk) in page.content.decode()) is may
    assert client.get(_url("file", version.pk, "meter_test.bpmn")).status_code == 200
    assert client.get(_url("add")).status_code == (200 if may else 403)
    another = shipped()[0].replace('name="Meter test"', 'name="Meter test (3)"')
    assert client.post(_url("add"), _files(another)).status_code == (302 if may else 403)
    assert client.get(_url("activate", version.pk)).status_code == (200 if may else 403)
    response = client.post(_url("activate", version.pk))
    assert response.status_code == (302 if may else 403)
    version.refresh_from_db()
    assert bool(version.is_active) is may
    # Versions are history: nobody deletes one.
    assert client.post(_url("delete", version.pk)).status_code == 403


@pytest.mark.parametrize("role", [Role.SUBSCRIBER, Role.COUNTER_OFFICE_OPERATOR])
def test_outside_roles_never_see_versions(client, make_user, role):
    version = services.process_version_active()
    client.force_login(make_user(role, is_staff=True))
    for url in (_url("changelist"), _url("change", version.pk), _url("activate", version.pk)):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


# --- activating -------------------------------------------------------------------------------
def test_activation_leaves_running_claims_on_their_version(client, manager, make_claim):
    running = make_claim()
    assert running.process.version.number == 1
    version = new_version(with_confirmation_step(shipped()[0]))
    page = client.get(_url("activate", version.pk)).content.decode()
    assert "The 1 claims running on other versions keep their version" in page

    response = client.post(_url("activate", version.pk))
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.is_active and version.activated_at is not None
    assert ProcessVersion.objects.get(number=1).is_active is None
    running.process.refresh_from_db()
    assert running.process.version.number == 1
    assert running.process.status == InstanceStatus.RUNNING

    claim_cancel(claim=running, actor=None)  # the meter may take a new claim
    assert make_claim().process.version == version


# --- moving running claims --------------------------------------------------------------------
def test_a_claim_moves_to_a_version_with_a_step_added_later_and_goes_on(paid_claim, step):
    assert open_steps(paid_claim) == ["Task_schedule"]
    version = new_version(with_confirmation_step(shipped()[0]))
    services.process_instance_migrate(instance=paid_claim.process, to_version=version)
    paid_claim.process.refresh_from_db()
    assert paid_claim.process.version == version
    assert open_steps(paid_claim) == ["Task_schedule"]

    step(paid_claim, "Task_schedule", **SCHEDULE)
    assert open_steps(paid_claim) == ["Task_confirm"]
    step(paid_claim, "Task_confirm", confirmed="on")
    assert open_steps(paid_claim) == ["Task_test"]
    step(paid_claim, "Task_test", outcome="tested", error_percent="0.5")
    paid_claim.refresh_from_db()
    assert paid_claim.outcome == "no_fault"
    assert paid_claim.process.status == InstanceStatus.COMPLETED


def test_a_claim_moves_to_a_version_with_a_renamed_step(paid_claim, step):
    step(paid_claim, "Task_schedule", **SCHEDULE)
    version = new_version(with_renamed_test(shipped()[0]))
    services.process_instance_migrate(instance=paid_claim.process, to_version=version)
    assert open_steps(paid_claim) == ["Task_test"]
    step(paid_claim, "Task_test", outcome="tested", error_percent="-0.5")
    paid_claim.refresh_from_db()
    assert paid_claim.outcome == "no_fault"


def test_moving_is_refused_when_a_completed_step_is_missing(paid_claim, step):
    step(paid_claim, "Task_schedule", **SCHEDULE)  # and the visit was told
    version = new_version(without_notification(shipped()[0]))
    state = paid_claim.process.state
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.process_instance_migrate(instance=paid_claim.process, to_version=version)
    assert refused.value.messages == [
        "Steps this claim already went through are missing in version 2: Task_notify_visit."
    ]
    paid_claim.process.refresh_from_db()
    assert paid_claim.process.version.number == 1
    assert paid_claim.process.state == state
    assert open_steps(paid_claim) == ["Task_test"]


def test_moving_is_refused_when_the_step_the_claim_waits_at_is_missing(paid_claim, step):
    version = new_version(without_scheduling(shipped()[0]))
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.process_instance_migrate(instance=paid_claim.process, to_version=version)
    assert refused.value.messages == [
        "Steps this claim is waiting at are missing in version 2: Task_schedule."
    ]
    paid_claim.process.refresh_from_db()
    assert paid_claim.process.version.number == 1
    step(paid_claim, "Task_schedule", **SCHEDULE)  # it goes on, on its own version
    assert open_steps(paid_claim) == ["Task_test"]


def test_a_moved_open_step_takes_its_new_name_and_lane(paid_claim, step, staff):
    step(paid_claim, "Task_schedule", **SCHEDULE)
    bpmn = with_renamed_test(shipped()[0])
    bpmn = _replace(bpmn, "<bpmn:flowNodeRef>Task_test</bpmn:flowNodeRef>", "")
    crew = '<bpmn:lane id="Lane_emergency_crew" name="emergency_crew">'
    bpmn = _replace(bpmn, crew, crew + "<bpmn:flowNodeRef>Task_test</bpmn:flowNodeRef>")
    version = new_version(bpmn)
    services.process_instance_migrate(instance=paid_claim.process, to_version=version)
    task = ProcessTask.objects.get(instance__claim=paid_claim, completed_at__isnull=True)
    assert (task.element_id, task.name, task.lane) == (
        "Task_test",
        "Test the meter on site",
        "emergency_crew",
    )
    with pytest.raises(PermissionDenied):
        step(paid_claim, "Task_test", "technician", outcome="tested", error_percent="0")
    step(paid_claim, "Task_test", "emergency_crew", outcome="tested", error_percent="0")
    paid_claim.refresh_from_db()
    assert paid_claim.outcome == "no_fault"


# --- the commands -----------------------------------------------------------------------------
def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_process_versions_lists_claims_per_version(make_claim):
    make_claim()
    new_version(with_renamed_test(shipped()[0]), note="Renamed the test step")
    lines = _run("process_versions").splitlines()
    assert lines[0].split() == ["version", "running", "completed", "uploaded", "note"]
    assert lines[1].split()[:4] == ["*", "1", "1", "0"]
    assert lines[2].split()[:3] == ["2", "0", "0"]
    assert lines[2].endswith("Renamed the test step")


def test_process_versions_without_versions(db):
    assert "No versions yet" in _run("process_versions")


def test_process_migrate_moves_what_fits_and_refuses_the_rest(
    paid_claim, make_claim, make_subscriber, make_meter, step
):
    waiting = paid_claim  # at "Schedule the test"
    # A claim on another meter that is past the scheduling.
    installation = meter_install(
        subscriber=make_subscriber(),
        meter=make_meter(),
        installed_on=datetime.date(2022, 3, 21),
        initial_reading=Decimal("100"),
    )
    other = claim_mark_paid(claim=make_claim(installation=installation), reference="x")
    step(other, "Task_schedule", **SCHEDULE)
    version = new_version(without_notification(shipped()[0]))

    out = _run("process_migrate", "--to", "2", "--dry-run")
    assert f"would move {waiting.tracking_code} (version 1 -> 2)" in out
    assert f"refused  {other.tracking_code} (version 1 -> 2): Steps this claim" in out
    assert "Task_notify_visit" in out
    assert "1 would move, 1 refused (dry run: nothing was changed)." in out
    waiting.process.refresh_from_db()
    assert waiting.process.version.number == 1

    out = _run("process_migrate", "--to", "2", "--claim", waiting.tracking_code)
    assert out.splitlines() == [
        f"moved    {waiting.tracking_code} (version 1 -> 2)",
        "1 moved, 0 refused.",
    ]
    waiting.process.refresh_from_db()
    assert waiting.process.version == version
    other.process.refresh_from_db()
    assert other.process.version.number == 1

    out = _run("process_migrate", "--to", "2", "--from", "1")
    assert "0 moved, 1 refused." in out


def test_process_migrate_refuses_unknown_versions_and_claims(make_claim):
    claim = make_claim()
    with pytest.raises(CommandError, match="There is no version 7"):
        _run("process_migrate", "--to", "7")
    with pytest.raises(CommandError, match="No claim 1234567890"):
        _run("process_migrate", "--to", "1", "--claim", "123-456-7890")
    with pytest.raises(CommandError, match="is not running on another version"):
        _run("process_migrate", "--to", "1", "--claim", claim.tracking_code)


def test_the_same_files_again_are_refused(db):
    from django.core.exceptions import ValidationError

    from apps.meter_service.engine.services import (
        process_version_active,
        process_version_create,
    )

    bpmn, dmn = shipped()
    process_version_active()
    with translation.override("en"), pytest.raises(ValidationError, match="version 1"):
        process_version_create(bpmn=bpmn, dmn_files=dmn)
    assert ProcessVersion.objects.count() == 1
