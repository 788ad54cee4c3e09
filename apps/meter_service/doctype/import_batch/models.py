from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportTarget(models.TextChoices):
    """What kind of master data a file holds."""

    SUBSCRIBER = "subscriber", _("Subscribers")
    METER = "meter", _("Meters")
    METER_INSTALLATION = "meter_installation", _("Meter installations")
    COUNTER_OFFICE = "counter_office", _("Counter offices")
    BILL = "bill", _("Gas bills")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    VALIDATING = "validating", _("Checking")
    VALID = "valid", _("Ready to import")
    INVALID = "invalid", _("Has errors")
    IMPORTING = "importing", _("Importing")
    IMPORTED = "imported", _("Imported")
    FAILED = "failed", _("Failed")


class ImportBatch(models.Model):
    """One uploaded CSV or XLSX file of master data, checked in a dry run before import."""

    target = models.CharField(_("data"), max_length=20, choices=ImportTarget.choices)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    # The import re-reads the file; a different digest means it is not the file checked.
    sha256 = models.CharField(_("SHA-256 digest"), max_length=64, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_rows = models.PositiveIntegerField(_("rows created"), default=0)
    updated_rows = models.PositiveIntegerField(_("rows updated"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    preview = models.JSONField(_("preview"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_target_display()}: {self.original_name}"
