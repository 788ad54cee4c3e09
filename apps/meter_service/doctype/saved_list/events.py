"""Audit event types of saved lists, list exports and scheduled reports."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedListEvents(models.TextChoices):
    """The audit events of lists people keep, with their names in the interface."""

    LIST_VIEW_SAVED = "list_view_saved", _("List view saved")
    LIST_VIEW_DELETED = "list_view_deleted", _("List view deleted")
    LIST_EXPORTED = "list_exported", _("List exported")
    REPORT_SCHEDULED = "report_scheduled", _("Scheduled report saved")
    REPORT_DELETED = "report_deleted", _("Scheduled report deleted")
    REPORT_SENT = "report_sent", _("Scheduled report sent")
