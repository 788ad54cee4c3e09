"""The meter test record: the equipment it used, its test points, findings, photos, verdict."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.meter_service.doctype.claim.models import Verdict


class EquipmentKind(models.TextChoices):
    LAB_BENCH = "lab_bench", _("Lab test bench")
    PORTABLE_PROVER = "portable_prover", _("Portable prover")


class TestType(models.TextChoices):
    # The same ids as the test_type field of the BPMN's Task_schedule.
    FIELD = "field", _("In the field (portable prover)")
    LAB = "lab", _("On the lab bench")


# The equipment each kind of test is done with.
EQUIPMENT_FOR_TEST: dict[str, EquipmentKind] = {
    TestType.FIELD: EquipmentKind.PORTABLE_PROVER,
    TestType.LAB: EquipmentKind.LAB_BENCH,
}


class SealState(models.TextChoices):
    INTACT = "intact", _("Intact")
    BROKEN = "broken", _("Broken")
    MISSING = "missing", _("Missing")


class FlowBand(models.TextChoices):
    LOW = "low", _("Low flow (Qmin to Qt)")
    HIGH = "high", _("High flow (Qt to Qmax)")


FAULTY_VERDICTS = (Verdict.FAST, Verdict.SLOW, Verdict.STOPPED)


class TestEquipment(models.Model):
    """A lab test bench or a portable prover, with the date its calibration runs out."""

    __test__ = False  # not a pytest test class, whatever its name

    kind = models.CharField(_("kind"), max_length=20, choices=EquipmentKind.choices)
    identifier = models.CharField(_("identifier"), max_length=40, unique=True)
    make = models.CharField(_("make"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    calibration_due = models.DateField(_("calibration due"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("test equipment")
        verbose_name_plural = _("test equipment")
        ordering = ["kind", "identifier"]

    def __str__(self) -> str:
        return f"{self.identifier} ({self.get_kind_display()})"


class Inspection(models.Model):
    """One test of a claim's meter: what was found and what follows from it.

    The results (error, tolerance, band, verdict) are computed by the service from the test
    points and the rule settings, never entered.
    """

    claim = models.ForeignKey(
        "meter_service.Claim",
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name=_("claim"),
    )
    meter = models.ForeignKey(
        "meter_service.Meter",
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name=_("meter"),
    )
    test_type = models.CharField(_("test type"), max_length=10, choices=TestType.choices)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("technician"),
    )
    equipment = models.ForeignKey(
        TestEquipment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
        verbose_name=_("test equipment"),
    )
    tested_at = models.DateTimeField(_("tested at"))
    serial_seen = models.CharField(_("serial seen on the meter"), max_length=40)
    serial_matches = models.BooleanField(_("serial matches the record"))
    seal_state = models.CharField(_("seal"), max_length=10, choices=SealState.choices)
    stopped = models.BooleanField(_("meter stopped"), default=False)
    register_fault = models.BooleanField(_("register (index) fault"), default=False)
    leak = models.BooleanField(_("leak"), default=False)
    tampering = models.BooleanField(_("signs of tampering"), default=False)
    notes = models.TextField(_("notes"), blank=True, max_length=500)
    # Computed by the service (rules.assess and the DMN decision test_verdict).
    error_percent = models.DecimalField(
        _("error of the decisive point (%)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    mean_error_percent = models.DecimalField(
        _("mean error (%)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    mpe = models.DecimalField(
        _("tolerance used (± %)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    band = models.CharField(_("flow band"), max_length=4, choices=FlowBand.choices, blank=True)
    accuracy_class = models.CharField(_("accuracy class"), max_length=3)
    verdict = models.CharField(_("verdict"), max_length=20, choices=Verdict.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    custom_fields = models.JSONField(
        _("custom fields"), default=dict, blank=True, help_text=_("Values of the custom fields.")
    )

    class Meta:
        verbose_name = _("meter test")
        verbose_name_plural = _("meter tests")
        ordering = ["-tested_at", "-id"]
        indexes = [models.Index(fields=["claim", "tested_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(error_percent__isnull=True) | Q(mpe__isnull=False),
                name="inspection_error_has_tolerance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim} · {self.get_verdict_display()}"

    @property
    def tampered(self) -> bool:
        """Tampering, or a seal that is broken or missing: what the process charges for."""
        return self.tampering or self.seal_state != SealState.INTACT

    @property
    def not_registering(self) -> bool:
        """Stopped, or a register that does not count: the meter measures nothing usable."""
        return self.stopped or self.register_fault


class TestPoint(models.Model):
    """One flow point of a test: the volume the reference passed and the meter registered."""

    __test__ = False  # not a pytest test class, whatever its name

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="points", verbose_name=_("meter test")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    flow_rate_m3h = models.DecimalField(
        _("flow rate (m³/h)"),
        max_digits=8,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    reference_volume_m3 = models.DecimalField(
        _("reference volume (m³)"),
        max_digits=10,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0.0001"))],
    )
    meter_volume_m3 = models.DecimalField(
        _("meter volume (m³)"),
        max_digits=10,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0"))],
    )
    temperature_c = models.DecimalField(
        _("temperature (°C)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    pressure_kpa = models.DecimalField(
        _("pressure (kPa)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    error_percent = models.DecimalField(_("error (%)"), max_digits=6, decimal_places=2)
    band = models.CharField(_("flow band"), max_length=4, choices=FlowBand.choices)
    tolerance_percent = models.DecimalField(_("tolerance (± %)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("test point")
        verbose_name_plural = _("test points")
        ordering = ["inspection", "position", "id"]

    def __str__(self) -> str:
        # The row's title on the test's desk page: the active language's digits and units.
        # Local: the display module imports these models.
        from apps.meter_service.doctype.inspection.display import format_percent, format_volume

        return gettext("%(flow)s m³/h: error %(error)s") % {
            "flow": format_volume(self.flow_rate_m3h),
            "error": format_percent(self.error_percent),
        }

    @property
    def within(self) -> bool:
        return abs(self.error_percent) <= self.tolerance_percent


class InspectionPhoto(models.Model):
    """A photo taken at the test (the meter, its seal, its index), JPEG or PNG."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="photos", verbose_name=_("meter test")
    )
    image = models.FileField(_("photo"), upload_to="inspections/%Y/%m/")
    content_type = models.CharField(_("content type"), max_length=20)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("test photo")
        verbose_name_plural = _("test photos")
        ordering = ["inspection", "id"]

    def __str__(self) -> str:
        return self.image.name
