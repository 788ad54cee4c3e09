"""What the BPMN file may call: service-task topics and functions for expressions.

A service task's `camunda:topic` names a handler here; the handler calls the application's
services (the same ones the desk, portals and API use) and returns data for the process.
Expressions (gateway conditions, timers, DMN entries) may call the EXPRESSION_FUNCTIONS.
A BPMN file naming anything else is refused when it is uploaded.
"""

from __future__ import annotations

import contextvars
import datetime
import uuid
from collections.abc import Callable
from typing import Any, TypeAlias

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.meter_service import permissions
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.claim import services as claim_services
from apps.meter_service.doctype.claim.models import Claim, PaymentMethod
from apps.meter_service.doctype.correction.services import adjustment_for_damage, adjustment_for_fee
from apps.meter_service.doctype.inspection.models import FlowBand
from apps.meter_service.doctype.inspection.rules import band_tolerance
from apps.meter_service.doctype.outbox.services import enqueue
from apps.meter_service.doctype.rule_setting.selectors import rule_value
from apps.meter_service.doctype.sla import services as sla_services
from apps.meter_service.doctype.sla.models import SlaClock
from apps.meter_service.doctype.sla.selectors import sla_due_at
from apps.meter_service.doctype.work_order.services import work_order_from_process
from apps.meter_service.engine import runner
from apps.meter_service.engine.models import ProcessTask

# A task's data: the JSON values the process keeps and its expressions read.
TaskData: TypeAlias = dict[str, Any]

# The user whose action is being carried through the process (None for timers and jobs).
current_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar("process_actor", default=None)
# The SLA clock of a claim whose process is starting, not saved yet (see process_start).
new_clock: contextvars.ContextVar[SlaClock | None] = contextvars.ContextVar(
    "process_new_clock", default=None
)


# The claim a process step locked already (process_complete_task): its handlers use it.
locked_claim: contextvars.ContextVar[Claim | None] = contextvars.ContextVar(
    "process_locked_claim", default=None
)


def _claim(data: TaskData) -> Claim:
    claim = locked_claim.get()
    if claim is not None and claim.pk == data["claim_id"]:
        return claim
    return Claim.objects.select_for_update().get(pk=data["claim_id"])


def setting(name: str) -> Any:
    """A rule setting (METER_SERVICE) by name; an unknown name is an error, not None."""
    try:
        return rule_value(name)
    except KeyError as exc:
        raise KeyError(f"unknown rule setting {name}") from exc


def sla_due(claim_id: int, fraction: float) -> str:
    """When the claim's SLA clock will have used `fraction` of its target (ISO 8601)."""
    clock = new_clock.get()
    if clock is None or clock.claim_id != claim_id:
        clock = SlaClock.objects.get(claim_id=claim_id)
    due = sla_due_at(clock, fraction, runner.now())
    # A stopped clock never comes due: a date far ahead keeps the timer quiet.
    return (due or runner.now() + datetime.timedelta(days=3650)).isoformat()


def access_due() -> str:
    """How long the subscriber has to give access to the meter, from now (ISO 8601)."""
    days = int(setting("ACCESS_WAIT_DAYS"))
    return (runner.now() + datetime.timedelta(days=days)).isoformat()


def fee_collected(claim_id: int) -> bool:
    """Whether the claim's fee has been paid in money (not still on the next gas bill)."""
    claim = Claim.objects.only("payment_method", "paid_at").get(pk=claim_id)
    return claim.paid_at is not None and claim.payment_method != PaymentMethod.NEXT_BILL


EXPRESSION_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "setting": setting,
    "sla_due": sla_due,
    "access_due": access_due,
    "fee_collected": fee_collected,
}


# --- service-task topics ------------------------------------------------------------------
def claim_expire(data: TaskData) -> TaskData:
    claim_services.claim_end_expired(claim=_claim(data), now=runner.now())
    return {}


def claim_visit_scheduled(data: TaskData) -> TaskData:
    claim_services.claim_visit_scheduled(
        claim=_claim(data),
        visit_date=datetime.date.fromisoformat(data["visit_date"]),
        visit_time=data.get("visit_time", ""),
        test_type=data.get("test_type", ""),
        actor=current_actor.get(),
    )
    return {}


def inspection_tolerance(data: TaskData) -> TaskData:
    """The in-service tolerance (± %) for the meter's accuracy class, from the settings.

    One setting, IN_SERVICE_TOLERANCE_BANDS (by class and flow band), as the test record
    reads it. A test recorded with its points (doctype/inspection) brings the tolerance of
    its decisive point's flow band as `mpe`; that one is kept. The generic test form gives
    one error figure without its flow: it is judged in the Qt..Qmax band, where a one-point
    check (at Qmax or 0.2 Qmax) measures.
    """

    claim = _claim(data)
    accuracy_class = claim.meter.accuracy_class
    if data.get("mpe") is not None:
        return {"accuracy_class": accuracy_class, "mpe": float(data["mpe"])}
    tolerance = band_tolerance(accuracy_class, FlowBand.HIGH, setting("IN_SERVICE_TOLERANCE_BANDS"))
    return {"accuracy_class": accuracy_class, "mpe": float(tolerance)}


def _close(outcome: str) -> Callable[[TaskData], TaskData]:
    def close(data: TaskData) -> TaskData:
        claim_services.claim_close(
            claim=_claim(data),
            outcome=outcome,
            findings={k: data.get(k) for k in CLOSING_FINDINGS if k in data},
            actor=current_actor.get(),
            now=runner.now(),
        )
        return {}

    return close


# What the claim keeps of the process's data when it closes (for its page and the SMS).
CLOSING_FINDINGS = (
    "verdict",
    "error_percent",
    "mpe",
    "stopped",
    "tampered",
    "damage_rial",
    "correction_rial",
    "correction_method",
    "new_serial",
    "fee_action",
)


def fee_settle(data: TaskData) -> TaskData:
    claim = claim_services.claim_settle_fee(
        claim=_claim(data), action=data["fee_action"], actor=current_actor.get()
    )
    adjustment_for_fee(claim=claim, action=data["fee_action"])
    return {}


def close_tampered(data: TaskData) -> TaskData:
    """Charge the damage to the gas bill, then close the claim."""

    adjustment_for_damage(claim=_claim(data), damage_rial=int(data.get("damage_rial") or 0))
    return _close("tampered")(data)


def _responsible_roles(data: TaskData) -> list[str]:

    lanes = ProcessTask.objects.filter(
        instance__claim_id=data["claim_id"], completed_at__isnull=True
    ).values_list("lane", flat=True)
    roles = permissions.lane_roles()
    return sorted({role for lane in lanes for role in roles.get(lane, [])})


def sla_warn(data: TaskData) -> TaskData:
    warned = sla_services.sla_warn(
        claim=_claim(data), roles=_responsible_roles(data), now=runner.now()
    )
    if warned:  # the clock may have paused: then the timer waits and nobody is told yet
        _tell(data, "sla_at_risk")  # for the notification rules of the event (none shipped)
    return {"sla_warned": warned}


def sla_escalate(data: TaskData) -> TaskData:
    return {"sla_escalated": sla_services.sla_escalate(claim=_claim(data), now=runner.now())}


def work_order_open(data: TaskData) -> TaskData:
    """Open the claim's replacement work order for the emergency post crew."""

    work_order = work_order_from_process(data["claim_id"], data, current_actor.get())
    return {"work_order_id": work_order.pk}


TOPICS: dict[str, Callable[[TaskData], TaskData]] = {
    "claim.expire": claim_expire,
    "claim.visit_scheduled": claim_visit_scheduled,
    "inspection.tolerance": inspection_tolerance,
    "claim.close_no_fault": _close("no_fault"),
    "claim.close_tampered": close_tampered,
    "claim.close_faulty": _close("faulty"),
    "fee.settle": fee_settle,
    "sla.warn": sla_warn,
    "sla.escalate": sla_escalate,
    "work_order.open": work_order_open,
}


def run_topic(topic: str, data: TaskData) -> TaskData:
    return TOPICS[topic](data)


# --- what the subscriber is told when a step is done --------------------------------------
# The SMS of the steps that have no service task of their own. Each is queued in the step's
# transaction and sent after it commits (the claim_notify job), in the order the steps ran, so
# a test result is told before the closing it leads to.
def _tell(data: TaskData, event: str, **facts: Any) -> None:
    actor = current_actor.get()
    if isinstance(actor, User) and actor.is_staff:
        facts["actor_id"] = actor.pk  # the notification rules' assignee of the step
    enqueue(
        "claim_notify",
        data["claim_id"],
        event,
        queue="notifications",
        facts={"at": runner.now().isoformat(), "occurrence": uuid.uuid4().hex, **facts},
    )


def _test_done(data: TaskData) -> None:
    """The technician could not reach the meter: ask for access, with the deadline."""
    if data.get("outcome") == "no_access":
        _tell(data, "access_needed", access_by=access_due())


def _verdict_decided(data: TaskData) -> None:
    _tell(
        data,
        "test_result",
        **{name: data.get(name) for name in ("verdict", "error_percent", "mpe", "stopped")},
        tampered=bool(data.get("tampered")),
    )


def _meter_replaced(data: TaskData) -> None:
    _tell(data, "meter_replaced", new_serial=str(data.get("new_serial") or ""))


def _correction_approved(data: TaskData) -> None:
    _tell(data, "correction_approved", correction_rial=int(data.get("correction_rial") or 0))


# By step id (BPMN element id): a user task when it is completed, an automatic step (task,
# gateway) when it has run. Gateway_join_approval is reached once the correction stands:
# within the billing officer's limit, or approved by the service manager.
STEP_LISTENERS: dict[str, Callable[[TaskData], None]] = {
    "Task_test": _test_done,
    "Task_verdict": _verdict_decided,
    "Task_replace": _meter_replaced,
    "Gateway_join_approval": _correction_approved,
}


def step_done(element_id: str, data: TaskData) -> None:
    """Tell whoever must know that the step `element_id` is done (nothing for most steps)."""
    listener = STEP_LISTENERS.get(element_id)
    if listener is not None and "claim_id" in data:
        listener(data)


# --- rules a task's form cannot say in its field list ------------------------------------
def _check_test_findings(data: TaskData) -> None:
    if data.get("outcome") != "tested" or data.get("stopped") or data.get("tampered"):
        return
    if data.get("error_percent") is None:
        raise ValidationError(
            {"error_percent": _("Enter the measured error, or mark the meter stopped.")}
        )


FORM_RULES: dict[str, Callable[[TaskData], None]] = {
    "Task_test": _check_test_findings,
}


# --- fields the application reads from a step's data ---------------------------------------
# By step id: {field key: (kind of value, options the field must offer)}. The handlers above,
# the doctype services that complete these steps (the test record, the work order, the bill
# correction) and the claim's findings read them; a version whose form for the step drops
# one, or changes its kind, is refused (validation.py), so a form designed in the studio can
# never leave a domain service without its reading, test result or serial.
FORM_FIELDS_NEEDED: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "Task_schedule": {
        "test_type": ("option", ()),
        "visit_date": ("date", ()),
        "visit_time": ("option", ()),
    },
    "Task_test": {
        "outcome": ("option", ("tested", "no_access")),
        "error_percent": ("number", ()),
        "stopped": ("boolean", ()),
        "tampered": ("boolean", ()),
        "notes": ("text", ()),
    },
    "Task_access": {"available_from": ("date", ())},
    "Task_tamper_charge": {"damage_rial": ("number", ())},
    "Task_replace": {
        "old_final_reading": ("number", ()),
        "new_serial": ("text", ()),
        "new_initial_reading": ("number", ()),
        "seal_numbers": ("text", ()),
    },
    "Task_correction": {
        "correction_rial": ("number", ()),
        "correction_method": ("option", ("scaled", "estimated")),
        "correction_note": ("text", ()),
    },
    "Task_approve": {
        "decision": ("option", ("approve", "return")),
        "decision_note": ("text", ()),
    },
}

# Steps completed by a doctype's own page and service (the test record, the work order, the
# bill correction and its approval) with the fields above only: their forms may not require
# anything more, which those pages would never send.
STEPS_COMPLETED_BY_SERVICES = frozenset(
    {"Task_test", "Task_replace", "Task_correction", "Task_approve"}
)
