"""Audit events of work orders."""

from apps.meter_service.audit.events import record_event


def work_order_opened_event(*, work_order, actor) -> None:
    record_event(
        document=work_order,
        event_type="work_order_opened",
        actor=actor,
        parameters={"claim": work_order.claim.tracking_code, "meter": work_order.meter.serial},
    )


def work_order_updated_event(*, work_order, actor, changes: dict) -> None:
    record_event(
        document=work_order,
        event_type="work_order_updated",
        actor=actor,
        parameters={"changes": changes},
    )


def work_order_done_event(*, work_order, actor) -> None:
    record_event(
        document=work_order,
        event_type="work_order_done",
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
        event_type="work_order_cancelled",
        actor=actor,
        parameters={"reason": reason},
    )
