"""Every path through meter_test.bpmn, from filing to each of its ends.

The fixtures: a class 1.5 meter (in-service tolerance ±3 % by default), a fee of 1,500,000
Rial plus VAT paid online, the correction approval limit at 50,000,000 Rial.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.claim.models import ClaimStatus
from apps.meter_service.doctype.claim.services import (
    claim_cancel,
    claim_expire_unpaid,
    claim_mark_paid,
)
from apps.meter_service.doctype.sla.models import SlaClock
from apps.meter_service.engine.models import InstanceStatus, ProcessTask
from apps.meter_service.engine.services import process_run_timers

from .conftest import SCHEDULE, open_steps

pytestmark = pytest.mark.django_db


def _ended(claim, end_event: str) -> None:
    claim.refresh_from_db()
    claim.process.refresh_from_db()
    assert claim.process.status == InstanceStatus.COMPLETED
    assert claim.process.end_event == end_event
    assert open_steps(claim) == []
    assert not claim.is_open


def test_a_filed_claim_waits_for_its_fee(make_claim):
    claim = make_claim()
    assert claim.process.status == InstanceStatus.RUNNING
    assert claim.process.version.number == 1
    assert open_steps(claim) == []  # nobody's task: the subscriber pays
    assert claim.process.next_timer_at == claim.expires_at
    assert SlaClock.objects.get(claim=claim).paused  # waiting on the subscriber


def test_paying_opens_the_technicians_step_and_runs_the_sla_clock(paid_claim):
    assert open_steps(paid_claim) == ["Task_schedule"]
    task = ProcessTask.objects.get(instance__claim=paid_claim)
    assert task.lane == "technician" and task.name == "Schedule the test"
    clock = SlaClock.objects.get(claim=paid_claim)
    assert not clock.paused and clock.running_since is not None


def test_within_tolerance_closes_with_no_fault_and_the_fee_kept(tested):
    claim = tested(error_percent="1.2")
    _ended(claim, "End_no_fault")
    assert claim.status == ClaimStatus.CLOSED and claim.outcome == "no_fault"
    assert claim.findings["verdict"] == "within_tolerance"
    # A class 1.5 meter's one error figure is judged in the Qt..Qmax band: ±1.5 %.
    assert claim.findings["mpe"] == 1.5
    assert claim.fee_outcome == ""  # no fee step on this path: the fee stays paid
    assert SlaClock.objects.get(claim=claim).stopped_at is not None


@pytest.mark.parametrize(
    ("error", "verdict"),
    [
        ("1.5", "within_tolerance"),
        ("-1.500", "within_tolerance"),
        ("1.51", "fast"),
        ("-1.51", "slow"),
    ],
)
def test_the_tolerance_boundary_passes(tested, step, error, verdict):
    claim = tested(error_percent=error)
    if verdict == "within_tolerance":
        assert claim.outcome == "no_fault"
    else:
        assert open_steps(claim) == ["Task_replace"]
        instance_data = claim.process.state
        assert verdict in str(instance_data)


def test_the_tolerance_follows_the_setting(tested, settings):
    settings.METER_SERVICE = {
        **settings.METER_SERVICE,
        "IN_SERVICE_TOLERANCE_BANDS": {"1.5": {"low": 3.0, "high": 1.0}},
    }
    claim = tested(error_percent="1.2")
    assert open_steps(claim) == ["Task_replace"]


def test_fast_meter_is_replaced_corrected_and_the_fee_refunded(tested, step):
    claim = tested(error_percent="4")
    step(
        claim,
        "Task_replace",
        "emergency_crew",
        old_final_reading="1250.5",
        new_serial="NEW-778899",
        new_initial_reading="0",
        seal_numbers="S-1, S-2",
    )
    assert open_steps(claim) == ["Task_correction"]
    step(
        claim,
        "Task_correction",
        "billing_officer",
        correction_rial="-2400000",
        correction_method="scaled",
    )
    _ended(claim, "End_faulty")
    assert claim.outcome == "faulty" and claim.fee_outcome == "refund"
    assert claim.findings["new_serial"] == "NEW-778899"
    assert claim.findings["correction_rial"] == -2_400_000


def test_a_large_correction_needs_the_managers_approval_and_may_come_back(tested, step):
    claim = tested(error_percent="-6")
    step(
        claim,
        "Task_replace",
        "emergency_crew",
        old_final_reading="100",
        new_serial="NEW-1",
        new_initial_reading="0",
    )
    step(
        claim,
        "Task_correction",
        "billing_officer",
        correction_rial="90000000",
        correction_method="scaled",
    )
    assert open_steps(claim) == ["Task_approve"]
    step(claim, "Task_approve", "service_manager", decision="return", decision_note="recheck")
    assert open_steps(claim) == ["Task_correction"]
    step(
        claim,
        "Task_correction",
        "billing_officer",
        correction_rial="60000000",
        correction_method="scaled",
    )
    step(claim, "Task_approve", "service_manager", decision="approve")
    _ended(claim, "End_faulty")


def test_a_fee_still_on_the_bill_is_waived_and_the_setting_can_keep_it(
    make_claim, tested, step, settings
):
    claim = make_claim(payment_method="next_bill")  # paid at once, by the next bill
    claim = tested(claim, stopped=True)
    step(
        claim,
        "Task_replace",
        "emergency_crew",
        old_final_reading="10",
        new_serial="N2",
        new_initial_reading="0",
    )
    step(
        claim,
        "Task_correction",
        "billing_officer",
        correction_rial="1000",
        correction_method="estimated",
    )
    _ended(claim, "End_faulty")
    assert claim.findings["verdict"] == "stopped" and claim.fee_outcome == "waive"


def test_the_fee_is_kept_for_a_faulty_meter_when_the_setting_says_so(tested, step, settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "REFUND_FEE_WHEN_FAULTY": False}
    claim = tested(error_percent="9")
    step(
        claim,
        "Task_replace",
        "emergency_crew",
        old_final_reading="10",
        new_serial="N3",
        new_initial_reading="0",
    )
    step(
        claim, "Task_correction", "billing_officer", correction_rial="5", correction_method="scaled"
    )
    _ended(claim, "End_faulty")
    assert claim.fee_outcome == "keep"


def test_a_tampered_meter_is_charged_and_closed(tested, step):
    claim = tested(tampered=True, error_percent="1")
    assert open_steps(claim) == ["Task_tamper_charge"]
    step(claim, "Task_tamper_charge", "billing_officer", damage_rial="25000000")
    _ended(claim, "End_tampered")
    assert claim.outcome == "tampered" and claim.findings["damage_rial"] == 25_000_000


def test_no_access_waits_on_the_subscriber_with_the_clock_paused(paid_claim, step, staff):
    step(paid_claim, "Task_schedule", **SCHEDULE)
    step(paid_claim, "Task_test", outcome="no_access")
    assert open_steps(paid_claim) == ["Task_access"]
    assert SlaClock.objects.get(claim=paid_claim).paused
    # the subscriber phones the desk; the clerk records when the meter can be reached
    step(paid_claim, "Task_access", "service_desk_clerk", available_from="1405/09/15")
    assert open_steps(paid_claim) == ["Task_schedule"]
    assert not SlaClock.objects.get(claim=paid_claim).paused


def test_no_access_in_time_expires_the_claim(paid_claim, step, settings):
    step(paid_claim, "Task_schedule", **SCHEDULE)
    step(paid_claim, "Task_test", outcome="no_access")
    due = paid_claim.process.__class__.objects.get(pk=paid_claim.process.pk).next_timer_at
    assert due is not None
    later = paid_claim.filed_at + datetime.timedelta(days=15)
    assert paid_claim.pk in process_run_timers(now=later)
    _ended(paid_claim, "End_expired_no_access")
    assert paid_claim.status == ClaimStatus.EXPIRED
    # the access step was withdrawn, not completed by anyone
    task = ProcessTask.objects.get(instance__claim=paid_claim, element_id="Task_access")
    assert task.cancelled and task.completed_by is None


def test_cancelling_an_unpaid_claim_ends_its_process(make_claim):
    claim = make_claim()
    claim_cancel(claim=claim, reason="changed my mind")
    _ended(claim, "End_cancelled")
    assert claim.status == ClaimStatus.CANCELLED


def test_an_unpaid_claim_expires_on_the_payment_timer(make_claim):
    claim = make_claim()
    assert claim_expire_unpaid(now=claim.expires_at - datetime.timedelta(seconds=1)) == []
    assert claim_expire_unpaid(now=claim.expires_at + datetime.timedelta(seconds=1)) == [
        claim.tracking_code
    ]
    _ended(claim, "End_expired_unpaid")
    # paying after expiry is refused by the claim's rules, the process is not touched
    with pytest.raises(ValidationError):
        claim_mark_paid(claim=claim, reference="late")


def test_every_step_is_in_the_audit_trail(tested):
    claim = tested(error_percent="0.5")
    steps = DocumentEvent.objects.filter(
        event_type="process_step", object_id=str(claim.pk)
    ).order_by("id")
    kinds = [e.parameters["kind"] for e in steps]
    assert kinds == ["start", "message", "task", "task"]
    test_step = steps.last()
    assert test_step.parameters["step"] == "Task_test"
    assert test_step.parameters["data"]["error_percent"] == 0.5
    assert test_step.parameters["end"] == "End_no_fault"
    assert "Task_verdict" in test_step.parameters["ran"]
    assert test_step.actor is not None and test_step.parameters["version"] == 1


def test_the_subscriber_is_texted_the_visit_and_the_outcome(
    paid_claim, step, django_capture_on_commit_callbacks, fake_sms
):
    from apps.meter_service.doctype.notification.models import SmsMessage

    with django_capture_on_commit_callbacks(execute=True):
        step(paid_claim, "Task_schedule", **SCHEDULE)
    with django_capture_on_commit_callbacks(execute=True):
        step(paid_claim, "Task_test", outcome="tested", error_percent="0")
    keys = list(
        SmsMessage.objects.filter(claim=paid_claim)
        .order_by("id")
        .values_list("template_key", flat=True)
    )
    assert keys[-3:] == ["visit_scheduled", "test_result", "claim_closed"]
    closing = SmsMessage.objects.filter(claim=paid_claim, template_key="claim_closed").get()
    assert "سالم" in closing.body or "No fault" in closing.body
