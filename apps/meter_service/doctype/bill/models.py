from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import validators
from apps.meter_service.doctype.bill import rules
from apps.meter_service.doctype.subscriber.models import ClimateZone, Subscriber, TariffGroup


class BillSource(models.TextChoices):
    IMPORT = "import", _("File import")
    API = "api", _("Billing system (API)")
    DESK = "desk", _("Desk")
    DEMO = "demo", _("Demo data")


class Bill(models.Model):
    """A gas bill as the billing system issued it: one reading period of a subscription.

    The period runs from period_start up to period_end, exclusive: period_end is the day of
    the reading that closed it, which is the next period's start. A bill is known by its
    bill ID and payment ID together (the bill ID is the same on every bill of a
    subscription; the payment ID names the period and the amount).
    """

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.PROTECT, related_name="bills", verbose_name=_("subscriber")
    )
    bill_id = models.CharField(
        _("bill ID"), max_length=13, validators=[validators.validate_canonical_gas_bill_id]
    )
    payment_id = models.CharField(
        _("payment ID"), max_length=13, validators=[validators.validate_canonical_payment_id]
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(
        _("period end"), help_text=_("The day of the closing reading: the next period's start.")
    )
    previous_reading = models.DecimalField(
        _("previous reading (m³)"),
        max_digits=12,
        decimal_places=3,
        validators=[MinValueValidator(0)],
    )
    current_reading = models.DecimalField(
        _("current reading (m³)"),
        max_digits=12,
        decimal_places=3,
        validators=[MinValueValidator(0)],
    )
    volume_m3 = models.DecimalField(
        _("volume (m³)"), max_digits=12, decimal_places=3, validators=[MinValueValidator(0)]
    )
    amount_rial = models.PositiveBigIntegerField(_("amount (Rial)"))
    tariff_group = models.CharField(_("tariff group"), max_length=20, choices=TariffGroup.choices)
    climate_zone = models.PositiveSmallIntegerField(_("climate zone"), choices=ClimateZone.choices)
    is_estimated = models.BooleanField(
        _("estimated"),
        default=False,
        help_text=_("The volume was estimated, not read from the meter."),
    )
    meter_changed = models.BooleanField(
        _("meter changed in the period"),
        default=False,
        help_text=_("The readings belong to two meters, so the volume is not their difference."),
    )
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=BillSource.choices, default=BillSource.IMPORT
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("gas bill")
        verbose_name_plural = _("gas bills")
        ordering = ["subscriber", "-period_start"]
        indexes = [models.Index(fields=["subscriber", "period_start"])]
        constraints = [
            models.UniqueConstraint(
                fields=["bill_id", "payment_id"],
                name="bill_unique_bill_and_payment_id",
                violation_error_message=_("A bill with this bill ID and payment ID exists."),
            ),
            models.CheckConstraint(
                condition=Q(period_end__gt=F("period_start")),
                name="bill_period_ends_after_start",
                violation_error_message=_("The period must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(meter_changed=True) | Q(current_reading__gte=F("previous_reading")),
                name="bill_reading_not_below_previous",
                violation_error_message=_(
                    "The current reading cannot be below the previous one, unless the meter "
                    "was changed in the period."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bill_id} / {self.payment_id}"

    @property
    def days(self) -> int:
        return (self.period_end - self.period_start).days

    def clean(self) -> None:

        rules.check_bill(self)
