"""Replacement work orders: the emergency post unit swaps a meter found faulty."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkOrderStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class WorkOrder(models.Model):
    """The replacement of a claim's meter: opened by the process when the verdict is faulty,
    completed by the crew with the old and new meters' readings."""

    claim = models.ForeignKey(
        "meter_service.Claim",
        on_delete=models.PROTECT,
        related_name="work_orders",
        verbose_name=_("claim"),
    )
    meter = models.ForeignKey(
        "meter_service.Meter",
        on_delete=models.PROTECT,
        related_name="work_orders",
        verbose_name=_("old meter"),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=WorkOrderStatus.choices,
        default=WorkOrderStatus.OPEN,
        db_index=True,
    )
    # True while open or done, NULL once cancelled: with the unique constraint below a claim
    # has one work order that counts (MariaDB has no partial unique indexes).
    is_live = models.BooleanField(null=True, default=True, editable=False)
    crew = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="work_orders", verbose_name=_("crew")
    )
    crew_names = models.CharField(
        _("other crew members"),
        max_length=200,
        blank=True,
        help_text=_("Names of crew members without an account, separated by commas."),
    )
    scheduled_for = models.DateField(_("scheduled for"), null=True, blank=True)
    done_at = models.DateTimeField(_("replaced at"), null=True, blank=True)
    old_serial_seen = models.CharField(_("serial read on the old meter"), max_length=40, blank=True)
    old_final_reading = models.DecimalField(
        _("old meter: final reading (m³)"),
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    new_meter = models.ForeignKey(
        "meter_service.Meter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="installed_by_work_orders",
        verbose_name=_("new meter"),
    )
    new_initial_reading = models.DecimalField(
        _("new meter: initial reading (m³)"),
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    seal_numbers = models.CharField(_("seal numbers"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "is_live"],
                name="one_live_work_order_per_claim",
                violation_error_message=_("This claim already has a work order."),
            ),
        ]
        indexes = [models.Index(fields=["status", "scheduled_for"])]

    def __str__(self) -> str:
        return f"WO-{self.pk}"


def _photo_path(photo: "WorkOrderPhoto", filename: str) -> str:
    # The name is ours, not the uploader's: the type was read from the content.
    extension = {"image/jpeg": "jpg", "image/png": "png"}.get(photo.content_type, "bin")
    return f"work_orders/{photo.work_order_id}/{photo.uid}.{extension}"


class WorkOrderPhoto(models.Model):
    """A photo the crew took of the meters and seals (JPEG or PNG, checked by content)."""

    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="photos", verbose_name=_("work order")
    )
    uid = models.CharField(max_length=32, unique=True, editable=False)
    image = models.FileField(_("photo"), upload_to=_photo_path)
    content_type = models.CharField(_("type"), max_length=20)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("work order photo")
        verbose_name_plural = _("work order photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.image.name
