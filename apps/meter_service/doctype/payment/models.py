from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.meter_service.doctype.claim.models import PaymentMethod


class PaymentStatus(models.TextChoices):
    INITIATED = "initiated", _("Initiated")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Payment(models.Model):
    """One attempt to collect a claim's fee: online through the gateway, or taken in person."""

    claim = models.ForeignKey(
        "meter_service.Claim",
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("claim"),
    )
    method = models.CharField(_("payment method"), max_length=20, choices=PaymentMethod.choices)
    amount_rial = models.PositiveBigIntegerField(_("amount (Rial)"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PaymentStatus.choices,
        default=PaymentStatus.INITIATED,
        db_index=True,
    )
    # True on the paid payment, NULL on every other: with the unique constraint below, at
    # most one paid payment per claim, enforced by the database on SQLite and MariaDB alike.
    is_paid = models.BooleanField(null=True, default=None, editable=False)
    authority = models.CharField(
        _("gateway authority"), max_length=64, unique=True, null=True, blank=True
    )
    ref_id = models.CharField(
        _("bank reference"), max_length=64, unique=True, null=True, blank=True
    )
    card_pan = models.CharField(_("card (masked)"), max_length=19, blank=True)
    receipt_number = models.CharField(_("receipt number"), max_length=50, blank=True)
    failure_reason = models.CharField(_("reason"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    verify_response = models.JSONField(_("gateway verify answer"), default=dict, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "is_paid"],
                name="one_paid_payment_per_claim",
                violation_error_message=_("This claim already has a paid payment."),
            ),
            models.CheckConstraint(
                # IS NOT NULL spelled out: a CHECK passes when its condition is unknown.
                condition=Q(status="paid", is_paid__isnull=False, is_paid=True)
                | (~Q(status="paid") & Q(is_paid__isnull=True)),
                name="payment_is_paid_marks_paid",
            ),
            models.CheckConstraint(
                condition=~Q(method="gateway") | Q(authority__isnull=False),
                name="payment_gateway_has_authority",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim} / {self.get_method_display()} / {self.get_status_display()}"


class BillCharge(models.Model):
    """A claim's fee to be added to the subscriber's next gas bill by the billing system."""

    claim = models.OneToOneField(
        "meter_service.Claim",
        on_delete=models.PROTECT,
        related_name="bill_charge",
        verbose_name=_("claim"),
    )
    bill_id = models.CharField(_("bill ID"), max_length=13)
    amount_rial = models.PositiveBigIntegerField(_("amount (Rial)"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True, db_index=True)
    export_batch = models.CharField(_("export batch"), max_length=40, blank=True, db_index=True)

    class Meta:
        verbose_name = _("charge to the next bill")
        verbose_name_plural = _("charges to the next bill")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.claim} / {self.bill_id}"


# Record rules: a payment or a bill charge is visible to whoever may see its claim (the
# subscriber their own, an office its own office's, company staff all).
