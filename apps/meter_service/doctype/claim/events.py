"""Audit events of claims; they also make the claim's status timeline."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.meter_service.audit.events import record_event


class ClaimEvents(models.TextChoices):
    """The audit events of claim documents, with their names in the interface."""

    CLAIM_FILED = "claim_filed", _("Claim filed")
    CLAIM_PAID = "claim_paid", _("Fee paid")
    CLAIM_CANCELLED = "claim_cancelled", _("Claim cancelled")
    CLAIM_EXPIRED = "claim_expired", _("Claim expired")
    # No longer written (the checklist is taken at intake); kept for earlier entries.
    CLAIM_DOCUMENTS_CHECKED = "claim_documents_checked", _("Documents checked")
    CLAIM_VISIT_SCHEDULED = "claim_visit_scheduled", _("Test visit scheduled")
    CLAIM_CLOSED = "claim_closed", _("Claim closed")
    CLAIM_FEE_SETTLED = "claim_fee_settled", _("Test fee settled")


def claim_filed_event(*, claim, actor) -> None:
    record_event(
        document=claim,
        event_type=ClaimEvents.CLAIM_FILED,
        actor=actor,
        parameters={
            "channel": claim.channel,
            "total_fee": claim.total_fee,
            "payment_method": claim.payment_method,
        },
    )


def claim_paid_event(*, claim, actor, payment_reference: str) -> None:
    record_event(
        document=claim,
        event_type=ClaimEvents.CLAIM_PAID,
        actor=actor,
        parameters={"amount": claim.total_fee, "reference": payment_reference},
    )


def claim_cancelled_event(*, claim, actor, reason: str) -> None:
    record_event(
        document=claim,
        event_type=ClaimEvents.CLAIM_CANCELLED,
        actor=actor,
        parameters={"reason": reason},
    )


def claim_expired_event(*, claim) -> None:
    record_event(document=claim, event_type=ClaimEvents.CLAIM_EXPIRED, actor=None, parameters={})


def claim_visit_scheduled_event(*, claim, actor, visit_date, visit_time, test_type) -> None:
    record_event(
        document=claim,
        event_type=ClaimEvents.CLAIM_VISIT_SCHEDULED,
        actor=actor,
        parameters={"visit_date": visit_date, "visit_time": visit_time, "test_type": test_type},
    )


def claim_closed_event(*, claim, actor, outcome: str) -> None:
    record_event(
        document=claim,
        event_type=ClaimEvents.CLAIM_CLOSED,
        actor=actor,
        parameters={"outcome": outcome},
    )


def claim_fee_settled_event(*, claim, actor, action: str) -> None:
    record_event(
        document=claim,
        event_type=ClaimEvents.CLAIM_FEE_SETTLED,
        actor=actor,
        parameters={"action": action},
    )
