from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from apps.meter_service.doctype.subscriber.models import ClimateZone, TariffGroup


class Season(models.TextChoices):
    WARM = "warm", _("Warm months")
    COLD = "cold", _("Cold months")


class PricingMethod(models.TextChoices):
    """How a month's volume is priced on the blocks; shown on every statement."""

    SLAB = "slab", _("Each block's slice at its own rate")
    WHOLE = "whole", _("The whole volume at its block's rate")


class GasTariff(models.Model):
    """A gas price table in force over a span of days: one season's blocks for one group.

    Both dates are inclusive, as tariffs are published ("from 1397/01/16 to 1397/08/15");
    an empty end means in force until a later table replaces it. An empty climate zone means
    every zone; a table for the subscriber's own zone wins over one for every zone.
    """

    name = models.CharField(_("name"), max_length=200)
    tariff_group = models.CharField(
        _("tariff group"), max_length=20, choices=TariffGroup.choices, default=TariffGroup.HOUSEHOLD
    )
    season = models.CharField(_("season"), max_length=4, choices=Season.choices)
    climate_zone = models.PositiveSmallIntegerField(
        _("climate zone"),
        choices=ClimateZone.choices,
        null=True,
        blank=True,
        help_text=_("Leave empty when the table serves every climate zone."),
    )
    effective_from = models.DateField(_("in force from"))
    effective_to = models.DateField(
        _("in force until"),
        null=True,
        blank=True,
        help_text=_("The last day the table is in force (inclusive); empty while in force."),
    )
    pricing_method = models.CharField(
        _("pricing method"),
        max_length=5,
        choices=PricingMethod.choices,
        default=PricingMethod.SLAB,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("gas tariff")
        verbose_name_plural = _("gas tariffs")
        ordering = ["tariff_group", "-effective_from", "season", "climate_zone"]
        indexes = [models.Index(fields=["tariff_group", "effective_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="gas_tariff_effective_range",
                violation_error_message=_("A tariff cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GasTariffBlock(models.Model):
    """One consumption block of a tariff, in whole cubic metres a month, as published.

    Both bounds are inclusive: "46 to 95" is the 46th to the 95th cubic metre of the month,
    so a block starts one cubic metre after the previous one ends (the first at 0), and a
    volume of 45.5 m³ is past the first block. The last block has no upper bound.
    """

    tariff = models.ForeignKey(
        GasTariff, on_delete=models.CASCADE, related_name="blocks", verbose_name=_("gas tariff")
    )
    from_m3 = models.PositiveIntegerField(_("from (m³ a month)"))
    to_m3 = models.PositiveIntegerField(
        _("to (m³ a month)"),
        null=True,
        blank=True,
        help_text=_("Leave empty on the last block."),
    )
    rial_per_m3 = models.PositiveIntegerField(
        _("price (Rial per m³)"), validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("consumption block")
        verbose_name_plural = _("consumption blocks")
        ordering = ["tariff", "from_m3"]
        constraints = [
            models.UniqueConstraint(
                fields=["tariff", "from_m3"], name="gas_tariff_block_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(to_m3__isnull=True) | Q(to_m3__gte=F("from_m3")),
                name="gas_tariff_block_range",
                violation_error_message=_("A block cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(rial_per_m3__gte=0),
                name="gas_tariff_block_price_not_negative",
                violation_error_message=_("A price cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        end = "" if self.to_m3 is None else self.to_m3
        return f"{self.from_m3}–{end}: {self.rial_per_m3:,}"
