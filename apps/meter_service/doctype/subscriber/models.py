from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import validators
from apps.meter_service.doctype.subscriber import rules
from apps.meter_service.doctype.subscriber.error_codes import SubscriberErrorCode

subscription_number_validator = RegexValidator(
    r"^\d{1,8}$",
    _("Enter a subscription number of 1 to 8 digits."),
    code=SubscriberErrorCode.SUBSCRIPTION_NUMBER,
)


class CustomerType(models.TextChoices):
    CITIZEN = "g2c", _("Citizen (G2C)")
    BUSINESS = "g2b", _("Business (G2B)")


class TariffGroup(models.TextChoices):
    HOUSEHOLD = "household", _("Household")
    COMMERCIAL = "commercial", _("Commercial")
    PUBLIC = "public", _("Public services")
    INDUSTRIAL = "industrial", _("Industrial")


class ClimateZone(models.IntegerChoices):
    ZONE_1 = 1, _("Zone 1 (coldest)")
    ZONE_2 = 2, _("Zone 2")
    ZONE_3 = 3, _("Zone 3")
    ZONE_4 = 4, _("Zone 4")
    ZONE_5 = 5, _("Zone 5 (warmest)")


class Subscriber(models.Model):
    """A gas subscription and the person or business that holds it."""

    subscription_number = models.CharField(
        _("subscription number"),
        max_length=8,
        unique=True,
        validators=[subscription_number_validator],
    )
    bill_id = models.CharField(
        _("bill ID"),
        max_length=13,
        unique=True,
        validators=[validators.validate_canonical_gas_bill_id],
    )
    customer_type = models.CharField(
        _("customer type"), max_length=3, choices=CustomerType.choices, default=CustomerType.CITIZEN
    )
    national_id = models.CharField(
        _("national ID"),
        max_length=10,
        blank=True,
        db_index=True,
        validators=[validators.validate_canonical_national_id],
        help_text=_("For a citizen: the 10-digit national ID."),
    )
    national_legal_id = models.CharField(
        _("national legal ID"),
        max_length=11,
        blank=True,
        db_index=True,
        validators=[validators.validate_canonical_national_legal_id],
        help_text=_("For a business: the 11-digit national ID of the legal entity."),
    )
    name = models.CharField(_("name"), max_length=200)
    mobile = models.CharField(
        _("mobile"), max_length=11, validators=[validators.validate_canonical_mobile]
    )
    city = models.CharField(_("city"), max_length=100)
    address = models.TextField(_("address"))
    postal_code = models.CharField(
        _("postal code"),
        max_length=10,
        blank=True,
        validators=[RegexValidator(r"^\d{10}$", _("Enter a 10-digit postal code."))],
    )
    tariff_group = models.CharField(
        _("tariff group"), max_length=20, choices=TariffGroup.choices, default=TariffGroup.HOUSEHOLD
    )
    climate_zone = models.PositiveSmallIntegerField(
        _("climate zone"), choices=ClimateZone.choices, default=ClimateZone.ZONE_1
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subscriptions",
        verbose_name=_("portal account"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    custom_fields = models.JSONField(
        _("custom fields"), default=dict, blank=True, help_text=_("Values of the custom fields.")
    )

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        ordering = ["subscription_number"]
        # The dashboards' city filter and its list of cities (an index-only DISTINCT).
        indexes = [models.Index(fields=["city"], name="subscriber_city")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(customer_type="g2c") & ~Q(national_id=""))
                | (Q(customer_type="g2b") & ~Q(national_legal_id="")),
                name="subscriber_identity_by_customer_type",
                violation_error_message=_(
                    "A citizen needs a national ID and a business a national legal ID."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_number} - {self.name}"

    def clean(self) -> None:

        rules.check_subscriber(self)
