"""The engine's side of the doctypes' process port (doctype/process_steps.py).

Registered when the app is ready (apps.py); each method is the engine service of the same
meaning, so a doctype that completes a step gets exactly what a step completed from the
inbox gets: the lane and record checks, the form's validation, the process run on.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models.signals import post_delete, post_save

from apps.meter_service import reference_data
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype import process_steps
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.process_steps import OpenStep
from apps.meter_service.engine import decisions, services
from apps.meter_service.engine.models import ProcessInstance, ProcessTask, ProcessVersion


def _task(step: OpenStep) -> ProcessTask:
    """The step as the engine keeps it: the port hands back what open_step gave."""
    if not isinstance(step, ProcessTask):
        raise TypeError(f"not a step of the process engine: {step!r}")
    return step


class EngineSteps:
    def start(
        self,
        *,
        claim: Claim,
        actor: Actor = None,
        messages: tuple[tuple[str, dict[str, Any]], ...] = (),
        payment_due: datetime.datetime | None = None,
    ) -> None:
        services.process_start(claim=claim, actor=actor, messages=messages, payment_due=payment_due)

    def send_message(
        self,
        *,
        claim: Claim,
        name: str,
        payload: dict[str, Any] | None = None,
        actor: Actor = None,
    ) -> bool:
        return services.process_send_message(claim=claim, name=name, payload=payload, actor=actor)

    def run_timers(self, *, now: datetime.datetime | None = None) -> list[int]:
        return services.process_run_timers(now=now)

    def lock(self, *, claim_id: int) -> None:
        ProcessInstance.objects.select_for_update().filter(claim_id=claim_id).first()

    def open_step(self, *, claim_id: int, element_id: str) -> ProcessTask | None:
        return (
            ProcessTask.objects.select_related("instance__version")
            .filter(instance__claim_id=claim_id, element_id=element_id, completed_at__isnull=True)
            .first()
        )

    def check_can_complete(self, *, user: Actor, step: OpenStep) -> None:
        services.process_check_can_complete(user=user, task=_task(step))

    def complete(
        self,
        *,
        step: OpenStep,
        user: Actor,
        data: dict[str, Any],
        extra: dict[str, Any] | None = None,
    ) -> None:
        services.process_complete_task(task_id=step.task_id, user=user, data=data, extra=extra)

    def decide_verdict(
        self,
        *,
        step: OpenStep,
        tampered: bool,
        stopped: bool,
        error_percent: Decimal | None,
        mpe: Decimal | None,
    ) -> str:
        return decisions.decide_verdict(
            version=_task(step).instance.version,
            tampered=tampered,
            stopped=stopped,
            error_percent=error_percent,
            mpe=mpe,
        )


def register() -> None:
    """Plug the engine into the doctypes' port; a new process version drops cached copies."""
    process_steps.register(EngineSteps())
    uid = "meter_service.forget_reference_data"
    post_save.connect(
        reference_data.forget_reference_data, sender=ProcessVersion, dispatch_uid=f"{uid}.save.pv"
    )
    post_delete.connect(
        reference_data.forget_reference_data, sender=ProcessVersion, dispatch_uid=f"{uid}.del.pv"
    )
