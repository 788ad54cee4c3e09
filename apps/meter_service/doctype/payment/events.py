"""Audit events of payments and bill charges."""

from apps.meter_service.audit.events import record_event


def payment_initiated_event(*, payment, actor) -> None:
    record_event(
        document=payment,
        event_type="payment_initiated",
        actor=actor,
        parameters={
            "claim": payment.claim.tracking_code,
            "amount": payment.amount_rial,
            "authority": payment.authority,
        },
    )


def payment_paid_event(*, payment, actor) -> None:
    record_event(
        document=payment,
        event_type="payment_paid",
        actor=actor,
        parameters={
            "claim": payment.claim.tracking_code,
            "method": payment.method,
            "amount": payment.amount_rial,
            "ref_id": payment.ref_id,
            "receipt_number": payment.receipt_number,
        },
    )


def payment_failed_event(*, payment, code: str) -> None:
    record_event(
        document=payment,
        event_type="payment_failed",
        actor=None,
        parameters={
            "claim": payment.claim.tracking_code,
            "code": code,
            "reason": payment.failure_reason,
        },
    )


def payment_cancelled_event(*, payment, actor, code: str) -> None:
    record_event(
        document=payment,
        event_type="payment_cancelled",
        actor=actor,
        parameters={
            "claim": payment.claim.tracking_code,
            "code": code,
            "reason": payment.failure_reason,
        },
    )


def bill_charge_created_event(*, charge) -> None:
    record_event(
        document=charge,
        event_type="bill_charge_created",
        actor=None,
        parameters={
            "claim": charge.claim.tracking_code,
            "bill_id": charge.bill_id,
            "amount": charge.amount_rial,
        },
    )


def bill_charge_exported_event(*, charge, actor, batch_id: str) -> None:
    record_event(
        document=charge,
        event_type="bill_charge_exported",
        actor=actor,
        parameters={"batch": batch_id},
    )
