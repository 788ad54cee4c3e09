"""Reads of bill corrections and billing adjustments."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from apps.meter_service import permissions
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.correction.models import (
    AdjustmentKind,
    BillCorrection,
    BillingAdjustment,
    CorrectionPeriod,
    CorrectionStatus,
)
from apps.meter_service.doctype.inspection.models import Inspection

ADJUSTMENT_COLUMNS = [
    "line_id",
    "bill_id",
    "subscription_number",
    "tracking_code",
    "kind",
    "corrected_payment_id",
    "period_start",
    "period_end",
    "amount_rial",
    "description",
]

_DESCRIPTIONS = {
    AdjustmentKind.CORRECTION: _("Correction of a billed period after meter test %(code)s"),
    AdjustmentKind.FEE_REFUND: _("Meter test fee refunded, claim %(code)s"),
    AdjustmentKind.FEE_WAIVER: _("Meter test fee waived, claim %(code)s"),
    AdjustmentKind.DAMAGE: _("Damage to the meter, claim %(code)s"),
}


def adjustment_description(kind: AdjustmentKind, claim: Claim) -> str:
    """The line's text on the bill, in the deployment's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(_DESCRIPTIONS[kind] % {"code": claim.tracking_code})


def decisive_inspection(claim: Claim) -> Inspection | None:
    """The claim's latest recorded test (the one the process's verdict came from)."""

    return Inspection.objects.filter(claim_id=claim.pk).order_by("-tested_at", "-pk").first()


def correction_of_claim(claim: Claim) -> BillCorrection | None:
    return BillCorrection.objects.filter(claim_id=claim.pk).first()


def correction_detail(pk: int) -> BillCorrection:
    return (
        BillCorrection.objects.select_related("claim__subscriber", "claim__meter")
        .prefetch_related("periods__bill", "periods__pieces__tariff")
        .get(pk=pk)
    )


def correction_list(*, user: User | AnonymousUser) -> QuerySet[BillCorrection]:
    return permissions.scope(user, BillCorrection.objects.select_related("claim__subscriber"))


def adjustments_with_claims() -> QuerySet[BillingAdjustment]:
    return BillingAdjustment.objects.select_related("claim", "claim__subscriber")


def adjustments_pending() -> QuerySet[BillingAdjustment]:
    """Lines not yet exported to the billing system, oldest first."""
    return adjustments_with_claims().filter(exported_at__isnull=True).order_by("created_at", "id")


def adjustment_row(line: BillingAdjustment) -> dict[str, object]:
    """A line as the billing system reads it (the export's CSV columns)."""
    return {
        "line_id": line.pk,
        "bill_id": line.bill_id,
        "subscription_number": line.claim.subscriber.subscription_number,
        "tracking_code": line.claim.tracking_code,
        "kind": line.kind,
        "corrected_payment_id": line.corrected_payment_id,
        "period_start": line.period_start.isoformat() if line.period_start else "",
        "period_end": line.period_end.isoformat() if line.period_end else "",
        "amount_rial": line.amount_rial,
        "description": line.description,
    }


def uncovered_days(
    correction: BillCorrection, periods: Iterable[CorrectionPeriod] | None = None
) -> list[dict[str, Any]]:
    """The window's days no corrected period covers (no bill nor final reading for them):
    each run as {start, last_day, days}, for the page and the statement to say so."""
    if correction.status == CorrectionStatus.NOT_POSSIBLE:
        return []
    periods = correction.periods.all() if periods is None else periods
    runs: list[tuple[datetime.date, datetime.date]] = []
    day = correction.window_start
    for period in sorted(periods, key=lambda p: p.start):
        if period.start > day:
            runs.append((day, period.start))
        day = max(day, period.end)
    if day < correction.window_end:
        runs.append((day, correction.window_end))
    return [
        {"start": start, "last_day": end - datetime.timedelta(days=1), "days": (end - start).days}
        for start, end in runs
    ]


VERDICT_LABELS = {
    "fast": _("Running fast beyond the tolerance"),
    "slow": _("Running slow beyond the tolerance"),
    "stopped": _("Stopped"),
    "tampered": _("Tampered with"),
    "within_tolerance": _("Within the tolerance"),
}


def verdict_label(verdict: str) -> str:
    return str(VERDICT_LABELS.get(verdict, verdict))
