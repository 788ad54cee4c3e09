"""Audit events of claims; they also make the claim's status timeline."""

from apps.meter_service.audit.events import record_event


def claim_filed_event(*, claim, actor) -> None:
    record_event(
        document=claim,
        event_type="claim_filed",
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
        event_type="claim_paid",
        actor=actor,
        parameters={"amount": claim.total_fee, "reference": payment_reference},
    )


def claim_cancelled_event(*, claim, actor, reason: str) -> None:
    record_event(
        document=claim, event_type="claim_cancelled", actor=actor, parameters={"reason": reason}
    )


def claim_expired_event(*, claim) -> None:
    record_event(document=claim, event_type="claim_expired", actor=None, parameters={})


def claim_documents_checked_event(*, claim, actor, checklist: dict) -> None:
    record_event(
        document=claim,
        event_type="claim_documents_checked",
        actor=actor,
        parameters={"checklist": checklist},
    )
