"""Audit events of meter tests and test equipment."""

from apps.meter_service.audit.events import record_event


def inspection_recorded_event(*, inspection, actor) -> None:
    record_event(
        document=inspection,
        event_type="inspection_recorded",
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
