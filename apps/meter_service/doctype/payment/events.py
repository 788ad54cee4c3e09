"""Audit events of payments and bill charges."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.meter_service.audit.events import record_event
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.payment.models import BillCharge, Payment


class PaymentEvents(models.TextChoices):
    """The audit events of payment documents, with their names in the interface."""

    PAYMENT_INITIATED = "payment_initiated", _("Online payment started")
    PAYMENT_PAID = "payment_paid", _("Payment received")
    PAYMENT_FAILED = "payment_failed", _("Online payment failed")
    PAYMENT_CANCELLED = "payment_cancelled", _("Payment cancelled")
    BILL_CHARGE_CREATED = "bill_charge_created", _("Fee charged to the next gas bill")
    BILL_CHARGE_EXPORTED = "bill_charge_exported", _("Bill charge sent to the billing system")


def payment_initiated_event(*, payment: Payment, actor: Actor) -> None:
    record_event(
        document=payment,
        event_type=PaymentEvents.PAYMENT_INITIATED,
        actor=actor,
        parameters={
            "claim": payment.claim.tracking_code,
            "amount": payment.amount_rial,
            "authority": payment.authority,
        },
    )


def payment_paid_event(*, payment: Payment, actor: Actor) -> None:
    record_event(
        document=payment,
        event_type=PaymentEvents.PAYMENT_PAID,
        actor=actor,
        parameters={
            "claim": payment.claim.tracking_code,
            "method": payment.method,
            "amount": payment.amount_rial,
            "ref_id": payment.ref_id,
            "receipt_number": payment.receipt_number,
        },
    )


def payment_failed_event(*, payment: Payment, code: str) -> None:
    record_event(
        document=payment,
        event_type=PaymentEvents.PAYMENT_FAILED,
        actor=None,
        parameters={
            "claim": payment.claim.tracking_code,
            "code": code,
            "reason": payment.failure_reason,
        },
    )


def payment_cancelled_event(*, payment: Payment, actor: Actor, code: str) -> None:
    record_event(
        document=payment,
        event_type=PaymentEvents.PAYMENT_CANCELLED,
        actor=actor,
        parameters={
            "claim": payment.claim.tracking_code,
            "code": code,
            "reason": payment.failure_reason,
        },
    )


def bill_charge_created_event(*, charge: BillCharge) -> None:
    record_event(
        document=charge,
        event_type=PaymentEvents.BILL_CHARGE_CREATED,
        actor=None,
        parameters={
            "claim": charge.claim.tracking_code,
            "bill_id": charge.bill_id,
            "amount": charge.amount_rial,
        },
    )


def bill_charge_exported_event(*, charge: BillCharge, actor: Actor, batch_id: str) -> None:
    record_event(
        document=charge,
        event_type=PaymentEvents.BILL_CHARGE_EXPORTED,
        actor=actor,
        parameters={"batch": batch_id},
    )
