from django.db import models
from django.utils.translation import gettext_lazy as _


class RateCount(models.Model):
    """How often something was tried in a window (wrong passwords per account and address,
    status look-ups per address). Kept in the database, not in Redis, so a Redis outage or
    restart does not lift the limits."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    count = models.PositiveIntegerField(_("count"), default=0)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("rate count")
        verbose_name_plural = _("rate counts")

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
