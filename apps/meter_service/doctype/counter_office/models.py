from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.meter_service.doctype.counter_office.error_codes import CounterOfficeErrorCode

office_code_validator = RegexValidator(
    r"^\d{3,10}$",
    _("Enter an office code of 3 to 10 digits."),
    code=CounterOfficeErrorCode.OFFICE_CODE,
)


class CounterOffice(models.Model):
    """A government counter office (دفتر پیشخوان) that files claims for walk-in subscribers."""

    code = models.CharField(
        _("office code"), max_length=10, unique=True, validators=[office_code_validator]
    )
    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=100, db_index=True)
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(
        _("phone"),
        max_length=11,
        blank=True,
        validators=[
            RegexValidator(r"^0\d{10}$", _("Enter an 11-digit phone number, e.g. 02833372465."))
        ],
    )
    is_active = models.BooleanField(_("active"), default=True)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="counter_offices",
        verbose_name=_("operators"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("counter office")
        verbose_name_plural = _("counter offices")
        ordering = ["city", "name"]

    def __str__(self) -> str:
        return f"{self.code} - {self.name}"
