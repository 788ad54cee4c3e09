from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import validators


class Verdict(models.TextChoices):
    # The outputs of the DMN decision test_verdict (workflows/test_verdict.dmn): a test's
    # verdict, kept on the test and in the claim's findings.
    WITHIN_TOLERANCE = "within_tolerance", _("Within tolerance")
    FAST = "fast", _("Runs fast")
    SLOW = "slow", _("Runs slow")
    STOPPED = "stopped", _("Stopped")
    TAMPERED = "tampered", _("Tampered with")


class Channel(models.TextChoices):
    WEB = "web", _("Website")
    COUNTER_OFFICE = "counter_office", _("Counter office")
    IN_PERSON = "in_person", _("In person (service desk)")
    AGENCY = "agency", _("Agency (G2G)")
    PHONE = "phone", _("Phone")


class ClaimReason(models.TextChoices):
    FAST = "fast", _("Runs fast (bills too high)")
    SLOW = "slow", _("Runs slow")
    STOPPED = "stopped", _("Stopped")
    NOISY = "noisy", _("Noisy")
    OTHER = "other", _("Other")


class ClaimStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    PAID = "paid", _("Paid; waiting for the test")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired unpaid")


OPEN_STATUSES = (ClaimStatus.AWAITING_PAYMENT, ClaimStatus.PAID, ClaimStatus.IN_PROGRESS)


class ClaimOutcome(models.TextChoices):
    NO_FAULT = "no_fault", _("No fault: within tolerance")
    FAULTY = "faulty", _("Faulty: replaced and corrected")
    TAMPERED = "tampered", _("Tampered with")


class FeeOutcome(models.TextChoices):
    KEEP = "keep", _("Fee kept")
    REFUND = "refund", _("Fee refunded")
    WAIVE = "waive", _("Fee waived")


class PaymentMethod(models.TextChoices):
    GATEWAY = "gateway", _("Online payment gateway")
    COUNTER_OFFICE = "counter_office", _("At the counter office")
    IN_PERSON = "in_person", _("In person at the service desk")
    NEXT_BILL = "next_bill", _("Added to the next gas bill")


class VisitTime(models.TextChoices):
    ANY = "any", _("Any time in office hours")
    MORNING = "morning", _("Mornings (8-12)")
    AFTERNOON = "afternoon", _("Afternoons (12-16)")


class Claim(models.Model):
    """A subscriber's claim that their meter is faulty: the meter test request."""

    tracking_code = models.CharField(_("tracking code"), max_length=10, unique=True)
    subscriber = models.ForeignKey(
        "meter_service.Subscriber",
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("subscriber"),
    )
    meter = models.ForeignKey(
        "meter_service.Meter",
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("meter"),
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    counter_office = models.ForeignKey(
        "meter_service.CounterOffice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("counter office"),
    )
    agency = models.ForeignKey(
        "meter_service.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("agency"),
    )
    customer_type = models.CharField(_("customer type"), max_length=3)
    reason = models.CharField(_("reason"), max_length=10, choices=ClaimReason.choices)
    reason_text = models.TextField(_("description"), blank=True)
    last_reading = models.DecimalField(
        _("last meter reading (m³)"),
        max_digits=12,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0"))],
    )
    last_reading_date = models.DateField(_("date of the last reading"))
    last_bill_id = models.CharField(
        _("bill ID of the last settled bill"),
        max_length=13,
        blank=True,
        validators=[validators.validate_canonical_gas_bill_id],
    )
    last_payment_id = models.CharField(
        _("payment ID of the last settled bill"),
        max_length=13,
        blank=True,
        validators=[validators.validate_canonical_payment_id],
    )
    last_bill_scan = models.FileField(
        _("scan of the last settled bill"), upload_to="claims/bills/%Y/%m/", blank=True
    )
    contact_mobile = models.CharField(
        _("contact mobile"), max_length=11, validators=[validators.validate_canonical_mobile]
    )
    preferred_visit = models.CharField(
        _("preferred visit time"), max_length=10, choices=VisitTime.choices, default=VisitTime.ANY
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ClaimStatus.choices,
        default=ClaimStatus.AWAITING_PAYMENT,
        db_index=True,
    )
    # True while the claim is open, NULL once it ends: with the unique constraint below, at
    # most one open claim per meter, enforced by the database on SQLite and MariaDB alike.
    is_open = models.BooleanField(null=True, default=True, editable=False)
    payment_method = models.CharField(
        _("payment method"), max_length=20, choices=PaymentMethod.choices
    )
    test_fee = models.PositiveBigIntegerField(_("test fee (Rial)"))
    vat = models.PositiveBigIntegerField(_("VAT (Rial)"))
    channel_fee = models.PositiveBigIntegerField(_("channel fee (Rial)"), default=0)
    total_fee = models.PositiveBigIntegerField(_("total (Rial)"))
    fee_tariff = models.ForeignKey(
        "meter_service.FeeTariff",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("fee tariff"),
    )
    documents_checked = models.JSONField(_("documents checked"), default=dict, blank=True)
    # The answers to the process's claim form (its start event's form-js schema), by key.
    extra_fields = models.JSONField(_("more details"), default=dict, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("filed by"),
    )
    filed_at = models.DateTimeField(_("filed at"), db_index=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("pay by"), null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # Set by the process (apps/meter_service/workflows/meter_test.bpmn) as the claim moves on.
    test_visit_date = models.DateField(_("test visit date"), null=True, blank=True)
    test_visit_time = models.CharField(
        _("test visit time"), max_length=10, choices=VisitTime.choices, blank=True
    )
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=ClaimOutcome.choices, blank=True, db_index=True
    )
    fee_outcome = models.CharField(
        _("test fee"), max_length=10, choices=FeeOutcome.choices, blank=True
    )
    findings = models.JSONField(_("findings"), default=dict, blank=True)
    custom_fields = models.JSONField(
        _("custom fields"), default=dict, blank=True, help_text=_("Values of the custom fields.")
    )

    class Meta:
        verbose_name = _("meter test claim")
        verbose_name_plural = _("meter test claims")
        ordering = ["-filed_at"]
        permissions = [
            ("view_claim_status", _("Can look up the status of any claim")),
            ("view_dashboard", _("Can see the service manager's dashboards")),
            ("file_phone_claim", _("Can file claims taken by phone")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["meter", "is_open"],
                name="one_open_claim_per_meter",
                violation_error_message=_("This meter already has an open claim."),
            ),
            models.CheckConstraint(
                condition=~Q(channel="counter_office") | Q(counter_office__isnull=False),
                name="claim_counter_office_named",
                violation_error_message=_("A counter-office claim names its office."),
            ),
            models.CheckConstraint(
                condition=~Q(channel="agency") | Q(agency__isnull=False),
                name="claim_agency_named",
                violation_error_message=_("An agency claim names its agency."),
            ),
        ]
        indexes = [
            models.Index(fields=["subscriber", "filed_at"]),
            models.Index(fields=["counter_office", "filed_at"]),
            # An agency's list, newest first, read in order from the index (no sort).
            models.Index(fields=["agency", "filed_at"], name="claim_agency_filed"),
            # The dashboards (apps/meter_service/dashboards/, chosen from the query plans of
            # benchmarks/dashboards.py): counts by status and channel read this index alone;
            # service time narrows closed claims by date; fault rates read tested claims with
            # their meter without touching the rows.
            models.Index(
                fields=["filed_at", "status", "channel"], name="claim_filed_status_channel"
            ),
            models.Index(fields=["status", "filed_at"], name="claim_status_filed"),
            models.Index(fields=["outcome", "filed_at", "meter"], name="claim_outcome_filed_meter"),
            # Refunded and waived fees read the few settled claims of the range, not all.
            models.Index(fields=["fee_outcome", "filed_at"], name="claim_fee_outcome_filed"),
        ]

    def __str__(self) -> str:
        return self.tracking_code
