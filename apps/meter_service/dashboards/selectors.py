"""The dashboards' figures: one function per figure, each taking a DashboardFilter.

Every count, sum, average and percentile is computed by the database (aggregate/annotate,
and ORDER BY with OFFSET for the percentile); Python only attaches labels and merges the
small grouped results. The filter is the date range on `filed_at` (whole local days), the
counter office and the subscriber's city; every figure is about the claims it selects.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.core.exceptions import FieldError
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    Min,
    Model,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.meter_service import permissions
from apps.meter_service.dashboards import rollup
from apps.meter_service.dashboards.periods import (
    Bucket,
    Period,
    bucket_label,
    buckets,
    local_midnight,
)
from apps.meter_service.doctype.claim.models import (
    OPEN_STATUSES,
    Channel,
    Claim,
    ClaimOutcome,
    ClaimStatus,
    FeeOutcome,
    PaymentMethod,
)
from apps.meter_service.doctype.complaint.selectors import rating_summary
from apps.meter_service.doctype.payment.models import BillCharge, Payment, PaymentStatus
from apps.meter_service.doctype.rule_setting.selectors import rule_value
from apps.meter_service.doctype.sla import rules as sla_rules
from apps.meter_service.doctype.sla.models import SlaClock, SlaState
from apps.meter_service.engine.models import ProcessTask
from apps.meter_service.engine.selectors import lane_label

TESTED_OUTCOMES = (ClaimOutcome.NO_FAULT, ClaimOutcome.FAULTY, ClaimOutcome.TAMPERED)

VERDICT_LABELS = {
    "within_tolerance": _("Within tolerance"),
    "fast": _("Runs fast"),
    "slow": _("Runs slow"),
    "stopped": _("Stopped"),
    "tampered": _("Tampered with"),
}

# Meter age at the end of the period, in whole years: (lowest, highest or None, label).
AGE_BANDS = (
    (0, 4, _("Under 5 years")),
    (5, 9, _("5 to 9 years")),
    (10, 14, _("10 to 14 years")),
    (15, 19, _("15 to 19 years")),
    (20, None, _("20 years or more")),
)

# Documents other parts of the service add; their figures read "not available" until then.
BILL_CORRECTION_MODEL = ("meter_service", "BillCorrection")
COMPLAINT_MODEL = ("meter_service", "Complaint")


@dataclass(frozen=True)
class DashboardFilter:
    """Which claims the figures are about. Dates are local days, both ends included."""

    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    office_id: int | None = None
    city: str = ""
    period: str = Period.MONTH


def claim_q(f: DashboardFilter, prefix: str = "") -> Q:
    """The filter as a Q on Claim, or on a model reaching Claim through `prefix` ("claim__").

    A join rather than `claim__in=<subquery>`, so the planner can start from either side.
    """
    q = Q()
    if f.date_from:
        q &= Q(**{f"{prefix}filed_at__gte": local_midnight(f.date_from)})
    if f.date_to:
        q &= Q(**{f"{prefix}filed_at__lt": local_midnight(f.date_to + datetime.timedelta(1))})
    if f.office_id:
        q &= Q(**{f"{prefix}counter_office_id": f.office_id})
    if f.city:
        q &= Q(**{f"{prefix}subscriber__city": f.city})
    return q


def filtered_claims(f: DashboardFilter) -> QuerySet[Claim]:
    """The claims the filter selects, without the model's default ordering."""
    return Claim.objects.filter(claim_q(f)).order_by()


def _percent(part: int | float | None, whole: int | float | None) -> float | None:
    if not whole:
        return None
    return round(100 * (part or 0) / whole, 1)


def _hours(seconds: float | int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


# --- claims ---------------------------------------------------------------------------------


def channel_rows(counts: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {"channel": c.value, "label": c.label, "count": counts.get(c.value, 0)} for c in Channel
    ]


def claims_by_channel(f: DashboardFilter) -> list[dict[str, Any]]:
    """Claims filed through each channel: [{channel, label, count}], every channel listed."""
    return channel_rows(dict(filtered_claims(f).values_list("channel").annotate(n=Count("id"))))


def claims_by_status(f: DashboardFilter) -> list[dict[str, Any]]:
    """Claims in each status now: [{status, label, count, open}], every status listed."""
    return status_rows(dict(filtered_claims(f).values_list("status").annotate(n=Count("id"))))


def status_rows(counts: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {
            "status": s.value,
            "label": s.label,
            "count": counts.get(s.value, 0),
            "open": s in OPEN_STATUSES,
        }
        for s in ClaimStatus
    ]


def _period_range(f: DashboardFilter) -> tuple[datetime.date, datetime.date] | None:
    last = f.date_to or timezone.localdate()
    first = f.date_from
    if first is None:
        earliest = filtered_claims(f).aggregate(at=Min("filed_at"))["at"]
        if earliest is None:
            return None
        first = timezone.localtime(earliest).date()
    return first, last


def claims_by_period(f: DashboardFilter) -> list[dict[str, Any]]:
    """Per period (Jalali month, week from Saturday, or day): claims filed, those of them
    closed, and those closed within their service-level target.

    [{start, end, label, filed, closed, met}] in time order, empty periods included.
    """
    span = _period_range(f)
    if span is None:
        return []
    periods: list[Bucket] = buckets(*span, f.period)
    if not periods:
        return []
    whens = [When(filed_at__lt=b.end_at, then=Value(i)) for i, b in enumerate(periods)]
    closed = Q(status=ClaimStatus.CLOSED, sla_clock__stopped_at__isnull=False)
    rows = (
        filtered_claims(f)
        .filter(filed_at__gte=periods[0].start_at, filed_at__lt=periods[-1].end_at)
        .annotate(bucket=Case(*whens, output_field=IntegerField()))
        .values("bucket")
        .annotate(
            filed=Count("id"),
            closed=Count("id", filter=closed),
            met=Count(
                "id",
                filter=closed & Q(sla_clock__worked_seconds__lt=F("sla_clock__target_seconds")),
            ),
        )
    )
    by_bucket = {row["bucket"]: row for row in rows}
    result = []
    for i, b in enumerate(periods):
        row = by_bucket.get(i, {})
        result.append(
            {
                "start": b.start,
                "end": b.end - datetime.timedelta(1),
                "label": bucket_label(b),
                "filed": row.get("filed", 0),
                "closed": row.get("closed", 0),
                "met": row.get("met", 0),
            }
        )
    return result


# --- service time and service level ---------------------------------------------------------


def _served_clocks(f: DashboardFilter) -> QuerySet[SlaClock]:
    """Clocks of the claims that were tested and closed: their working time is the service."""
    return SlaClock.objects.filter(
        claim_q(f, "claim__"), claim__status=ClaimStatus.CLOSED, stopped_at__isnull=False
    ).order_by()


def percentile(queryset: QuerySet[Any], field_name: str, percent: int, count: int) -> Any:
    """The nearest-rank percentile of a column: ORDER BY it and read one row at an OFFSET.

    The smallest value with at least `percent` % of the rows at or below it; None for no rows.
    Works the same on SQLite and MariaDB (neither has PERCENTILE_CONT in plain SELECTs).
    """
    if not count:
        return None
    rank = max(1, math.ceil(percent * count / 100))
    if rank > count / 2:
        # The same row counted from the top: the database then keeps only the largest
        # count - rank + 1 values while sorting, not rank of them (1.5 x faster at 400,000).
        return queryset.order_by(f"-{field_name}").values_list(field_name, flat=True)[count - rank]
    return queryset.order_by(field_name).values_list(field_name, flat=True)[rank - 1]


def service_tenths(seconds: int) -> int:
    """Working seconds in tenths of an hour, halves rounded up: the percentile is shown in
    these, and the roll-up keeps a histogram of them (a monotone rounding, so the percentile
    of the rounded values is the rounded percentile)."""
    return (seconds + 180) // 360


def target_hours() -> float | None:
    return _hours(sla_rules.target_seconds())


def service_time(f: DashboardFilter) -> dict[str, Any]:
    """Working hours that closed claims took, against the target (SLA_TARGET_HOURS).

    {count, average_hours, p90_hours, target_hours}; times are None without closed claims.
    """
    clocks = _served_clocks(f)
    agg = clocks.aggregate(count=Count("id"), worked=Sum("worked_seconds"))
    p90 = percentile(clocks, "worked_seconds", 90, agg["count"])
    count = agg["count"]
    return {
        "count": count,
        "average_hours": _hours(agg["worked"] / count) if count else None,
        "p90_hours": None if p90 is None else service_tenths(p90) / 10,
        "target_hours": target_hours(),
    }


def sla_compliance(f: DashboardFilter) -> dict[str, Any]:
    """Closed claims within their target, and open claims by their clock's last state.

    {closed, met, breached, percent, open_on_track, open_at_risk, open_breached}.
    """
    served = Q(claim__status=ClaimStatus.CLOSED, stopped_at__isnull=False)
    live = Q(stopped_at__isnull=True, claim__status__in=OPEN_STATUSES)
    agg = (
        SlaClock.objects.filter(claim_q(f, "claim__"))
        .order_by()
        .aggregate(
            closed=Count("id", filter=served),
            met=Count("id", filter=served & Q(worked_seconds__lt=F("target_seconds"))),
            open_on_track=Count("id", filter=live & Q(state=SlaState.ON_TRACK)),
            open_at_risk=Count("id", filter=live & Q(state=SlaState.AT_RISK)),
            open_breached=Count("id", filter=live & Q(state=SlaState.BREACHED)),
        )
    )
    states = {state: agg[f"open_{state}"] for state in SlaState.values}
    return sla_figures(agg["closed"], agg["met"], states)


def sla_figures(closed: int, met: int, open_states: dict[str, int]) -> dict[str, Any]:
    return {
        "closed": closed,
        "met": met,
        "open_on_track": open_states.get(SlaState.ON_TRACK, 0),
        "open_at_risk": open_states.get(SlaState.AT_RISK, 0),
        "open_breached": open_states.get(SlaState.BREACHED, 0),
        "breached": closed - met,
        "percent": _percent(met, closed),
    }


# --- backlog --------------------------------------------------------------------------------


def _open_tasks(f: DashboardFilter) -> QuerySet[ProcessTask]:
    return ProcessTask.objects.filter(
        claim_q(f, "instance__claim__"), completed_at__isnull=True
    ).order_by()


def backlog_by_step(f: DashboardFilter) -> list[dict[str, Any]]:
    """Open steps of the process: [{step, name, lane, lane_label, count, oldest}], most first.

    `oldest` is when the longest-waiting of them became ready.
    """
    rows = (
        _open_tasks(f)
        .values("element_id", "lane")
        .annotate(count=Count("id"), name=Min("name"), oldest=Min("ready_at"))
        .order_by("-count", "element_id")
    )
    return [
        {
            "step": row["element_id"],
            "name": gettext(row["name"]) if row["name"] else row["element_id"],
            "lane": row["lane"],
            "lane_label": lane_label(row["lane"]),
            "count": row["count"],
            "oldest": row["oldest"],
        }
        for row in rows
    ]


def backlog_by_role(f: DashboardFilter) -> list[dict[str, Any]]:
    """Open steps per lane and the roles that work it: [{lane, label, roles, count, oldest}]."""
    lane_roles = permissions.lane_roles()
    rows = (
        _open_tasks(f)
        .values("lane")
        .annotate(count=Count("id"), oldest=Min("ready_at"))
        .order_by("-count", "lane")
    )
    return [
        {
            "lane": row["lane"],
            "label": lane_label(row["lane"]),
            "roles": [lane_label(role) for role in lane_roles.get(row["lane"], [])],
            "count": row["count"],
            "oldest": row["oldest"],
        }
        for row in rows
    ]


# --- tests: verdicts and fault rates --------------------------------------------------------


def _tested(f: DashboardFilter) -> QuerySet[Claim]:
    return filtered_claims(f).filter(outcome__in=TESTED_OUTCOMES)


def _rates() -> dict[str, Any]:
    return {
        "tested": Count("id"),
        "faulty": Count("id", filter=Q(outcome=ClaimOutcome.FAULTY)),
        "tampered": Count("id", filter=Q(outcome=ClaimOutcome.TAMPERED)),
    }


def _fault_rate() -> CombinedExpression:
    # Share of tested meters found faulty, in percent, computed by the database.
    return Cast(F("faulty"), FloatField()) * 100.0 / F("tested")


def verdict_mix(f: DashboardFilter) -> list[dict[str, Any]]:
    """Verdicts of the tested claims, from their closing findings: [{verdict, label, count,
    percent}], most first; a claim closed without a recorded verdict counts as "".
    """
    rows = (
        _tested(f)
        .annotate(verdict=KT("findings__verdict"))
        .values("verdict")
        .annotate(count=Count("id"))
        .order_by("-count", "verdict")
    )
    return verdict_rows([(row["verdict"] or "", row["count"]) for row in rows])


def verdict_rows(counts: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """[(verdict, count)], in the order shown, as the figure's rows."""
    total = sum(count for _verdict, count in counts)
    return [
        {
            "verdict": verdict,
            "label": VERDICT_LABELS.get(verdict, _("Not recorded")),
            "count": count,
            "percent": _percent(count, total),
        }
        for verdict, count in counts
    ]


def fault_rate_by_model(f: DashboardFilter) -> list[dict[str, Any]]:
    """Per meter make and model: tested, faulty, tampered and the fault rate (% faulty)."""
    rows = (
        _tested(f)
        .values("meter__make", "meter__model")
        .annotate(**_rates())
        .annotate(rate=_fault_rate())
        .order_by("-tested", "meter__make", "meter__model")
    )
    return [
        {
            "make": row["meter__make"],
            "model": row["meter__model"],
            "tested": row["tested"],
            "faulty": row["faulty"],
            "tampered": row["tampered"],
            "rate": round(row["rate"], 1),
        }
        for row in rows
    ]


def fault_rate_by_age(f: DashboardFilter) -> list[dict[str, Any]]:
    """Per band of meter age (from the manufacture year, at the end of the period): tested,
    faulty, tampered and the fault rate; meters of unknown year last.
    """
    year = (f.date_to or timezone.localdate()).year
    whens = []
    for index, (low, high, _label) in enumerate(AGE_BANDS):
        # age = year - manufacture_year, so low <= age <= high reads on the year column.
        condition = Q(meter__manufacture_year__lte=year - low)
        if high is not None:
            condition &= Q(meter__manufacture_year__gte=year - high)
        whens.append(When(condition, then=Value(index)))
    rows = (
        _tested(f)
        .annotate(band=Case(*whens, default=Value(len(AGE_BANDS)), output_field=IntegerField()))
        .values("band")
        .annotate(**_rates())
    )
    return age_rows({row["band"]: (row["tested"], row["faulty"], row["tampered"]) for row in rows})


def age_band(manufacture_year: int | None, year: int) -> int:
    """The index in AGE_BANDS of a meter's age in `year` (as the CASE above decides it)."""
    if manufacture_year is not None:
        for index, (low, high, _label) in enumerate(AGE_BANDS):
            if manufacture_year <= year - low and (high is None or manufacture_year >= year - high):
                return index
    return len(AGE_BANDS)


def age_rows(by_band: dict[int, tuple[int, int, int]]) -> list[dict[str, Any]]:
    """{band: (tested, faulty, tampered)} as the figure's rows, bands in order."""
    labels = [label for _low, _high, label in AGE_BANDS] + [_("Year not known")]
    result = []
    for index, label in enumerate(labels):
        if index not in by_band:
            continue
        tested, faulty, tampered = by_band[index]
        result.append(
            {
                "band": index,
                "label": label,
                "tested": tested,
                "faulty": faulty,
                "tampered": tampered,
                "rate": round(faulty * 100.0 / tested, 1),
            }
        )
    return result


# --- money ----------------------------------------------------------------------------------


def fees(f: DashboardFilter) -> dict[str, Any]:
    """Test fees: collected (paid payments, by method), charged to the next bill, refunded
    and waived (the test fee with its VAT: a counter office's own fee stays the office's).

    {collected, collected_count, by_method: [{method, label, amount, count}], on_bill,
    on_bill_count, refunded, refunded_count, waived, waived_count, net}; amounts in Rial.
    """
    by_method = (
        Payment.objects.filter(claim_q(f, "claim__"), status=PaymentStatus.PAID)
        .order_by()
        .values("method")
        .annotate(amount=Sum("amount_rial"), count=Count("id"))
    )
    paid = {row["method"]: row for row in by_method}
    bill = (
        BillCharge.objects.filter(claim_q(f, "claim__"))
        .order_by()
        .aggregate(amount=Sum("amount_rial"), count=Count("id"))
    )
    fee = F("test_fee") + F("vat")
    # Only refunded and waived claims count here: saying so lets the index on
    # (fee_outcome, filed_at) pick them instead of reading every claim of the range.
    settled_outcomes = (FeeOutcome.REFUND, FeeOutcome.WAIVE)
    settled = (
        filtered_claims(f)
        .filter(fee_outcome__in=settled_outcomes)
        .aggregate(
            refunded=Sum(fee, filter=Q(fee_outcome=FeeOutcome.REFUND)),
            refunded_count=Count("id", filter=Q(fee_outcome=FeeOutcome.REFUND)),
            waived=Sum(fee, filter=Q(fee_outcome=FeeOutcome.WAIVE)),
            waived_count=Count("id", filter=Q(fee_outcome=FeeOutcome.WAIVE)),
        )
    )
    return fee_figures(
        paid,
        on_bill=(bill["amount"] or 0, bill["count"]),
        refunded=(settled["refunded"] or 0, settled["refunded_count"]),
        waived=(settled["waived"] or 0, settled["waived_count"]),
    )


def fee_figures(
    paid: dict[str, dict[str, int]],
    *,
    on_bill: tuple[int, int],
    refunded: tuple[int, int],
    waived: tuple[int, int],
) -> dict[str, Any]:
    """The fees figure from {method: {amount, count}} and (amount, count) pairs."""
    methods: list[dict[str, Any]] = [
        {
            "method": m.value,
            "label": m.label,
            "amount": paid[m.value]["amount"],
            "count": paid[m.value]["count"],
        }
        for m in PaymentMethod
        if m.value in paid
    ]
    collected = sum(row["amount"] for row in methods)
    return {
        "collected": collected,
        "collected_count": sum(row["count"] for row in methods),
        "by_method": methods,
        "on_bill": on_bill[0],
        "on_bill_count": on_bill[1],
        "refunded": refunded[0],
        "refunded_count": refunded[1],
        "waived": waived[0],
        "waived_count": waived[1],
        "net": collected - refunded[0],
    }


def _optional_model(app_label: str, model_name: str) -> type[Model] | None:
    try:
        return apps.get_model(app_label, model_name, require_ready=False)
    except LookupError:
        return None


def correction_totals(f: DashboardFilter) -> dict[str, Any] | None:
    """Approved bill corrections: credits (the subscriber was over-billed, a negative
    difference) and debits (under-billed), in Rial; None while bill corrections do not exist.

    {credits, credit_count, debits, debit_count, net}; credits is a positive amount.
    """
    model = _optional_model(*BILL_CORRECTION_MODEL)
    if model is None:
        return None
    try:
        agg = (
            model._default_manager.filter(claim_q(f, "claim__"), approved_at__isnull=False)
            .order_by()
            .aggregate(
                credits=Sum("difference_rial", filter=Q(difference_rial__lt=0)),
                credit_count=Count("id", filter=Q(difference_rial__lt=0)),
                debits=Sum("difference_rial", filter=Q(difference_rial__gt=0)),
                debit_count=Count("id", filter=Q(difference_rial__gt=0)),
            )
        )
    except FieldError:
        return None
    return correction_figures(
        agg["credits"] or 0, agg["credit_count"], agg["debits"] or 0, agg["debit_count"]
    )


def correction_figures(
    credit_sum: int, credit_count: int, debit_sum: int, debit_count: int
) -> dict[str, Any]:
    """From the sums of the negative and the positive differences and their counts."""
    credits = -credit_sum
    return {
        "credits": credits,
        "credit_count": credit_count,
        "debits": debit_sum,
        "debit_count": debit_count,
        "net": debit_sum - credits,
    }


def complaints_per_thousand(f: DashboardFilter) -> dict[str, Any] | None:
    """Complaints about the selected claims per 1,000 of them (a complaint about no claim
    counts in no claim's figure). {complaints, claims, per_thousand}.
    """
    model = _optional_model(*COMPLAINT_MODEL)
    if model is None:
        return None
    try:
        # Without a date, office or city the filter names no claim field, so say it here.
        complaints = (
            model._default_manager.filter(claim_q(f, "claim__"), claim__isnull=False)
            .order_by()
            .count()
        )
    except FieldError:
        return None
    return complaint_figures(complaints, filtered_claims(f).count())


def complaint_figures(complaints: int, claims: int) -> dict[str, Any]:
    per_thousand = round(1000 * complaints / claims, 1) if claims else None
    return {"complaints": complaints, "claims": claims, "per_thousand": per_thousand}


def complaint_satisfaction(f: DashboardFilter) -> dict[str, Any]:
    """Complainants' ratings of closed complaints (CSAT) given in the period: average,
    count, how many were asked, and the spread over 1-5. A complaint has no counter office
    or claim city of its own, so the office and city filters do not apply to it: the
    figure is always the whole period's (the page says so)."""
    since = local_midnight(f.date_from) if f.date_from else None
    until = local_midnight(f.date_to + datetime.timedelta(1)) if f.date_to else None
    return {**rating_summary(since=since, until=until), "whole_period": True}


# --- counter offices ------------------------------------------------------------------------


def office_performance(f: DashboardFilter) -> list[dict[str, Any]]:
    """Per counter office, most claims first: claims filed, paid, closed, office fees earned
    (the office's own fee on paid claims), average service hours and share within target.
    """
    served = Q(status=ClaimStatus.CLOSED, sla_clock__stopped_at__isnull=False)
    paid = Q(paid_at__isnull=False) & ~Q(payment_method=PaymentMethod.NEXT_BILL)
    rows = (
        filtered_claims(f)
        .filter(counter_office__isnull=False)
        .values("counter_office_id", "counter_office__code", "counter_office__name")
        .annotate(
            claims=Count("id"),
            paid=Count("id", filter=paid),
            closed=Count("id", filter=Q(status=ClaimStatus.CLOSED)),
            office_fees=Sum("channel_fee", filter=paid),
            served=Count("id", filter=served),
            worked=Sum("sla_clock__worked_seconds", filter=served),
            met=Count(
                "id",
                filter=served & Q(sla_clock__worked_seconds__lt=F("sla_clock__target_seconds")),
            ),
        )
        .order_by("-claims", "counter_office__code")
    )
    return [
        {
            "office_id": row["counter_office_id"],
            "code": row["counter_office__code"],
            "name": row["counter_office__name"],
            "claims": row["claims"],
            "paid": row["paid"],
            "closed": row["closed"],
            "office_fees": row["office_fees"] or 0,
            "average_hours": _hours(row["worked"] / row["served"]) if row["served"] else None,
            "sla_percent": _percent(row["met"], row["served"]),
        }
        for row in rows
    ]


# --- everything at once ---------------------------------------------------------------------

FIGURES = (
    "claims_by_channel",
    "claims_by_status",
    "claims_by_period",
    "service_time",
    "sla_compliance",
    "backlog_by_step",
    "backlog_by_role",
    "verdict_mix",
    "fault_rate_by_model",
    "fault_rate_by_age",
    "fees",
    "correction_totals",
    "complaints_per_thousand",
    "complaint_satisfaction",
    "office_performance",
)


@dataclass
class Dashboard:
    filter: DashboardFilter
    # When the figures were true: now for live ones, the roll-up's last refresh otherwise.
    as_of: datetime.datetime
    figures: dict[str, Any] = field(default_factory=dict)
    from_rollup: bool = False


def dashboard(
    f: DashboardFilter, *, only: tuple[str, ...] = FIGURES, live: bool = False
) -> Dashboard:
    """Compute the named figures (all by default) for the filter: from the daily roll-up
    where it can answer (see rollup.py), the rest from the claims; `live` reads everything
    from the claims."""

    now = timezone.now()
    from_rollup = None if live else rollup.figures(f, only)
    figures, as_of = from_rollup or ({}, now)
    for name in only:
        if name not in figures:
            figures[name] = globals()[name](f)
    ordered = {name: figures[name] for name in only}
    return Dashboard(filter=f, figures=ordered, as_of=as_of, from_rollup=bool(from_rollup))


# --- kept for a while -----------------------------------------------------------------------


def cache_seconds() -> int:
    """How long a filter's figures are reused (DASHBOARD_CACHE_SECONDS; 0: never)."""
    return int(rule_value("DASHBOARD_CACHE_SECONDS"))


def _cache_key(f: DashboardFilter) -> str:
    digest = hashlib.sha256(repr(dataclasses.astuple(f)).encode()).hexdigest()[:32]
    return f"meter:dashboard:{digest}"


def dashboard_cached(
    f: DashboardFilter, *, refresh: bool = False
) -> tuple[Dashboard, datetime.datetime]:
    """The whole dashboard for the filter and when its figures were true.

    The daily roll-up answers a range with a city or an office in a fraction of a second;
    an office and a city together are read live. Either way a filter's figures are kept in
    the cache (Redis in production) for DASHBOARD_CACHE_SECONDS, and the scheduler's
    dashboard_refresh recomputes the default view after refreshing the roll-up.
    """
    seconds = cache_seconds()
    if seconds <= 0:
        d = dashboard(f)
        return d, d.as_of
    key = _cache_key(f)
    if not refresh:
        hit = cache.get(key)
        if hit is not None:
            figures, as_of = hit
            return Dashboard(filter=f, figures=figures, as_of=as_of), as_of
    d = dashboard(f)
    cache.set(key, (d.figures, d.as_of), seconds)
    return d, d.as_of
