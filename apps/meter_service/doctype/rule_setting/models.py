"""A change of a rule setting made in the desk, in force from its date."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RuleSettingChange(models.Model):
    """One rule setting's new value from a date on. Rows are never changed or deleted: the
    value in force on a day is the latest change effective on or before it (by date, then
    by when it was made); with none, the site's site_config.json or the RULES default."""

    name = models.CharField(_("rule setting"), max_length=64)
    value = models.JSONField(_("new value"))
    previous_value = models.JSONField(
        _("old value"), null=True, help_text=_("The value in force on the date before this.")
    )
    effective_from = models.DateField(_("effective from"))
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("rule setting change")
        verbose_name_plural = _("rule settings")
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["name", "effective_from"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from.isoformat()})"
