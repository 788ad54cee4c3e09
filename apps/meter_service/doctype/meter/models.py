from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from apps.meter_service.doctype.meter.error_codes import MeterErrorCode

serial_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9\-/]{2,39}$",
    _("Enter a meter serial of 3 to 40 letters, digits, '-' or '/'."),
    code=MeterErrorCode.SERIAL,
)


class MeterSize(models.TextChoices):
    G1_6 = "G1.6", "G1.6"
    G2_5 = "G2.5", "G2.5"
    G4 = "G4", "G4"
    G6 = "G6", "G6"
    G10 = "G10", "G10"
    G16 = "G16", "G16"
    G25 = "G25", "G25"
    G40 = "G40", "G40"
    G65 = "G65", "G65"
    G100 = "G100", "G100"


class AccuracyClass(models.TextChoices):
    CLASS_1_0 = "1.0", _("Class 1.0")
    CLASS_1_5 = "1.5", _("Class 1.5")


class MeterStatus(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    INSTALLED = "installed", _("Installed")
    UNDER_TEST = "under_test", _("Under test")
    FAULTY = "faulty", _("Faulty")
    RETIRED = "retired", _("Retired")


class Meter(models.Model):
    """A physical gas meter, identified by its serial."""

    serial = models.CharField(
        _("serial"), max_length=40, unique=True, validators=[serial_validator]
    )
    make = models.CharField(_("make"), max_length=100)
    model = models.CharField(_("model"), max_length=100, blank=True)
    size = models.CharField(_("size"), max_length=5, choices=MeterSize.choices)
    accuracy_class = models.CharField(
        _("accuracy class"), max_length=3, choices=AccuracyClass.choices, default="1.5"
    )
    manufacture_year = models.PositiveSmallIntegerField(
        _("manufacture year"), null=True, blank=True, validators=[MinValueValidator(1950)]
    )
    install_date = models.DateField(_("install date"), null=True, blank=True)
    last_test_date = models.DateField(_("last test date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=MeterStatus.choices, default=MeterStatus.IN_STOCK
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        ordering = ["serial"]
        indexes = [models.Index(fields=["make", "model"])]

    def __str__(self) -> str:
        return f"{self.serial} ({self.size})"


class InstallationReason(models.TextChoices):
    NEW_CONNECTION = "new_connection", _("New connection")
    REPLACEMENT = "replacement", _("Replacement")
    FAULT = "fault", _("Replaced after a failed test")
    OTHER = "other", _("Other")


class MeterInstallation(models.Model):
    """One period in which a meter was installed at a subscription: the meter history."""

    subscriber = models.ForeignKey(
        "meter_service.Subscriber",
        on_delete=models.PROTECT,
        related_name="installations",
        verbose_name=_("subscriber"),
    )
    meter = models.ForeignKey(
        Meter, on_delete=models.PROTECT, related_name="installations", verbose_name=_("meter")
    )
    installed_on = models.DateField(_("installed on"))
    initial_reading = models.DecimalField(
        _("initial reading (m³)"),
        max_digits=12,
        decimal_places=3,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    final_reading = models.DecimalField(
        _("final reading (m³)"),
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    reason = models.CharField(
        _("reason"),
        max_length=20,
        choices=InstallationReason.choices,
        default=InstallationReason.NEW_CONNECTION,
    )
    # True while installed, NULL once removed: a plain unique index over (subscriber,
    # is_current) then allows one current row, on MariaDB too (it has no partial indexes).
    is_current = models.BooleanField(_("current"), null=True, default=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("meter installation")
        verbose_name_plural = _("meter installations")
        ordering = ["-installed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "is_current"],
                name="one_current_meter_per_subscription",
                violation_error_message=_("This subscription already has a meter installed."),
            ),
            models.UniqueConstraint(
                fields=["meter", "is_current"],
                name="meter_installed_once",
                violation_error_message=_("This meter is already installed elsewhere."),
            ),
            models.CheckConstraint(
                condition=(Q(removed_on__isnull=True) & Q(is_current=True))
                | (Q(removed_on__isnull=False) & Q(is_current__isnull=True)),
                name="installation_current_until_removed",
            ),
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True) | Q(removed_on__gte=F("installed_on")),
                name="installation_removed_after_installed",
                violation_error_message=_("A meter cannot be removed before it was installed."),
            ),
            models.CheckConstraint(
                condition=Q(final_reading__isnull=True)
                | Q(final_reading__gte=F("initial_reading")),
                name="installation_final_reading_not_below_initial",
                violation_error_message=_("The final reading cannot be below the initial reading."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meter.serial} @ {self.subscriber.subscription_number}"
