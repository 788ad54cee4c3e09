"""Reads of claims, always through the record rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.meter_service import permissions
from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core import tracking
from apps.meter_service.core.display import format_quantity
from apps.meter_service.core.jalali import format_date, format_datetime
from apps.meter_service.doctype.claim.models import Claim, FeeOutcome, Verdict
from apps.meter_service.doctype.fee_tariff.rules import FeeQuote
from apps.meter_service.doctype.fee_tariff.selectors import fee_quote
from apps.meter_service.doctype.meter.history import HistorySection
from apps.meter_service.doctype.meter.models import Meter, MeterInstallation
from apps.meter_service.doctype.meter.selectors import current_installation
from apps.meter_service.doctype.subscriber.models import Subscriber


def claim_list(*, user: User | AnonymousUser) -> QuerySet[Claim]:
    """Return the claims the user may see, with what their lists show."""
    qs = Claim.objects.select_related("subscriber", "meter", "counter_office", "agency")
    return permissions.scope(user, qs)


def claim_scope(*, user: User | AnonymousUser) -> QuerySet[Claim]:
    """Return the claims the user may see, without their related rows: for lists read as
    values() rows, which pick their own joins (select_related would be cloned and dropped)."""
    return permissions.scope(user, Claim.objects.all())


def claim_get(*, user: User | AnonymousUser, pk: object) -> Claim:
    """Return one claim the user may see; Http404 whether missing or someone else's."""
    return permissions.access(user, claim_list(user=user), pk)


def claim_by_tracking_code(*, code: str) -> Claim | None:
    """Return the claim with this tracking code (callers check who may see what)."""
    code = tracking.normalize(code)
    if not tracking.is_valid(code):
        return None
    return Claim.objects.select_related("subscriber", "meter").filter(tracking_code=code).first()


@dataclass(frozen=True)
class ClaimResult:
    """How a tested claim ended, as the subscriber is shown it (portal, API, SMS).

    `correction_rial` is the bill correction the process approved: negative is a credit to
    the subscriber. `fee_refund_rial` is the test fee refunded or waived (0 when kept).
    """

    outcome: str
    outcome_label: str
    verdict: str
    verdict_label: str
    error_percent: float | None
    fee_outcome: str
    fee_outcome_label: str
    fee_refund_rial: int
    correction_rial: int | None
    damage_rial: int | None

    @property
    def correction_size_rial(self) -> int:
        """The correction's amount without its sign (a credit or a charge, as worded)."""
        return abs(self.correction_rial or 0)


def verdict_label(verdict: str) -> str:
    """The verdict of the test decision table, as people read it."""
    return str(Verdict(verdict).label) if verdict in Verdict.values else verdict


def fee_refund_rial(claim: Claim) -> int:
    """The test fee given back (refunded, or waived from the bill) when the claim closed."""
    if claim.fee_outcome in (FeeOutcome.REFUND, FeeOutcome.WAIVE):
        return int(claim.total_fee)
    return 0


def claim_result(claim: Claim) -> ClaimResult | None:
    """Return how the claim's test ended; None before it ended with a test outcome."""
    if not claim.outcome:
        return None
    findings = claim.findings or {}
    verdict = str(findings.get("verdict") or "")
    error = findings.get("error_percent")
    correction = findings.get("correction_rial")
    damage = findings.get("damage_rial")
    return ClaimResult(
        outcome=claim.outcome,
        outcome_label=str(claim.get_outcome_display()),
        verdict=verdict,
        verdict_label=verdict_label(verdict) if verdict else "",
        error_percent=float(error) if error is not None else None,
        fee_outcome=claim.fee_outcome,
        fee_outcome_label=str(claim.get_fee_outcome_display()) if claim.fee_outcome else "",
        fee_refund_rial=fee_refund_rial(claim),
        correction_rial=int(correction) if correction is not None else None,
        damage_rial=int(damage) if damage is not None else None,
    )


def claim_public_status(*, code: str, mobile_last4: str) -> Claim | None:
    """Return the claim for a public status lookup: the code and the mobile's last 4 digits."""
    claim = claim_by_tracking_code(code=code)
    digits = tracking.normalize(mobile_last4)
    if claim is None or len(digits) != 4 or not claim.contact_mobile.endswith(digits):
        return None
    return claim


def claim_timeline(*, claim: Claim) -> QuerySet[DocumentEvent]:
    """Return the claim's events, oldest first: its status timeline."""
    from django.contrib.contenttypes.models import ContentType

    return DocumentEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Claim), object_id=str(claim.pk)
    ).order_by("at", "id")


def open_claim_for_meter(*, meter: Meter) -> Claim | None:
    return Claim.objects.filter(meter=meter, is_open=True).first()


@dataclass
class FilingContext:
    """What a claim form shows before filing: the meter there now, an open claim, the fee."""

    installation: MeterInstallation | None
    open_claim: Claim | None
    quote: FeeQuote | None
    quote_error: str | None


def claim_filing_context(*, subscriber: Subscriber, channel: str) -> FilingContext:
    """Return the meter, any open claim on it and the fee a claim filed today would cost."""
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    installation = current_installation(subscriber=subscriber)
    if installation is None:
        return FilingContext(None, None, None, None)
    quote, quote_error = None, None
    try:
        quote = fee_quote(
            meter_size=installation.meter.size,
            customer_type=subscriber.customer_type,
            channel=channel,
            on_date=timezone.localdate(),
        )
    except ValidationError as error:
        quote_error = " ".join(error.messages)
    return FilingContext(
        installation, open_claim_for_meter(meter=installation.meter), quote, quote_error
    )


ClaimOrNone = TypeVar("ClaimOrNone", bound=Claim | None)


def with_display(claim: ClaimOrNone) -> ClaimOrNone:
    """Attach what pages show of a claim: the grouped tracking code and the reading."""

    if claim is not None:
        # Attributes for the templates only, set on the instance: not model fields.
        claim.code_display = tracking.display(claim.tracking_code)  # type: ignore[attr-defined]
        claim.reading_display = format_quantity(claim.last_reading)  # type: ignore[attr-defined]
    return claim


def claims_section(meter: Meter, user: User | AnonymousUser) -> HistorySection | None:
    """The meter history's section of claims, each with its test's summary."""
    if not user.has_perm("meter_service.view_claim"):
        return None
    claims = permissions.scope(user, Claim.objects.filter(meter=meter)).order_by("filed_at")
    rows = []
    for claim in claims:
        code = format_html(
            '<a class="meter-link meter-ltr" href="{}">{}</a>',
            reverse("admin:meter_service_claim_change", args=[claim.pk]),
            tracking.display(claim.tracking_code),
        )
        findings = claim.findings or {}
        test = "—"
        if claim.test_visit_date or findings.get("verdict"):
            parts = [format_date(claim.test_visit_date)] if claim.test_visit_date else []
            if findings.get("error_percent") is not None:
                parts.append(f"{format_quantity(findings['error_percent'])}%")
            if findings.get("stopped"):
                parts.append(gettext("Meter stopped"))
            test = " · ".join(parts) or "—"
        rows.append(
            [
                code,
                format_datetime(claim.filed_at),
                claim.get_reason_display(),
                claim.get_status_display(),
                test,
                claim.get_outcome_display() or "—",
            ]
        )
    return HistorySection(
        key="claims",
        title=gettext("Claims and tests"),
        headers=[
            _("tracking code"),
            _("filed at"),
            _("reason"),
            _("status"),
            _("test"),
            _("outcome"),
        ],
        rows=rows,
        order=20,
    )
