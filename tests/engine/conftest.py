"""Drive a claim through the meter test process: pay it, then complete its open steps."""

from __future__ import annotations

import pytest

from apps.meter_service.doctype.claim.services import claim_mark_paid
from apps.meter_service.engine.models import ProcessTask
from apps.meter_service.engine.services import process_complete_task
from tests.integrations.sms_fake import fake_sms, sms_fake_server  # noqa: F401

SCHEDULE = {"test_type": "field", "visit_date": "1405/09/10", "visit_time": "morning"}


def open_steps(claim) -> list[str]:
    return sorted(
        ProcessTask.objects.filter(instance__claim=claim, completed_at__isnull=True).values_list(
            "element_id", flat=True
        )
    )


def open_task(claim, element_id: str) -> ProcessTask:
    return ProcessTask.objects.get(
        instance__claim=claim, element_id=element_id, completed_at__isnull=True
    )


@pytest.fixture
def staff(make_user):
    """One user per staff role of the process's lanes."""
    return {
        role: make_user(role)
        for role in (
            "technician",
            "emergency_crew",
            "billing_officer",
            "service_manager",
            "service_desk_clerk",
        )
    }


@pytest.fixture
def step(staff):
    """step(claim, element_id, role_or_user, **data): complete the claim's open step."""

    def run(claim, element_id: str, who="technician", **data):
        user = staff[who] if isinstance(who, str) else who
        task = open_task(claim, element_id)
        return process_complete_task(task_id=task.task_id, user=user, data=data)

    return run


@pytest.fixture
def paid_claim(make_claim):
    claim = make_claim()
    return claim_mark_paid(claim=claim, reference="test-payment")


@pytest.fixture
def tested(step, request):
    """tested(claim=None, **findings): schedule and test a paid claim's meter."""

    def run(claim=None, **findings):
        claim = claim or request.getfixturevalue("paid_claim")
        step(claim, "Task_schedule", **SCHEDULE)
        step(claim, "Task_test", outcome="tested", **findings)
        claim.refresh_from_db()
        return claim

    return run
