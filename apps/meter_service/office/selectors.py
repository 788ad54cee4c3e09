"""Reads of the counter-office portal, always through the record rules.

An operator sees the claims of the offices they operate (permissions.py); the portal narrows
that to the office chosen for the session. Every figure of the dashboard and the daily
statement is summed by the database.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.functional import Promise

from apps.meter_service import permissions
from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import NATIONAL_LEGAL_ID_LENGTH
from apps.meter_service.doctype.claim.models import Claim, ClaimStatus, PaymentMethod
from apps.meter_service.doctype.claim.selectors import claim_list
from apps.meter_service.doctype.counter_office.models import CounterOffice
from apps.meter_service.doctype.payment.models import Payment, PaymentStatus
from apps.meter_service.doctype.payment.selectors import payment_list
from apps.meter_service.doctype.subscriber.models import CustomerType, Subscriber
from apps.meter_service.doctype.subscriber.selectors import subscriber_by_bill_and_national_id
from apps.meter_service.permissions import Role


def operator_offices(*, user: User | AnonymousUser) -> QuerySet[CounterOffice]:
    """Return the active offices the user works at as a counter-office operator."""
    if isinstance(user, AnonymousUser) or not permissions.has_role(
        user, Role.COUNTER_OFFICE_OPERATOR
    ):
        return CounterOffice.objects.none()
    return CounterOffice.objects.filter(users=user, is_active=True).order_by("code")


def walk_in_subscriber(*, bill_id: str, identity: str) -> Subscriber | None:
    """Return the subscriber a walk-in person identifies: bill ID and national ID.

    A business shows its national legal ID (11 digits) instead of a person's national ID.
    Both numbers must belong to the same subscription; any other pair finds nobody.
    """
    if len(identity) == NATIONAL_LEGAL_ID_LENGTH:
        return Subscriber.objects.filter(
            bill_id=bill_id, customer_type=CustomerType.BUSINESS, national_legal_id=identity
        ).first()
    return subscriber_by_bill_and_national_id(bill_id=bill_id, national_id=identity)


def office_claims(*, user: User | AnonymousUser, office: CounterOffice) -> QuerySet[Claim]:
    """Return the claims filed at this office that the user may see, newest first."""
    return claim_list(user=user).filter(counter_office=office).order_by("-filed_at", "-id")


def office_claim(*, user: User | AnonymousUser, office: CounterOffice, code: str) -> Claim:
    """Return one claim of this office by tracking code; Http404 if missing or not visible."""
    claim = (
        office_claims(user=user, office=office)
        .filter(tracking_code=tracking.normalize(code))
        .first()
    )
    if claim is None:
        raise Http404("No such claim.")
    return claim


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Return the start of the day and of the next, in the site's time zone."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )
    return start, end


@dataclass(frozen=True)
class FeeTotals:
    """Integer Rial sums of some claims' fees (or payments), and how many there were."""

    count: int = 0
    test_fee: int = 0
    vat: int = 0
    office_fee: int = 0
    total: int = 0


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: Promise  # translated when shown, in the language of the page or the PDF
    count: int


@dataclass
class OfficeDayStatement:
    """One office's day: the claims filed and the fees collected, with their totals."""

    office: CounterOffice
    day: datetime.date
    filed: FeeTotals
    collected: FeeTotals
    by_status: list[StatusCount]
    claims: list[Claim] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)


def _sums(queryset: QuerySet[Any], prefix: str, total: str) -> FeeTotals:
    row = queryset.aggregate(
        count=Count("pk"),
        test_fee=Coalesce(Sum(f"{prefix}test_fee"), 0),
        vat=Coalesce(Sum(f"{prefix}vat"), 0),
        office_fee=Coalesce(Sum(f"{prefix}channel_fee"), 0),
        total=Coalesce(Sum(total), 0),
    )
    return FeeTotals(**{name: int(value) for name, value in row.items()})


def office_collections(*, user: User | AnonymousUser, office: CounterOffice) -> QuerySet[Payment]:
    """Return the fees taken at this office's counter (paid counter-office payments)."""
    return payment_list(user=user).filter(
        claim__counter_office=office,
        method=PaymentMethod.COUNTER_OFFICE,
        status=PaymentStatus.PAID,
    )


def office_day_statement(
    *, user: User | AnonymousUser, office: CounterOffice, day: datetime.date, with_rows: bool = True
) -> OfficeDayStatement:
    """Return the office's statement for one local day, every figure summed in the database.

    Claims filed: those filed at the office that day, counted by their status now. Fees
    collected: the office's counter payments taken that day, whichever day their claims
    were filed; the test fee, VAT and office fee are the collected claims' own figures.
    """
    start, end = day_bounds(day)
    claims = office_claims(user=user, office=office).filter(filed_at__gte=start, filed_at__lt=end)
    payments = office_collections(user=user, office=office).filter(
        paid_at__gte=start, paid_at__lt=end
    )
    counts = dict(
        claims.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    statement = OfficeDayStatement(
        office=office,
        day=day,
        filed=_sums(claims, "", "total_fee"),
        collected=_sums(payments, "claim__", "amount_rial"),
        by_status=[
            StatusCount(status=value, label=label, count=counts.get(value, 0))
            for value, label in ClaimStatus.choices
        ],
    )
    if with_rows:
        statement.claims = list(claims.select_related("subscriber").order_by("filed_at", "id"))
        statement.payments = list(
            payments.select_related("claim", "recorded_by").order_by("paid_at", "id")
        )
    return statement


def office_awaiting_payment(
    *, user: User | AnonymousUser, office: CounterOffice
) -> QuerySet[Claim]:
    """Return the office's claims still waiting for their fee, oldest first."""
    return (
        office_claims(user=user, office=office)
        .filter(status=ClaimStatus.AWAITING_PAYMENT)
        .order_by("filed_at", "id")
    )
