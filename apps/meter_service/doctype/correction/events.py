"""Audit events of bill corrections and billing adjustments."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.meter_service.audit.events import record_event


class CorrectionEvents(models.TextChoices):
    """The audit events of correction documents, with their names in the interface."""

    CORRECTION_COMPUTED = "correction_computed", _("Bill correction computed")
    CORRECTION_SUBMITTED = "correction_submitted", _("Bill correction sent for approval")
    CORRECTION_APPROVED = "correction_approved", _("Bill correction approved")
    CORRECTION_RETURNED = (
        "correction_returned",
        _("Bill correction returned to the billing officer"),
    )
    BILLING_ADJUSTMENT_CREATED = "billing_adjustment_created", _("Bill adjustment line created")
    BILLING_ADJUSTMENT_EXPORTED = (
        "billing_adjustment_exported",
        _("Bill adjustment sent to the billing system"),
    )
    CORRECTION_NOT_POSSIBLE = (
        "correction_not_possible",
        _("Bill correction closed: no correction possible"),
    )


def correction_computed_event(*, correction, actor) -> None:
    record_event(
        document=correction,
        event_type=CorrectionEvents.CORRECTION_COMPUTED,
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
        event_type=CorrectionEvents.BILLING_ADJUSTMENT_CREATED,
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
        event_type=CorrectionEvents.BILLING_ADJUSTMENT_EXPORTED,
        actor=actor,
        parameters={"claim": adjustment.claim.tracking_code, "batch": batch_id},
    )
