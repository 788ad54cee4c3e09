"""Reads of payments and bill charges, through the record rules where a user is given."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.utils import translation

from apps.meter_service import permissions
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.payment.models import BillCharge, Payment, PaymentStatus
from apps.meter_service.doctype.payment.rules import FEE_DESCRIPTION

BILL_CHARGE_COLUMNS = (
    "bill_id",
    "subscription_number",
    "tracking_code",
    "amount_rial",
    "description",
)


def payment_list(*, user: User | AnonymousUser) -> QuerySet[Payment]:
    """Return the payments the user may see (those of the claims they may see)."""
    qs = Payment.objects.select_related("claim", "recorded_by")
    return permissions.scope(user, qs)


def payments_of_claim(*, claim: Claim) -> QuerySet[Payment]:
    return Payment.objects.filter(claim=claim).order_by("-created_at", "-id")


def payment_paid_for_claim(*, claim: Claim) -> Payment | None:
    """Return the claim's paid payment, if any (there is at most one)."""
    return Payment.objects.filter(claim=claim, status=PaymentStatus.PAID).first()


def payment_by_authority(*, authority: str) -> Payment | None:
    """Return the gateway payment with this authority (callers check who may see what)."""
    if not authority:
        return None
    return Payment.objects.select_related("claim").filter(authority=authority).first()


def bill_charge_list(*, user: User | AnonymousUser) -> QuerySet[BillCharge]:
    qs = BillCharge.objects.select_related("claim", "claim__subscriber")
    return permissions.scope(user, qs)


def bill_charges_pending() -> QuerySet[BillCharge]:
    """Return the charges not yet exported to the billing system, oldest first."""
    return (
        BillCharge.objects.select_related("claim", "claim__subscriber")
        .filter(exported_at__isnull=True)
        .order_by("created_at", "id")
    )


def bill_charge_row(charge: BillCharge) -> dict[str, object]:
    """Return a charge as the billing system reads it (the export's CSV columns)."""
    code = charge.claim.tracking_code
    with translation.override(settings.LANGUAGE_CODE):
        description = str(FEE_DESCRIPTION % {"code": code})
    return {
        "bill_id": charge.bill_id,
        "subscription_number": charge.claim.subscriber.subscription_number,
        "tracking_code": code,
        "amount_rial": charge.amount_rial,
        "description": description,
    }
