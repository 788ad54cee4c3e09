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


def claim_visit_scheduled_event(*, claim, actor, visit_date, visit_time, test_type) -> None:
    record_event(
        document=claim,
        event_type="claim_visit_scheduled",
        actor=actor,
        parameters={"visit_date": visit_date, "visit_time": visit_time, "test_type": test_type},
    )


def claim_closed_event(*, claim, actor, outcome: str) -> None:
    record_event(
        document=claim, event_type="claim_closed", actor=actor, parameters={"outcome": outcome}
    )


def claim_fee_settled_event(*, claim, actor, action: str) -> None:
    record_event(
        document=claim, event_type="claim_fee_settled", actor=actor, parameters={"action": action}
    )
