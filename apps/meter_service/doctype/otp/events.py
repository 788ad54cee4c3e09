"""Audit events of portal sign-in: recorded on the subscriber, never with the code."""

from apps.meter_service.audit.events import record_event


def otp_requested_event(*, subscriber, challenge) -> None:
    record_event(
        document=subscriber,
        event_type="otp_requested",
        actor=None,
        parameters={"challenge": challenge.pk, "ip": challenge.requester_ip or ""},
    )


def otp_verified_event(*, subscriber, challenge) -> None:
    record_event(
        document=subscriber,
        event_type="otp_verified",
        actor=None,
        parameters={"challenge": challenge.pk, "ip": challenge.requester_ip or ""},
    )
