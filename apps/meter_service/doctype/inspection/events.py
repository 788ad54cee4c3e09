"""Audit events of meter tests and test equipment."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.meter_service.audit.events import record_event


class InspectionEvents(models.TextChoices):
    """The audit events of inspection documents, with their names in the interface."""

    INSPECTION_RECORDED = "inspection_recorded", _("Meter test recorded")
    TEST_EQUIPMENT_CREATED = "test_equipment_created", _("Test equipment added")
    TEST_EQUIPMENT_CHANGED = "test_equipment_changed", _("Test equipment changed")


def inspection_recorded_event(*, inspection, actor) -> None:
    record_event(
        document=inspection,
        event_type=InspectionEvents.INSPECTION_RECORDED,
        actor=actor,
        parameters={
            "claim": inspection.claim.tracking_code,
            "verdict": inspection.verdict,
            "error_percent": inspection.error_percent,
            "mpe": inspection.mpe,
            "band": inspection.band,
            "equipment": inspection.equipment.identifier if inspection.equipment else "",
            "points": inspection.points.count(),
        },
    )
