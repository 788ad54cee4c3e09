"""Audit events of portal sign-in: recorded on the subscriber, never with the code."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.meter_service.audit.events import record_event
from apps.meter_service.doctype.otp.models import OtpChallenge
from apps.meter_service.doctype.subscriber.models import Subscriber


class OtpEvents(models.TextChoices):
    """The audit events of otp documents, with their names in the interface."""

    OTP_REQUESTED = "otp_requested", _("Sign-in code requested")
    OTP_VERIFIED = "otp_verified", _("Signed in with a code")


def otp_requested_event(*, subscriber: Subscriber, challenge: OtpChallenge) -> None:
    record_event(
        document=subscriber,
        event_type=OtpEvents.OTP_REQUESTED,
        actor=None,
        parameters={"challenge": challenge.pk, "ip": challenge.requester_ip or ""},
    )


def otp_verified_event(*, subscriber: Subscriber, challenge: OtpChallenge) -> None:
    record_event(
        document=subscriber,
        event_type=OtpEvents.OTP_VERIFIED,
        actor=None,
        parameters={"challenge": challenge.pk, "ip": challenge.requester_ip or ""},
    )
