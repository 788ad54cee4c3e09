from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.meter_service.audit.labels import event_label


class DocumentEvent(models.Model):
    """One entry of the audit trail: who did what to which document, with its data."""

    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, verbose_name=_("document type")
    )
    object_id = models.CharField(_("document id"), max_length=64, db_index=True)
    object_repr = models.CharField(_("document"), max_length=200)
    event_type = models.CharField(_("event"), max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    parameters = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]

    def __str__(self) -> str:

        return f"{self.object_repr}: {event_label(self.event_type)}"
