"""The dashboards' daily roll-up: every claim figure's counts and sums per local filing day,
by subscriber city and by counter office, so a date range with a city or an office reads a
few thousand summed rows instead of every claim (a year at a million claims: seconds live,
a fraction of a second here).

- Built once (`manage.py dashboard_rollup`, or the scheduler's first `dashboard_refresh`),
  then kept by the scheduler: every run recomputes the days marked stale and the days since
  the last run.
- A day is marked stale when one of its claims, or a payment, charge, service clock, bill
  correction or complaint of one, is saved or deleted, or a subscriber's or meter's details
  change (signals, so every service, the admin and imports are covered). Claims filed today
  mark nothing: today is recomputed on every run anyway, and filing stays one query lighter.
- Read for every filter (a city, an office, both, or neither; whole months from the month
  rows, the days at a range's ends from the day rows), and for every figure but the open
  steps of the process (the backlog), which are few whatever the range.

The figures are the same as the live selectors' (tests compare the two on every figure); they
are as fresh as the last refresh, which the page shows.
"""

from __future__ import annotations

import bisect
import datetime
import logging
import math
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Min,
    Model,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from apps.meter_service.core.bulk_sql import insert_rows
from apps.meter_service.dashboards import selectors as live
from apps.meter_service.dashboards.models import (
    SERVICE_SPAN_TENTHS,
    DashboardCity,
    DashboardDayCount,
    DashboardDayFigure,
    DashboardMonthFigure,
    DashboardRollup,
    DashboardServiceTime,
    DashboardStaleDay,
    RollupKind,
)
from apps.meter_service.dashboards.periods import bucket_label, buckets, local_midnight
from apps.meter_service.doctype.claim.models import (
    OPEN_STATUSES,
    Claim,
    ClaimOutcome,
    ClaimStatus,
    FeeOutcome,
    PaymentMethod,
)
from apps.meter_service.doctype.complaint.models import Complaint
from apps.meter_service.doctype.correction.models import BillCorrection
from apps.meter_service.doctype.counter_office.models import CounterOffice
from apps.meter_service.doctype.meter.models import Meter
from apps.meter_service.doctype.payment.models import BillCharge, Payment, PaymentStatus
from apps.meter_service.doctype.rule_setting.selectors import rule_value
from apps.meter_service.doctype.sla.models import SlaClock
from apps.meter_service.doctype.subscriber.models import Subscriber

# The figures the roll-up answers; the others are always read live (the complaints' ratings
# are one indexed range of a small table, with no claim day to roll up by).
LIVE_ONLY = ("backlog_by_step", "backlog_by_role", "complaint_satisfaction")
FIGURES = tuple(name for name in live.FIGURES if name not in LIVE_ONLY)

ONE_DAY = datetime.timedelta(days=1)
REFRESH_LOCK = "meter:dashboard:rollup-refreshing"

logger = logging.getLogger("meter_service.dashboards")

# Each day's claims are summed in three scopes: by subscriber city over every office (office
# 0), by counter office over every city (city ""), and by counter office and city (both set),
# so the figures of a city, an office or both are each one range of rows (see _scoped).


# --- computing the rows ---------------------------------------------------------------------


def _day_case(first: datetime.date, last: datetime.date, field: str) -> Case:
    """The local filing day of each row, as a date ordinal, by one CASE over the day ends."""
    whens = []
    day = first
    while day <= last:
        whens.append(
            When(**{f"{field}__lt": local_midnight(day + ONE_DAY)}, then=Value(day.toordinal()))
        )
        day += ONE_DAY
    return Case(*whens, output_field=IntegerField())


def _in_days(
    qs: QuerySet[Any], first: datetime.date, last: datetime.date, prefix: str
) -> QuerySet[Any]:
    """The rows of claims filed on the days first..last, with their day (d), subscriber
    city (c) and counter office (o, None for none): grouped by all three once, and summed
    into the three scopes by _scoped (one read of the claims instead of one per scope)."""
    qs = qs.filter(
        **{
            f"{prefix}filed_at__gte": local_midnight(first),
            f"{prefix}filed_at__lt": local_midnight(last + ONE_DAY),
        }
    ).annotate(
        d=_day_case(first, last, f"{prefix}filed_at"),
        c=F(f"{prefix}subscriber__city"),
        o=F(f"{prefix}counter_office_id"),
    )
    grouped: QuerySet[Any] = qs.order_by()
    return grouped


def _scoped(grouped: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """Each grouped row in each scope it counts in: by city (office 0), and for a claim
    at a counter office also by office (city "") and by office and city."""
    for row in grouped:
        yield {**row, "o": 0}
        if row["o"]:
            yield {**row, "c": ""}
            yield row


VALUES = ("n", "n2", "n3", "n4", "n5", "total", "total2")


class _Rows:
    """Rows being summed: (day ordinal, office, city, kind, key, key2) -> the VALUES."""

    def __init__(self) -> None:
        self.values: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * len(VALUES))

    def add(
        self, row: dict[str, Any], kind: str, key: Any = "", key2: Any = "", **values: int
    ) -> None:
        key = "" if key is None else str(key)
        k = (row["d"], row["o"], row["c"] or "", kind, key, key2 or "")
        v = self.values[k]
        for index, name in enumerate(VALUES):
            v[index] += values.get(name) or 0

    def rows(self) -> list[tuple[Any, ...]]:
        """The rows to insert, in FIGURE_COLUMNS order (the day as its ordinal)."""
        return [
            # Sums come back as Decimal on MariaDB: stored as integers, as the field would.
            (d, office, city, kind, key[:100], key2[:100], *map(int, v))
            for (d, office, city, kind, key, key2), v in self.values.items()
            if any(v)
        ]


FIGURE_COLUMNS = ("day", "office", "city", "kind", "key", "key2", *VALUES)
SERVICE_TIME_COLUMNS = ("day", "office", "city", "tenths", "n")
DAY_COUNT_COLUMNS = ("day", "office", "city", "filed", "closed", "met")


def compute_days(
    first: datetime.date, last: datetime.date
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The roll-up rows of the claims filed on the local days first..last (a short run):
    the figures (FIGURE_COLUMNS) and the service-time histogram (SERVICE_TIME_COLUMNS), in
    both scopes, each day as its ordinal."""
    rows = _Rows()
    histogram: dict[tuple[int, int, str, int], int] = defaultdict(int)
    _compute(rows, histogram, first, last)
    service_times = [
        (d, office, city, tenths, int(n)) for (d, office, city, tenths), n in histogram.items()
    ]
    return rows.rows(), service_times


def _insert(model: type[Model], columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Insert plain rows (the day or month, first, as its ordinal) in a few statements.

    bulk_create spent most of a build compiling each value through its field (a large build
    makes hundreds of thousands of rows); these columns are plain numbers and text, and the
    day goes through the backend's own date adapter once per day.
    """
    days: dict[int, Any] = {}

    def day(ordinal: int) -> Any:
        if ordinal not in days:
            date = datetime.date.fromordinal(ordinal)
            days[ordinal] = connection.ops.adapt_datefield_value(date)
        return days[ordinal]

    insert_rows(model._meta.db_table, columns, [(day(row[0]), *row[1:]) for row in rows])


def _compute(
    rows: _Rows,
    histogram: dict[tuple[int, int, str, int], int],
    first: datetime.date,
    last: datetime.date,
) -> None:
    claims = _in_days(Claim.objects.all(), first, last, "")
    paid = Q(paid_at__isnull=False) & ~Q(payment_method=PaymentMethod.NEXT_BILL)
    for row in _scoped(
        claims.values("d", "c", "o", "channel", "status", "counter_office_id").annotate(
            n=Count("id"), paid=Count("id", filter=paid), fees=Sum("channel_fee", filter=paid)
        )
    ):
        rows.add(row, RollupKind.CHANNEL, row["channel"], n=row["n"])
        rows.add(row, RollupKind.STATUS, row["status"], n=row["n"])
        if row["counter_office_id"]:
            closed = row["n"] if row["status"] == ClaimStatus.CLOSED else 0
            rows.add(
                row,
                RollupKind.OFFICE,
                row["counter_office_id"],
                n=row["n"],
                n2=row["paid"],
                n3=closed,
                total=row["fees"],
            )

    # Closed claims' working time: grouped by the exact seconds, binned here, so the 90th
    # percentile of the bins is the live one's rounded value (see selectors.service_tenths).
    served = _in_days(SlaClock.objects.all(), first, last, "claim__").filter(
        claim__status=ClaimStatus.CLOSED, stopped_at__isnull=False
    )
    for row in _scoped(
        served.values(
            "d", "c", "o", "worked_seconds", office=F("claim__counter_office_id")
        ).annotate(n=Count("id"), met=Count("id", filter=Q(worked_seconds__lt=F("target_seconds"))))
    ):
        worked = row["worked_seconds"] * row["n"]
        rows.add(row, RollupKind.SERVED, n=row["n"], n2=row["met"], total=worked)
        tenths = live.service_tenths(row["worked_seconds"])
        histogram[(row["d"], row["o"], row["c"] or "", tenths)] += row["n"]
        rows.add(row, RollupKind.SERVICE_SPAN, tenths // SERVICE_SPAN_TENTHS, n=row["n"])
        if row["office"]:
            office = row["office"]
            rows.add(row, RollupKind.OFFICE, office, n4=row["n"], n5=row["met"], total2=worked)

    open_clocks = _in_days(SlaClock.objects.all(), first, last, "claim__").filter(
        stopped_at__isnull=True, claim__status__in=OPEN_STATUSES
    )
    for row in _scoped(open_clocks.values("d", "c", "o", "state").annotate(n=Count("id"))):
        rows.add(row, RollupKind.OPEN_STATE, row["state"], n=row["n"])

    tested = claims.filter(outcome__in=live.TESTED_OUTCOMES).annotate(
        verdict=KT("findings__verdict")
    )
    for row in _scoped(
        tested.values(
            "d",
            "c",
            "o",
            "verdict",
            "outcome",
            "meter__make",
            "meter__model",
            "meter__manufacture_year",
        ).annotate(n=Count("id"))
    ):
        faulty = row["n"] if row["outcome"] == ClaimOutcome.FAULTY else 0
        tampered = row["n"] if row["outcome"] == ClaimOutcome.TAMPERED else 0
        rows.add(row, RollupKind.VERDICT, row["verdict"] or "", n=row["n"])
        rows.add(
            row,
            RollupKind.MODEL,
            row["meter__make"],
            row["meter__model"],
            n=row["n"],
            n2=faulty,
            n3=tampered,
        )
        rows.add(
            row, RollupKind.YEAR, row["meter__manufacture_year"], n=row["n"], n2=faulty, n3=tampered
        )

    payments = _in_days(Payment.objects.all(), first, last, "claim__").filter(
        status=PaymentStatus.PAID
    )
    for row in _scoped(
        payments.values("d", "c", "o", "method").annotate(n=Count("id"), t=Sum("amount_rial"))
    ):
        rows.add(row, RollupKind.PAID, row["method"], n=row["n"], total=row["t"])

    charges = _in_days(BillCharge.objects.all(), first, last, "claim__")
    for row in _scoped(charges.values("d", "c", "o").annotate(n=Count("id"), t=Sum("amount_rial"))):
        rows.add(row, RollupKind.ON_BILL, n=row["n"], total=row["t"])

    settled = claims.filter(fee_outcome__in=(FeeOutcome.REFUND, FeeOutcome.WAIVE))
    for row in _scoped(
        settled.values("d", "c", "o", "fee_outcome").annotate(
            n=Count("id"), t=Sum(F("test_fee") + F("vat"))
        )
    ):
        rows.add(row, RollupKind.SETTLED, row["fee_outcome"], n=row["n"], total=row["t"])

    corrections = _in_days(BillCorrection.objects.all(), first, last, "claim__").filter(
        approved_at__isnull=False
    )
    side = Case(
        When(difference_rial__lt=0, then=Value("credit")),
        When(difference_rial__gt=0, then=Value("debit")),
        default=Value(""),
    )
    for row in _scoped(
        corrections.annotate(side=side)
        .values("d", "c", "o", "side")
        .annotate(n=Count("id"), t=Sum("difference_rial"))
    ):
        if row["side"]:
            rows.add(row, RollupKind.CORRECTION, row["side"], n=row["n"], total=row["t"])

    complaints = _in_days(Complaint.objects.all(), first, last, "claim__")
    for row in _scoped(complaints.values("d", "c", "o").annotate(n=Count("id"))):
        rows.add(row, RollupKind.COMPLAINTS, n=row["n"])


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _offices(model: type[Model]) -> list[int]:
    """The offices a roll-up table has rows of (0 for the rows by city).

    Its primary key starts with the office, and a range of days alone would scan the whole
    table (millions of rows at a million claims, once per run of days): `office IN (these)
    AND day ...` is a range of the key per office. Read by the key's first column only (a
    loose index scan on MariaDB: one look-up per office)."""
    manager = model._default_manager
    return list(manager.order_by("office").values_list("office", flat=True).distinct())


def _by_day(model: type[Model], first: datetime.date, last: datetime.date) -> QuerySet[Any]:
    """The rows of a roll-up table for the days first..last, read by its primary key."""
    offices = _offices(model)
    return model._default_manager.filter(office__in=offices, day__gte=first, day__lte=last)


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _columns(*names: str) -> str:
    return ", ".join(connection.ops.quote_name(name) for name in names)


def _sum_days(first: datetime.date, last: datetime.date) -> None:
    """Sum the day figures just written into their months' rows and the days' counts (in
    the run's transaction): each month that has days in first..last is summed again whole,
    from the day rows, so a month computed over several runs ends up right.

    Summed by the database (INSERT ... SELECT ... GROUP BY): the rows never come to Python
    and back (at a million claims, a build read and wrote some three million rows so)."""
    _by_day(DashboardDayCount, first, last).delete()
    offices = _offices(DashboardDayFigure)
    if not offices:
        return
    adapt = connection.ops.adapt_datefield_value
    office_in = ", ".join(["%s"] * len(offices))
    values = ", ".join(f"SUM({name})" for name in _columns(*VALUES).split(", "))
    kind, n, n2 = _columns("kind", "n", "n2").split(", ")
    day_figures = _table(DashboardDayFigure)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(DashboardDayCount)} ({_columns(*DAY_COUNT_COLUMNS)}) "
            f"SELECT {_columns('day', 'office', 'city')}, "
            f"SUM(CASE WHEN {kind} = %s THEN {n} ELSE 0 END), "
            f"SUM(CASE WHEN {kind} = %s THEN {n} ELSE 0 END), "
            f"SUM(CASE WHEN {kind} = %s THEN {n2} ELSE 0 END) "
            f"FROM {day_figures} WHERE {_columns('office')} IN ({office_in}) "
            f"AND {_columns('day')} >= %s AND {_columns('day')} <= %s AND {kind} IN (%s, %s) "
            f"GROUP BY {_columns('office', 'day', 'city')}",
            [
                RollupKind.CHANNEL,
                RollupKind.SERVED,
                RollupKind.SERVED,
                *offices,
                adapt(first),
                adapt(last),
                RollupKind.CHANNEL,
                RollupKind.SERVED,
            ],
        )
        month = month_start(first)
        month_offices = _offices(DashboardMonthFigure)
        while month <= last:
            following = next_month(month)
            if month_offices:
                DashboardMonthFigure.objects.filter(office__in=month_offices, month=month).delete()
            group = _columns(*FIGURE_COLUMNS[1:6])
            cursor.execute(
                f"INSERT INTO {_table(DashboardMonthFigure)} "
                f"({_columns('month', *FIGURE_COLUMNS[1:])}) "
                f"SELECT %s, {group}, {values} FROM {day_figures} "
                f"WHERE {_columns('office')} IN ({office_in}) "
                f"AND {_columns('day')} >= %s AND {_columns('day')} < %s GROUP BY {group}",
                [adapt(month), *offices, adapt(month), adapt(following)],
            )
            month = following


def _runs(
    days: Iterable[datetime.date], batch_days: int
) -> list[tuple[datetime.date, datetime.date]]:
    """Consecutive days as (first, last) runs of at most `batch_days`, none crossing the
    start of a month: each run sums the months it has days of into their month rows (all
    the month's days), so a run over two months summed both, and each was summed again by
    the run before or after it (some 27 s of a build at a million claims). With runs of a
    month (the default batch), each month of a build is summed once."""
    runs: list[tuple[datetime.date, datetime.date]] = []
    for day in sorted(set(days)):
        if (
            runs
            and day - runs[-1][1] == ONE_DAY
            and (day - runs[-1][0]).days < batch_days
            and day.day != 1
        ):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _days_of(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]


class Recomputed(NamedTuple):
    days: int  # how many were computed
    finished: bool  # all that were asked for (else the rest are marked stale)


def recompute(
    days: Iterable[datetime.date],
    *,
    batch_days: int | None = None,
    budget_seconds: float | None = None,
) -> Recomputed:
    """Replace the rows of these days with freshly computed ones.

    Runs of consecutive days of at most `batch_days` within one month (DASHBOARD_ROLLUP_BATCH_DAYS:
    a month keeps each query's CASE short and its result small), oldest first (today, which every
    refresh adds, must not be all that a small budget ever reaches), each one transaction:
    its stale marks are removed first, so a change committed while it computes marks the
    day again for the next refresh. With `budget_seconds`, it stops after the run that ends
    past the budget and marks the days it did not reach stale, for the next refresh: a job
    run never holds the queue for minutes.
    """
    batch_days = max(1, int(batch_days or rule_value("DASHBOARD_ROLLUP_BATCH_DAYS")))
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    runs = _runs(days, batch_days)
    count = 0
    for done, (first, last) in enumerate(runs, 1):
        with transaction.atomic():
            DashboardStaleDay.objects.filter(day__gte=first, day__lte=last).delete()
            _by_day(DashboardDayFigure, first, last).delete()
            _by_day(DashboardServiceTime, first, last).delete()
            figures, service_times = compute_days(first, last)
            _insert(DashboardDayFigure, FIGURE_COLUMNS, figures)
            _insert(DashboardServiceTime, SERVICE_TIME_COLUMNS, service_times)
            # The filter's city list: a city comes with its first day's rows; one that has
            # none any more stays until the next rebuild (its figures are then zeros).
            cities = {figure[2] for figure in figures if figure[2]}
            DashboardCity.objects.bulk_create(
                [DashboardCity(name=name) for name in sorted(cities)], ignore_conflicts=True
            )
            _sum_days(first, last)
        count += (last - first).days + 1
        if deadline is not None and time.monotonic() >= deadline and done < len(runs):
            left = [day for first, last in runs[done:] for day in _days_of(first, last)]
            DashboardStaleDay.objects.bulk_create(
                [DashboardStaleDay(day=day) for day in left], ignore_conflicts=True
            )
            return Recomputed(count, finished=False)
    return Recomputed(count, finished=True)


def rebuild(now: datetime.datetime | None = None, *, budget_seconds: float | None = None) -> int:
    """Compute every day from the first claim's to today; return how many days were.

    The roll-up is read only once built (built_at set): until then the pages read live.
    With `budget_seconds` (the scheduler's job) the build goes on over the next refreshes,
    which compute the days it has not reached (marked stale), and ends with the one that
    computes the last of them.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    earliest = Claim.objects.order_by().aggregate(at=Min("filed_at"))["at"]
    first = timezone.localdate(earliest) if earliest else today
    outside = Q(day__lt=first) | Q(day__gt=today)
    DashboardDayFigure.objects.filter(outside).delete()
    DashboardServiceTime.objects.filter(outside).delete()
    DashboardDayCount.objects.filter(outside).delete()
    DashboardMonthFigure.objects.filter(
        Q(month__lt=month_start(first)) | Q(month__gt=today)
    ).delete()
    DashboardCity.objects.all().delete()
    DashboardRollup.objects.all().delete()
    building = DashboardRollup.objects.create(built_at=None, refreshed_at=now, refreshed_day=today)
    done = recompute(_days_of(first, today), budget_seconds=budget_seconds)
    if done.finished:
        DashboardRollup.objects.filter(pk=building.pk).update(built_at=now)
    return done.days


def refresh(now: datetime.datetime | None = None, *, budget_seconds: float | None = None) -> int:
    """Recompute the stale days and the days since the last refresh (building the roll-up
    the first time, or going on with a build); return how many days were computed.
    `budget_seconds`: stop after about this long, the rest left for the next refresh."""
    now = now or timezone.now()
    current = DashboardRollup.objects.first()
    if current is None:
        return rebuild(now, budget_seconds=budget_seconds)
    today = timezone.localdate(now)
    days = set(DashboardStaleDay.objects.values_list("day", flat=True))
    day = min(current.refreshed_day, today)
    while day <= today:
        days.add(day)
        day += ONE_DAY
    done = recompute(days, budget_seconds=budget_seconds)
    changes: dict[str, Any] = {"refreshed_at": now, "refreshed_day": today}
    if current.built_at is None and done.finished:
        changes["built_at"] = now  # the build's last days: the pages read the roll-up now
    DashboardRollup.objects.filter(pk=current.pk).update(**changes)
    return done.days


def job_budget_seconds() -> float:
    """How long one run of a batched job may go on (JOB_RUN_BUDGET_SECONDS)."""
    return float(rule_value("JOB_RUN_BUDGET_SECONDS"))


# --- marking days stale ---------------------------------------------------------------------


def mark_stale(filed: Iterable[datetime.datetime | None]) -> None:
    """Mark the local days of these filing times stale, except today (always recomputed)."""
    today = timezone.localdate()
    days = {timezone.localdate(at) for at in filed if at is not None}
    days = {day for day in days if day < today}
    if days:
        DashboardStaleDay.objects.bulk_create(
            [DashboardStaleDay(day=day) for day in sorted(days)], ignore_conflicts=True
        )


# Filing times of the claims this thread saved lately (a claim's filing time never changes):
# the clock, payment and charge saved right after their claim need no query to find its day.
_recent = threading.local()
RECENT_CLAIMS = 64


def _remember(claim_id: int, filed_at: datetime.datetime) -> None:
    recent = getattr(_recent, "filed", None)
    if recent is None:
        recent = _recent.filed = OrderedDict()
    recent[claim_id] = filed_at
    recent.move_to_end(claim_id)
    while len(recent) > RECENT_CLAIMS:
        recent.popitem(last=False)


def _claim_changed(sender: type[Claim], instance: Claim, **kwargs: Any) -> None:
    if instance.pk is not None and instance.filed_at is not None:
        _remember(instance.pk, instance.filed_at)
    mark_stale([instance.filed_at])


# The records of a claim whose changes the roll-up counts.
ClaimPart = SlaClock | Payment | BillCharge | BillCorrection | Complaint


def _part_changed(sender: type[ClaimPart], instance: ClaimPart, **kwargs: Any) -> None:
    """A payment, charge, clock, correction or complaint of a claim was saved or deleted."""
    if instance.claim_id is None:
        return
    field = instance._meta.get_field("claim")
    filed: Iterable[datetime.datetime | None]
    if field.is_cached(instance) and instance.claim is not None:
        filed = [instance.claim.filed_at]
    elif instance.claim_id in getattr(_recent, "filed", {}):
        filed = [_recent.filed[instance.claim_id]]
    else:
        filed = Claim.objects.filter(pk=instance.claim_id).values_list("filed_at", flat=True)
    mark_stale(filed)


# What the roll-up keeps of a subscriber and of a meter.
OWNER_FIELDS = {"subscriber": {"city"}, "meter": {"make", "model", "manufacture_year"}}


def _owner_changed(
    sender: type[Subscriber | Meter],
    instance: Subscriber | Meter,
    created: bool = False,
    update_fields: Iterable[str] | None = None,
    **kwargs: Any,
) -> None:
    """A subscriber's city or a meter's make, model or year may have changed: every day
    with one of its claims is stale (a new one has none)."""
    field = "subscriber" if sender is Subscriber else "meter"
    if created or (update_fields is not None and not OWNER_FIELDS[field] & set(update_fields)):
        return
    mark_stale(Claim.objects.filter(**{field: instance}).values_list("filed_at", flat=True))


def connect_signals() -> None:
    uid = "meter_service.dashboards.rollup"
    post_save.connect(_claim_changed, sender=Claim, dispatch_uid=f"{uid}.claim.save")
    post_delete.connect(_claim_changed, sender=Claim, dispatch_uid=f"{uid}.claim.delete")
    for model in (SlaClock, Payment, BillCharge, BillCorrection, Complaint):
        name = model._meta.model_name
        post_save.connect(_part_changed, sender=model, dispatch_uid=f"{uid}.{name}.save")
        post_delete.connect(_part_changed, sender=model, dispatch_uid=f"{uid}.{name}.delete")
    for owner in (Subscriber, Meter):
        name = owner._meta.model_name
        post_save.connect(_owner_changed, sender=owner, dispatch_uid=f"{uid}.{name}.save")


# --- reading the figures --------------------------------------------------------------------


class Sums(NamedTuple):
    n: int = 0
    n2: int = 0
    n3: int = 0
    n4: int = 0
    n5: int = 0
    total: int = 0
    total2: int = 0


NONE = Sums()


@dataclass
class Totals:
    """The filter's roll-up rows summed: (kind, key, key2) -> Sums, and per day the claims
    filed, closed and closed within target, for the chart by period."""

    rows: dict[tuple[str, str, str], Sums]
    days: dict[datetime.date, tuple[int, int, int]]
    first_day: datetime.date | None

    def of(self, kind: str) -> dict[tuple[str, str], Sums]:
        return {(k, k2): v for (kd, k, k2), v in self.rows.items() if kd == kind}

    def by_key(self, kind: str) -> dict[str, Sums]:
        return {k: v for (k, _k2), v in self.of(kind).items()}

    def one(self, kind: str) -> Sums:
        return self.rows.get((kind, "", ""), NONE)


def state() -> DashboardRollup | None:
    """The roll-up once built (None before, and while a build goes on over several runs)."""
    return DashboardRollup.objects.filter(built_at__isnull=False).first()


def _summed(qs: QuerySet[Any], *group: str) -> list[tuple[tuple[Any, ...], Sums]]:
    rows = qs.values(*group).annotate(**{f"s_{name}": Sum(name) for name in VALUES})
    return [(tuple(r[g] for g in group), Sums(*(r[f"s_{name}"] for name in VALUES))) for r in rows]


def _scope(qs: QuerySet[Any], f: live.DashboardFilter) -> QuerySet[Any]:
    """The roll-up rows of the filter's city, office, or both (any days)."""
    qs = qs.order_by()
    if f.office_id:
        return qs.filter(office=f.office_id, city=f.city or "")
    qs = qs.filter(office=0)
    if f.city:
        qs = qs.filter(city=f.city)
    return qs


def _selected(qs: QuerySet[Any], f: live.DashboardFilter) -> QuerySet[Any]:
    """The roll-up rows (day figures, counts or service times) of the filter's days and
    city or office."""
    if f.date_from:
        qs = qs.filter(day__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(day__lte=f.date_to)
    return _scope(qs, f)


class MonthSplit(NamedTuple):
    """A date range as the whole calendar months in it and the days outside them."""

    months: Q | None  # the month rows to read (None: no whole month)
    days: Q | None  # the day rows to read (None: no day outside the months)


def month_split(date_from: datetime.date | None, date_to: datetime.date | None) -> MonthSplit:
    """Either end may be open (from the first claim; up to today, whose month's rows hold
    every day up to today)."""
    first = (
        None if date_from is None else (date_from if date_from.day == 1 else next_month(date_from))
    )
    end = None if date_to is None else month_start(date_to + ONE_DAY)  # months before it
    if first is not None and end is not None and first >= end:
        whole = Q(day__gte=date_from) & Q(day__lte=date_to)  # no whole month: days only
        return MonthSplit(months=None, days=whole)
    months = Q()
    days: list[Q] = []
    if first is not None:
        months &= Q(month__gte=first)
        if date_from is not None and date_from < first:
            days.append(Q(day__gte=date_from, day__lt=first))
    if end is not None:
        months &= Q(month__lt=end)
        if date_to is not None and end <= date_to:
            days.append(Q(day__gte=end, day__lte=date_to))
    either = None
    for q in days:
        either = q if either is None else either | q
    return MonthSplit(months=months, days=either)


def _added(into: dict[Any, Sums], rows: list[tuple[tuple[Any, ...], Sums]]) -> None:
    for key, sums in rows:
        had = into.get(key)
        into[key] = sums if had is None else Sums(*(a + b for a, b in zip(had, sums, strict=True)))


def totals(f: live.DashboardFilter) -> Totals:
    """Sum the roll-up rows of the filter's city or office: the whole months of its range
    from the month rows, the days at its ends from the day rows, and the day counts for
    the chart (the service-time histogram is left for service_time's own read)."""
    split = month_split(f.date_from, f.date_to)
    rows: dict[Any, Sums] = {}
    group = ("kind", "key", "key2")
    if split.months is not None:
        _added(rows, _summed(_scope(DashboardMonthFigure.objects.filter(split.months), f), *group))
    if split.days is not None:
        _added(rows, _summed(_scope(DashboardDayFigure.objects.filter(split.days), f), *group))
    counted = (
        _selected(DashboardDayCount.objects.all(), f)
        .values("day")
        .annotate(filed=Sum("filed"), closed=Sum("closed"), met=Sum("met"))
    )
    days = {row["day"]: (row["filed"], row["closed"], row["met"]) for row in counted}
    return Totals(rows=rows, days=days, first_day=min(days, default=None))


def claims_by_channel(t: Totals, f: live.DashboardFilter) -> list[dict[str, Any]]:
    return live.channel_rows({k: v.n for k, v in t.by_key(RollupKind.CHANNEL).items()})


def claims_by_status(t: Totals, f: live.DashboardFilter) -> list[dict[str, Any]]:
    return live.status_rows({k: v.n for k, v in t.by_key(RollupKind.STATUS).items()})


def claims_by_period(t: Totals, f: live.DashboardFilter) -> list[dict[str, Any]]:
    first = f.date_from or t.first_day
    if first is None:
        return []
    periods = buckets(first, f.date_to or timezone.localdate(), f.period)
    starts = [b.start for b in periods]
    sums = [[0, 0, 0] for _b in periods]  # filed, closed, met
    # Each day's counts go to their period once (a bisection), not once per period.
    for day, (filed, closed, met) in t.days.items():
        index = bisect.bisect_right(starts, day) - 1
        if index < 0 or day >= periods[index].end:
            continue
        sums[index][0] += filed
        sums[index][1] += closed
        sums[index][2] += met
    return [
        {
            "start": b.start,
            "end": b.end - ONE_DAY,
            "label": bucket_label(b),
            "filed": filed,
            "closed": closed,
            "met": met,
        }
        for b, (filed, closed, met) in zip(periods, sums, strict=True)
    ]


def _nearest_rank(counts: Iterable[tuple[int, int]], rank: int) -> tuple[int, int] | None:
    """Walk (value, count) in value order: the value holding the rank-th item, and how
    many items came before it (None when there are fewer than `rank`)."""
    seen = 0
    for value, n in sorted(counts):
        if seen + n >= rank:
            return value, seen
        seen += n
    return None


def service_time(t: Totals, f: live.DashboardFilter) -> dict[str, Any]:
    served = t.one(RollupKind.SERVED)
    p90 = None
    if served.n:
        rank = max(1, math.ceil(90 * served.n / 100))
        spans = ((int(k), v.n) for k, v in t.by_key(RollupKind.SERVICE_SPAN).items())
        coarse = _nearest_rank(spans, rank)
        # None only when the spans count fewer claims than the served total (a roll-up
        # that does not add up): no 90th percentile then, rather than a TypeError.
        if coarse is not None:
            span, before = coarse
            low = span * SERVICE_SPAN_TENTHS
            fine = _selected(DashboardServiceTime.objects.all(), f).filter(
                tenths__gte=low, tenths__lt=low + SERVICE_SPAN_TENTHS
            )
            tenths = fine.values_list("tenths").annotate(count=Sum("n"))
            nearest = _nearest_rank(tenths, rank - before)
            p90 = nearest[0] / 10 if nearest is not None else None
    return {
        "count": served.n,
        "average_hours": live._hours(served.total / served.n) if served.n else None,
        "p90_hours": p90,
        "target_hours": live.target_hours(),
    }


def sla_compliance(t: Totals, f: live.DashboardFilter) -> dict[str, Any]:
    served = t.one(RollupKind.SERVED)
    states = {k: v.n for k, v in t.by_key(RollupKind.OPEN_STATE).items()}
    return live.sla_figures(served.n, served.n2, states)


def verdict_mix(t: Totals, f: live.DashboardFilter) -> list[dict[str, Any]]:
    counts = [(k, v.n) for k, v in t.by_key(RollupKind.VERDICT).items()]
    return live.verdict_rows(sorted(counts, key=lambda kv: (-kv[1], kv[0])))


def fault_rate_by_model(t: Totals, f: live.DashboardFilter) -> list[dict[str, Any]]:
    rows = sorted(t.of(RollupKind.MODEL).items(), key=lambda kv: (-kv[1].n, kv[0]))
    return [
        {
            "make": make,
            "model": model,
            "tested": v.n,
            "faulty": v.n2,
            "tampered": v.n3,
            "rate": round(v.n2 * 100.0 / v.n, 1),
        }
        for (make, model), v in rows
    ]


def fault_rate_by_age(t: Totals, f: live.DashboardFilter) -> list[dict[str, Any]]:
    year = (f.date_to or timezone.localdate()).year
    by_band: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for key, v in t.by_key(RollupKind.YEAR).items():
        band = by_band[live.age_band(int(key) if key else None, year)]
        band[0] += v.n
        band[1] += v.n2
        band[2] += v.n3
    return live.age_rows({band: (v[0], v[1], v[2]) for band, v in by_band.items()})


def fees(t: Totals, f: live.DashboardFilter) -> dict[str, Any]:
    paid = {k: {"amount": v.total, "count": v.n} for k, v in t.by_key(RollupKind.PAID).items()}
    on_bill = t.one(RollupKind.ON_BILL)
    settled = t.by_key(RollupKind.SETTLED)
    refund = settled.get(FeeOutcome.REFUND, NONE)
    waive = settled.get(FeeOutcome.WAIVE, NONE)
    return live.fee_figures(
        paid,
        on_bill=(on_bill.total, on_bill.n),
        refunded=(refund.total, refund.n),
        waived=(waive.total, waive.n),
    )


def correction_totals(t: Totals, f: live.DashboardFilter) -> dict[str, Any]:
    sides = t.by_key(RollupKind.CORRECTION)
    credit, debit = sides.get("credit", NONE), sides.get("debit", NONE)
    return live.correction_figures(credit.total, credit.n, debit.total, debit.n)


def complaints_per_thousand(t: Totals, f: live.DashboardFilter) -> dict[str, Any]:
    claims = sum(v.n for v in t.by_key(RollupKind.CHANNEL).values())
    return live.complaint_figures(t.one(RollupKind.COMPLAINTS).n, claims)


def office_performance(t: Totals, f: live.DashboardFilter) -> list[dict[str, Any]]:
    offices = t.by_key(RollupKind.OFFICE)
    names = {
        str(o["pk"]): o
        for o in CounterOffice.objects.filter(pk__in=[int(k) for k in offices]).values(
            "pk", "code", "name"
        )
    }
    rows = []
    for key, v in offices.items():
        office = names.get(key)
        if office is None:
            continue
        rows.append(
            {
                "office_id": office["pk"],
                "code": office["code"],
                "name": office["name"],
                "claims": v.n,
                "paid": v.n2,
                "closed": v.n3,
                "office_fees": v.total,
                "average_hours": live._hours(v.total2 / v.n4) if v.n4 else None,
                "sla_percent": live._percent(v.n5, v.n4),
            }
        )
    return sorted(rows, key=lambda r: (-r["claims"], r["code"]))


def max_age() -> datetime.timedelta:
    seconds = rule_value("DASHBOARD_ROLLUP_MAX_AGE_SECONDS")
    return datetime.timedelta(seconds=int(seconds))


def _refreshed_if_old(current: DashboardRollup) -> DashboardRollup:
    """Refresh a roll-up the scheduler has left behind (none runs on the embedded demo, or
    it is down), once at a time; on any failure the figures of the last refresh stand."""
    if timezone.now() - current.refreshed_at <= max_age():
        return current
    if not cache.add(REFRESH_LOCK, "1", timeout=120):
        return current  # another request is refreshing it
    try:
        refresh(budget_seconds=job_budget_seconds())
    except DatabaseError:
        logger.warning("dashboard roll-up refresh failed; showing the last one", exc_info=True)
        return current
    finally:
        cache.delete(REFRESH_LOCK)
    return state() or current


def figures(
    f: live.DashboardFilter, names: Iterable[str]
) -> tuple[dict[str, Any], datetime.datetime] | None:
    """The named roll-up figures for the filter and the roll-up's time, or None when the
    roll-up cannot answer (not built yet)."""
    names = [name for name in names if name in FIGURES]
    if not names:
        return None
    current = state()
    if current is None:
        return None
    current = _refreshed_if_old(current)
    t = totals(f)
    return {name: globals()[name](t, f) for name in names}, current.refreshed_at
