"""Completing a task: who may (lanes are roles, records are scoped), what data, and races."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from apps.meter_service.doctype.otp.services import portal_user_for
from apps.meter_service.engine.models import ProcessTask
from apps.meter_service.engine.services import (
    ProcessConflict,
    process_complete_task,
)
from tests.db_locks import retry_while_locked

from .conftest import SCHEDULE, open_steps, open_task

pytestmark = pytest.mark.django_db

# Which role may complete which step: the lanes of meter_test.bpmn and PROCESS_LANE_ROLES.
LANE_MATRIX = {
    "Task_schedule": {"technician"},
    "Task_replace": {"emergency_crew"},
    "Task_correction": {"billing_officer"},
}
STAFF_ROLES = [
    "technician",
    "emergency_crew",
    "billing_officer",
    "service_manager",
    "service_desk_clerk",
    "complaints_officer",
    "system_admin",
]


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_only_the_lanes_role_may_schedule_the_test(paid_claim, make_user, role):
    user = make_user(role)
    task = open_task(paid_claim, "Task_schedule")
    if role in LANE_MATRIX["Task_schedule"]:
        process_complete_task(task_id=task.task_id, user=user, data=SCHEDULE)
        assert open_steps(paid_claim) == ["Task_test"]
    else:
        with pytest.raises(PermissionDenied):
            process_complete_task(task_id=task.task_id, user=user, data=SCHEDULE)
        assert open_steps(paid_claim) == ["Task_schedule"]


@pytest.mark.parametrize("role", ["technician", "emergency_crew", "billing_officer"])
def test_the_replacement_is_the_crews_and_the_correction_the_billing_officers(
    tested, step, make_user, role
):
    claim = tested(error_percent="5")
    user = make_user(role)
    task = open_task(claim, "Task_replace")
    data = {"old_final_reading": "10", "new_serial": "N", "new_initial_reading": "0"}
    if role in LANE_MATRIX["Task_replace"]:
        process_complete_task(task_id=task.task_id, user=user, data=data)
    else:
        with pytest.raises(PermissionDenied):
            process_complete_task(task_id=task.task_id, user=user, data=data)


def _no_access(claim, step):
    step(claim, "Task_schedule", **SCHEDULE)
    step(claim, "Task_test", outcome="no_access")
    return open_task(claim, "Task_access")


def test_the_subscriber_gives_access_on_their_own_claim_only(
    paid_claim, step, make_claim, make_subscriber, make_meter
):
    task = _no_access(paid_claim, step)
    owner = portal_user_for(paid_claim.subscriber)
    stranger = portal_user_for(make_subscriber())
    with pytest.raises(PermissionDenied):
        process_complete_task(
            task_id=task.task_id, user=stranger, data={"available_from": "1405/09/20"}
        )
    process_complete_task(task_id=task.task_id, user=owner, data={"available_from": "1405/09/20"})
    assert open_steps(paid_claim) == ["Task_schedule"]


def test_bad_data_is_refused_with_field_errors_and_changes_nothing(paid_claim, staff):
    task = open_task(paid_claim, "Task_schedule")
    revision = paid_claim.process.revision
    with pytest.raises(ValidationError) as error:
        process_complete_task(
            task_id=task.task_id,
            user=staff["technician"],
            data={"test_type": "satellite", "visit_date": "1405/13/40"},
        )
    assert set(error.value.message_dict) == {"test_type", "visit_date", "visit_time"}
    paid_claim.process.refresh_from_db()
    assert paid_claim.process.revision == revision
    assert open_steps(paid_claim) == ["Task_schedule"]


def test_persian_digits_are_accepted_in_numbers_and_dates(paid_claim, step):
    step(
        paid_claim, "Task_schedule", test_type="lab", visit_date="۱۴۰۵/۰۹/۱۰", visit_time="morning"
    )
    step(paid_claim, "Task_test", outcome="tested", error_percent="۱٫۵")
    paid_claim.refresh_from_db()
    assert paid_claim.findings["error_percent"] == 1.5
    assert str(paid_claim.test_visit_date) == "2026-12-01"


def test_an_error_is_needed_unless_the_meter_stopped(paid_claim, step):
    step(paid_claim, "Task_schedule", **SCHEDULE)
    with pytest.raises(ValidationError) as error:
        step(paid_claim, "Task_test", outcome="tested")
    assert "error_percent" in error.value.message_dict
    assert open_steps(paid_claim) == ["Task_test"]


def test_a_task_done_twice_names_who_did_it(paid_claim, staff, make_user):
    task = open_task(paid_claim, "Task_schedule")
    process_complete_task(task_id=task.task_id, user=staff["technician"], data=SCHEDULE)
    with pytest.raises(ProcessConflict) as error:
        process_complete_task(task_id=task.task_id, user=make_user("technician"), data=SCHEDULE)
    assert staff["technician"].username in str(error.value)


@pytest.mark.django_db(transaction=True)
def test_two_people_completing_one_task_at_once_one_wins(paid_claim, staff, make_user):
    task = open_task(paid_claim, "Task_schedule")
    people = [staff["technician"], make_user("technician")]
    start = threading.Barrier(2)
    done, conflicts, errors = [], [], []

    def complete(user) -> None:
        try:
            start.wait(timeout=5)
            done.append(
                retry_while_locked(
                    lambda: process_complete_task(task_id=task.task_id, user=user, data=SCHEDULE)
                )
            )
        except ProcessConflict as exc:
            # On the shared in-memory SQLite, the jobs run inline after the commit and can
            # meet the other thread's lock; the retry then finds the step done by this very
            # thread. That is this thread's completion, not a conflict.
            winner = ProcessTask.objects.get(pk=task.pk).completed_by_id
            (done if winner == user.pk else conflicts).append(exc)
        except Exception as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=complete, args=(user,)) for user in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(done) == 1 and len(conflicts) == 1
    assert open_steps(paid_claim) == ["Task_test"]
    assert ProcessTask.objects.filter(element_id="Task_test").count() == 1
    paid_claim.process.refresh_from_db()
    assert paid_claim.process.revision == 3  # start, payment, one schedule
