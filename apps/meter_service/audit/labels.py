"""What each audit event is called in the interface (desk home, claim timelines)."""

from django.utils.translation import gettext_lazy as _

EVENT_LABELS = {
    "subscriber_created": _("Subscriber added"),
    "subscriber_updated": _("Subscriber changed"),
    "meter_created": _("Meter registered"),
    "meter_updated": _("Meter changed"),
    "meter_installed": _("Meter installed"),
    "meter_removed": _("Meter removed"),
    "work_order_opened": _("Replacement work order opened"),
    "work_order_updated": _("Work order planned"),
    "work_order_done": _("Meter replaced"),
    "work_order_cancelled": _("Work order cancelled"),
    "office_created": _("Counter office added"),
    "office_updated": _("Counter office changed"),
    "office_operators_changed": _("Office operators changed"),
    "import_validated": _("Import checked"),
    "import_applied": _("Import applied"),
    "import_failed": _("Import failed"),
    "claim_filed": _("Claim filed"),
    "claim_paid": _("Fee paid"),
    "claim_cancelled": _("Claim cancelled"),
    "claim_expired": _("Claim expired"),
    "claim_documents_checked": _("Documents checked"),
    "claim_visit_scheduled": _("Test visit scheduled"),
    "claim_closed": _("Claim closed"),
    "claim_fee_settled": _("Test fee settled"),
    "process_step": _("Process step"),
    "process_version_uploaded": _("Process version uploaded"),
    "process_version_activated": _("Process version activated"),
    "sla_warned": _("SLA at risk: role told"),
    "sla_escalated": _("SLA breached: escalated"),
    "holiday_created": _("Holiday added"),
    "holiday_changed": _("Holiday changed"),
    "gas_tariff_created": _("Gas tariff added"),
    "gas_tariff_changed": _("Gas tariff changed"),
    "bill_created": _("Bill received"),
    "bill_updated": _("Bill corrected by the billing system"),
    "inspection_recorded": _("Meter test recorded"),
    "test_equipment_created": _("Test equipment added"),
    "test_equipment_changed": _("Test equipment changed"),
    "complaint_filed": _("Complaint filed"),
    "complaint_answered": _("Complaint answered"),
    "complaint_resolved": _("Complaint answered and resolved"),
    "complaint_replied": _("Complainant replied"),
    "complaint_reopened": _("Complaint reopened by the complainant's reply"),
    "complaint_assigned": _("Complaint assigned"),
    "complaint_escalated": _("Complaint escalated: not answered in time"),
    "complaint_closed": _("Complaint closed"),
    "complaint_topic_created": _("Complaint topic added"),
    "complaint_topic_changed": _("Complaint topic changed"),
}


def event_label(event_type: str) -> str:
    """Return the translated name of an event type (the type itself when unknown)."""
    return str(EVENT_LABELS.get(event_type, event_type))
