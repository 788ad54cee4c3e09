from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from apps.meter_service.doctype.meter.models import MeterSize


class FeeKind(models.TextChoices):
    METER_TEST = "meter_test", _("Meter test fee")
    COUNTER_OFFICE = "counter_office", _("Counter-office fee")


class FeeTariff(models.Model):
    """A fee in force from a date: the meter test fee, or a channel's own fee.

    Blank meter size or customer type means "any"; the most specific tariff in force on
    the filing date wins.
    """

    kind = models.CharField(_("fee"), max_length=20, choices=FeeKind.choices)
    meter_size = models.CharField(
        _("meter size"),
        max_length=5,
        blank=True,
        choices=[("", _("Any")), *MeterSize.choices],
    )
    customer_type = models.CharField(
        _("customer type"),
        max_length=3,
        blank=True,
        choices=[("", _("Any")), ("g2c", _("Citizen (G2C)")), ("g2b", _("Business (G2B)"))],
    )
    amount_rial = models.PositiveBigIntegerField(
        _("amount (Rial)"), validators=[MinValueValidator(0)]
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(
        _("valid to"), null=True, blank=True, help_text=_("Leave empty while in force.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fee tariff")
        verbose_name_plural = _("fee tariffs")
        ordering = ["kind", "-valid_from"]
        indexes = [models.Index(fields=["kind", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="fee_tariff_valid_range",
                violation_error_message=_("A tariff cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_rial:,}"
