from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Agency(models.Model):
    """A government body (G2G) or the IVR that files or follows claims through the API."""

    code = models.CharField(
        _("agency code"),
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9][a-z0-9_-]{1,19}$", _("Use a-z, 0-9, '-' or '_'."))],
    )
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="agencies",
        verbose_name=_("API clients"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
