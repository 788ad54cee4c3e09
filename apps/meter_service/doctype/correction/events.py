"""Audit events of bill corrections and billing adjustments."""

from apps.meter_service.audit.events import record_event


def correction_computed_event(*, correction, actor) -> None:
    record_event(
        document=correction,
        event_type="correction_computed",
        actor=actor,
        parameters={
            "claim": correction.claim.tracking_code,
            "window": [correction.window_start, correction.window_end],
            "difference": correction.difference_rial,
        },
    )


def correction_status_event(*, correction, actor, event_type: str, note: str = "") -> None:
    record_event(
        document=correction,
        event_type=event_type,
        actor=actor,
        parameters={
            "claim": correction.claim.tracking_code,
            "difference": correction.difference_rial,
            "note": note,
        },
    )


def adjustment_created_event(*, adjustment) -> None:
    record_event(
        document=adjustment,
        event_type="billing_adjustment_created",
        actor=None,
        parameters={
            "claim": adjustment.claim.tracking_code,
            "kind": adjustment.kind,
            "amount": adjustment.amount_rial,
        },
    )


def adjustment_exported_event(*, adjustment, actor, batch_id: str) -> None:
    record_event(
        document=adjustment,
        event_type="billing_adjustment_exported",
        actor=actor,
        parameters={"claim": adjustment.claim.tracking_code, "batch": batch_id},
    )
