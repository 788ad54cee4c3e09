"""A faulty meter's bill correction, as the billing officer reviews and the manager approves it.

Every figure is stored with what it came from: each period names its bill, each piece names
its tariff, and the correction keeps the rule inputs and settings it was computed with, so a
statement can be traced back without recomputing.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CorrectionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft: under review by the billing officer")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting the service manager's approval")
    APPROVED = "approved", _("Approved and posted to billing")
    # The billing officer closed the step: no bill or reading to correct from (a reason kept).
    NOT_POSSIBLE = "not_possible", _("Closed: no correction possible")


class CorrectionMethod(models.TextChoices):
    SCALED = "scaled", _("Scaled by the measured error")
    SAME_DAYS_EARLIER_YEARS = (
        "same_days_earlier_years",
        _("Estimated from the same days of earlier years"),
    )
    PERIODS_AROUND = "periods_around", _("Estimated from the periods around it")
    OVERRIDE = "override", _("Set by the billing officer")


class BillCorrection(models.Model):
    """One claim's correction: the window, the rule inputs, the totals and who signed it."""

    claim = models.OneToOneField(
        "meter_service.Claim",
        on_delete=models.PROTECT,
        related_name="correction",
        verbose_name=_("claim"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=CorrectionStatus.choices,
        default=CorrectionStatus.DRAFT,
    )
    verdict = models.CharField(_("verdict"), max_length=20)
    error_percent = models.DecimalField(
        _("error used (%)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    test_date = models.DateField(_("test date"))
    last_test_date = models.DateField(_("last test or installation date"))
    last_verified_reading_date = models.DateField(
        _("last verified reading date"), null=True, blank=True
    )
    window_note = models.CharField(_("why this reading date"), max_length=300, blank=True)
    max_window_days = models.PositiveIntegerField(_("maximum window (days)"))
    window_start = models.DateField(_("window from"))
    window_end = models.DateField(_("window to (exclusive)"))
    rules_used = models.JSONField(_("rule settings used"), default=dict)
    registered_rial = models.BigIntegerField(_("as registered (Rial)"), default=0)
    corrected_rial = models.BigIntegerField(_("as corrected (Rial)"), default=0)
    difference_rial = models.BigIntegerField(
        _("difference (Rial)"),
        default=0,
        help_text=_("Positive: the subscriber owes more; negative: a credit to the subscriber."),
    )
    computed_at = models.DateTimeField(_("computed at"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("computed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    review_note = models.CharField(_("review note"), max_length=500, blank=True)
    not_possible_reason = models.CharField(
        _("why no correction is possible"), max_length=500, blank=True
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approval_note = models.CharField(_("approval note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("bill correction")
        verbose_name_plural = _("bill corrections")
        ordering = ["-computed_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_start__lt=models.F("window_end")),
                name="correction_window_not_empty",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    difference_rial=models.F("corrected_rial") - models.F("registered_rial")
                ),
                name="correction_difference_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return str(self.claim)

    @property
    def window_last_day(self) -> datetime.date:
        return self.window_end - datetime.timedelta(days=1)


class CorrectionPeriod(models.Model):
    """One billed period inside the window (clipped to it), re-priced."""

    correction = models.ForeignKey(BillCorrection, on_delete=models.CASCADE, related_name="periods")
    # Empty for the days after the last bill up to the test, not billed yet: their volume
    # comes from the final reading taken when the meter was replaced (the work order).
    bill = models.ForeignKey(
        "meter_service.Bill",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bill"),
    )
    position = models.PositiveSmallIntegerField()
    start = models.DateField(_("from"))
    end = models.DateField(_("to (exclusive)"))
    registered_m3 = models.DecimalField(_("registered (m³)"), max_digits=12, decimal_places=3)
    corrected_m3 = models.DecimalField(_("corrected (m³)"), max_digits=12, decimal_places=3)
    method = models.CharField(_("method"), max_length=30, choices=CorrectionMethod.choices)
    note = models.CharField(_("reason"), max_length=300, blank=True)
    billed_rial = models.BigIntegerField(_("billed for these days (Rial)"))
    registered_rial = models.BigIntegerField(_("as registered (Rial)"))
    corrected_rial = models.BigIntegerField(_("as corrected (Rial)"))
    difference_rial = models.BigIntegerField(_("difference (Rial)"))

    class Meta:
        verbose_name = _("corrected period")
        verbose_name_plural = _("corrected periods")
        ordering = ["correction", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["correction", "bill"], name="correction_period_once_per_bill"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start} – {self.end}"

    @property
    def last_day(self) -> datetime.date:
        """The last day inside (the end is exclusive: the next period's first day)."""
        return self.end - datetime.timedelta(days=1)


class CorrectionPiece(models.Model):
    """The days of a period under one tariff."""

    period = models.ForeignKey(CorrectionPeriod, on_delete=models.CASCADE, related_name="pieces")
    tariff = models.ForeignKey(
        "meter_service.GasTariff",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("tariff"),
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("to (exclusive)"))
    days = models.PositiveIntegerField(_("days"))
    registered_m3 = models.DecimalField(_("registered (m³)"), max_digits=12, decimal_places=3)
    corrected_m3 = models.DecimalField(_("corrected (m³)"), max_digits=12, decimal_places=3)
    registered_rial = models.BigIntegerField(_("as registered (Rial)"))
    corrected_rial = models.BigIntegerField(_("as corrected (Rial)"))

    class Meta:
        verbose_name = _("tariff piece")
        verbose_name_plural = _("tariff pieces")
        ordering = ["period", "start"]

    def __str__(self) -> str:
        return f"{self.start} – {self.end}"

    @property
    def last_day(self) -> datetime.date:
        """The last day inside (the end is exclusive: the next period's first day)."""
        return self.end - datetime.timedelta(days=1)


class AdjustmentKind(models.TextChoices):
    CORRECTION = "correction", _("Bill correction")
    FEE_REFUND = "fee_refund", _("Test fee refunded")
    FEE_WAIVER = "fee_waiver", _("Test fee waived")
    DAMAGE = "damage", _("Damage from tampering")


class BillingAdjustment(models.Model):
    """A line the billing system posts to the subscriber's account, exported exactly once.

    Positive amounts are debits (the subscriber owes more), negative amounts credits.
    `line_key` names what the line is for, so the same line is never created twice.
    """

    claim = models.ForeignKey(
        "meter_service.Claim",
        on_delete=models.PROTECT,
        related_name="billing_adjustments",
        verbose_name=_("claim"),
    )
    correction = models.ForeignKey(
        BillCorrection,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adjustments",
        verbose_name=_("bill correction"),
    )
    line_key = models.CharField(max_length=80, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=AdjustmentKind.choices)
    bill_id = models.CharField(_("bill ID"), max_length=13)
    corrected_payment_id = models.CharField(
        _("payment ID of the corrected bill"), max_length=13, blank=True
    )
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    amount_rial = models.BigIntegerField(_("amount (Rial)"))
    description = models.CharField(_("description"), max_length=300)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True, db_index=True)
    export_batch = models.CharField(_("export batch"), max_length=40, blank=True, db_index=True)

    class Meta:
        verbose_name = _("billing adjustment")
        verbose_name_plural = _("billing adjustments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount_rial=0), name="billing_adjustment_not_zero"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.bill_id} {self.amount_rial}"
