"""Audit events of complaints."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.meter_service.audit.events import record_event


class ComplaintEvents(models.TextChoices):
    """The audit events of complaint documents, with their names in the interface."""

    COMPLAINT_FILED = "complaint_filed", _("Complaint filed")
    COMPLAINT_ANSWERED = "complaint_answered", _("Complaint answered")
    COMPLAINT_RESOLVED = "complaint_resolved", _("Complaint answered and resolved")
    COMPLAINT_REPLIED = "complaint_replied", _("Complainant replied")
    COMPLAINT_REOPENED = "complaint_reopened", _("Complaint reopened by the complainant's reply")
    COMPLAINT_ASSIGNED = "complaint_assigned", _("Complaint assigned")
    COMPLAINT_ESCALATED = "complaint_escalated", _("Complaint escalated: not answered in time")
    COMPLAINT_CLOSED = "complaint_closed", _("Complaint closed")
    COMPLAINT_TOPIC_CREATED = "complaint_topic_created", _("Complaint topic added")
    COMPLAINT_TOPIC_CHANGED = "complaint_topic_changed", _("Complaint topic changed")
    COMPLAINT_RATED = "complaint_rated", _("Complaint rated by the complainant")
    CANNED_RESPONSE_CREATED = "canned_response_created", _("Canned response added")
    CANNED_RESPONSE_CHANGED = "canned_response_changed", _("Canned response changed")


def complaint_event(*, complaint, event_type: str, actor=None, **parameters) -> None:
    record_event(document=complaint, event_type=event_type, actor=actor, parameters=parameters)
