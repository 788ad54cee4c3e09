"""Audit event types of import batch documents."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportBatchEvents(models.TextChoices):
    """The audit events of import batch documents, with their names in the interface."""

    IMPORT_VALIDATED = "import_validated", _("Import checked")
    IMPORT_APPLIED = "import_applied", _("Import applied")
    IMPORT_FAILED = "import_failed", _("Import failed")
    IMPORT_STARTED = "import_started", _("Import started")
