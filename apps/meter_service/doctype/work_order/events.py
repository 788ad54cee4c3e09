"""Audit events of work orders."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.meter_service.audit.events import record_event


class WorkOrderEvents(models.TextChoices):
    """The audit events of work order documents, with their names in the interface."""

    WORK_ORDER_OPENED = "work_order_opened", _("Replacement work order opened")
    WORK_ORDER_UPDATED = "work_order_updated", _("Work order planned")
    WORK_ORDER_DONE = "work_order_done", _("Meter replaced")
    WORK_ORDER_CANCELLED = "work_order_cancelled", _("Work order cancelled")


def work_order_opened_event(*, work_order, actor) -> None:
    record_event(
        document=work_order,
        event_type=WorkOrderEvents.WORK_ORDER_OPENED,
        actor=actor,
        parameters={"claim": work_order.claim.tracking_code, "meter": work_order.meter.serial},
    )


def work_order_updated_event(*, work_order, actor, changes: dict) -> None:
    record_event(
        document=work_order,
        event_type=WorkOrderEvents.WORK_ORDER_UPDATED,
        actor=actor,
        parameters={"changes": changes},
    )


def work_order_done_event(*, work_order, actor) -> None:
    record_event(
        document=work_order,
        event_type=WorkOrderEvents.WORK_ORDER_DONE,
        actor=actor,
        parameters={
            "claim": work_order.claim.tracking_code,
            "old_serial": work_order.meter.serial,
            "old_final_reading": work_order.old_final_reading,
            "new_serial": work_order.new_meter.serial,
            "new_initial_reading": work_order.new_initial_reading,
            "seal_numbers": work_order.seal_numbers,
            "photos": work_order.photos.count(),
        },
    )


def work_order_cancelled_event(*, work_order, actor, reason: str) -> None:
    record_event(
        document=work_order,
        event_type=WorkOrderEvents.WORK_ORDER_CANCELLED,
        actor=actor,
        parameters={"reason": reason},
    )
