"""Audit event types of process documents."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProcessEvents(models.TextChoices):
    """The audit events of process documents, with their names in the interface."""

    PROCESS_STEP = "process_step", _("Process step")
    PROCESS_VERSION_UPLOADED = "process_version_uploaded", _("Process version uploaded")
    PROCESS_VERSION_ACTIVATED = "process_version_activated", _("Process version activated")
    PROCESS_DRAFT_SAVED = "process_draft_saved", _("Process draft saved")
    PROCESS_VERSION_DEPLOYED = "process_version_deployed", _("Process draft deployed")
