"""The daily roll-up gives the live figures, and the scheduler keeps it so.

On the hand-worked data set of conftest.py (with corrections and complaints added), every
figure read from the roll-up equals the one the live selectors compute from the claims, for
the filters a manager can pick; changes to claims mark their day and the refresh brings the
roll-up back in line.
"""

from __future__ import annotations

import dataclasses
import datetime
import math

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from apps.meter_service import jobs
from apps.meter_service.dashboards import rollup, selectors
from apps.meter_service.dashboards.forms import city_choices
from apps.meter_service.dashboards.models import (
    DashboardCity,
    DashboardDayCount,
    DashboardDayFigure,
    DashboardMonthFigure,
    DashboardRollup,
    DashboardServiceTime,
    DashboardStaleDay,
)
from apps.meter_service.dashboards.periods import Period
from apps.meter_service.dashboards.selectors import DashboardFilter
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.payment.models import Payment
from apps.meter_service.doctype.sla.models import SlaClock
from apps.meter_service.doctype.subscriber.models import Subscriber
from tests.dashboards.conftest import QAZVIN, RANGE, TAKESTAN, local
from tests.dashboards.test_selectors import _complaint, _correction

pytestmark = pytest.mark.django_db

ROLLUP_TABLES = (DashboardDayFigure, DashboardMonthFigure, DashboardDayCount, DashboardServiceTime)

FILTERS = [
    RANGE,
    dataclasses.replace(RANGE, period=Period.WEEK),
    dataclasses.replace(RANGE, period=Period.DAY),
    dataclasses.replace(RANGE, city=QAZVIN),
    dataclasses.replace(RANGE, city=TAKESTAN, period=Period.WEEK),
    DashboardFilter(date_from=datetime.date(2024, 4, 22), date_to=datetime.date(2024, 5, 1)),
    DashboardFilter(date_to=datetime.date(2024, 6, 20)),  # from the first claim
    DashboardFilter(date_from=datetime.date(2024, 1, 1)),  # up to today
    DashboardFilter(date_from=datetime.date(2020, 1, 1), date_to=datetime.date(2020, 1, 31)),
    # Whole months only, whole months with days at both ends, and a month and a day.
    DashboardFilter(date_from=datetime.date(2024, 3, 1), date_to=datetime.date(2024, 5, 31)),
    DashboardFilter(date_from=datetime.date(2024, 3, 26), date_to=datetime.date(2024, 6, 15)),
    dataclasses.replace(RANGE, date_from=datetime.date(2024, 4, 1), city=QAZVIN),
    DashboardFilter(date_from=datetime.date(2024, 2, 10), date_to=datetime.date(2024, 3, 1)),
]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def full(data, roles):
    """The data set with approved and draft corrections and complaints about claims."""
    claims = data["claims"]
    _correction(claims["C1"], -40_000, approved=True)
    _correction(claims["C4"], 25_000, approved=True)
    _correction(claims["C2"], 99_000, approved=False)
    _correction(claims["C10"], -7_000, approved=True)
    for name in ("C1", "C1", "C2", "C10", "C11"):
        _complaint(claims[name])
    _complaint()
    return data


def _live(f: DashboardFilter) -> dict:
    return selectors.dashboard(f, live=True).figures


def _from_rollup(f: DashboardFilter) -> dict:
    d = selectors.dashboard(f)
    assert d.from_rollup
    return d.figures


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: repr(dataclasses.astuple(f)))
def test_every_figure_from_the_rollup_equals_the_live_one(full, f):
    rollup.rebuild()
    assert _from_rollup(f) == _live(f)


def test_the_rollup_holds_sums_not_claims(full):
    days = rollup.rebuild()
    # From C10's day (2024-02-10) to today, every day computed; rows only where claims are.
    assert days == (timezone.localdate() - datetime.date(2024, 2, 10)).days + 1
    filed_days = {timezone.localdate(c.filed_at) for c in Claim.objects.all()}
    assert set(DashboardDayFigure.objects.values_list("day", flat=True)) == filed_days
    # C1's day: one web claim in Qazvin, closed in 10 h, tested within tolerance.
    c1 = {
        (row.kind, row.key): (row.n, row.n2, row.n3, row.total)
        for row in DashboardDayFigure.objects.filter(day=datetime.date(2024, 3, 25))
    }
    assert c1[("channel", "web")] == (1, 0, 0, 0)
    assert c1[("served", "")] == (1, 1, 0, 10 * 3600)
    histogram = DashboardServiceTime.objects.filter(day=datetime.date(2024, 3, 25))
    assert list(histogram.values_list("office", "city", "tenths", "n")) == [(0, QAZVIN, 100, 1)]
    assert c1[("service_span", "2")] == (1, 0, 0, 0)  # tenths 100..149
    assert c1[("verdict", "within_tolerance")] == (1, 0, 0, 0)
    assert c1[("correction", "credit")] == (1, 0, 0, -40_000)
    assert c1[("complaints", "")] == (2, 0, 0, 0)
    assert c1[("paid", "gateway")] == (1, 0, 0, 1_650_000)
    # C2's day: office O1's claim, paid with the office's fee, closed late after 30 h; summed
    # by its subscriber's city (office 0), by its office (city "") and by both.
    o1 = full["offices"]["O1"].pk
    c2_day = DashboardDayFigure.objects.filter(day=datetime.date(2024, 3, 30), kind="office")
    assert {(row.office, row.city) for row in c2_day} == {(0, QAZVIN), (o1, ""), (o1, QAZVIN)}
    for c2 in c2_day:
        assert (c2.key, c2.n, c2.n2, c2.n3, c2.total) == (str(o1), 1, 1, 1, 109_000)
        assert (c2.n4, c2.n5, c2.total2) == (1, 0, 30 * 3600)


@pytest.mark.parametrize("name", ["O1", "O2"])
@pytest.mark.parametrize("f", [RANGE, DashboardFilter(), dataclasses.replace(RANGE, period="day")])
def test_a_counter_offices_figures_from_the_rollup_equal_the_live_ones(full, name, f):
    rollup.rebuild()
    office = dataclasses.replace(f, office_id=full["offices"][name].pk)
    assert _from_rollup(office) == _live(office)


@pytest.mark.parametrize("name, city", [("O1", QAZVIN), ("O2", TAKESTAN), ("O1", TAKESTAN)])
@pytest.mark.parametrize("f", [RANGE, DashboardFilter()])
def test_an_office_and_a_city_together_from_the_rollup_equal_the_live_ones(full, name, city, f):
    rollup.rebuild()
    both = dataclasses.replace(f, office_id=full["offices"][name].pk, city=city)
    assert _from_rollup(both) == _live(both)


def test_without_a_rollup_the_figures_are_live(data):
    assert not selectors.dashboard(RANGE).from_rollup


def test_a_change_marks_the_day_and_the_refresh_catches_up(full):
    rollup.rebuild()
    c5 = full["claims"]["C5"]
    # C5 (05-25, in progress) is closed within its target: the claim and its clock are saved.
    c5.status = "closed"
    c5.save()
    clock = SlaClock.objects.get(claim=c5)
    clock.stopped_at = c5.filed_at + datetime.timedelta(days=2)
    clock.running_since = None
    clock.save()
    assert list(DashboardStaleDay.objects.values_list("day", flat=True)) == [
        datetime.date(2024, 5, 25)
    ]
    # Until the refresh the roll-up tells the figures of its last run.
    stale = _from_rollup(RANGE)
    assert stale["sla_compliance"]["closed"] == 5
    assert stale != _live(RANGE)
    result = jobs.dashboard_refresh()
    assert result["days"] == 2  # the stale day and today
    assert not DashboardStaleDay.objects.exists()
    fresh = _from_rollup(RANGE)
    assert fresh["sla_compliance"]["closed"] == 6
    assert fresh == _live(RANGE)


def test_payments_complaints_and_deletions_mark_days(full):
    rollup.rebuild()
    claims = full["claims"]
    Payment.objects.create(
        claim=claims["C7"],
        method="gateway",
        amount_rial=1_650_000,
        status="paid",
        is_paid=True,
        authority="R7",
    )
    _complaint(claims["C3"])
    claims["C12"].delete()
    assert set(DashboardStaleDay.objects.values_list("day", flat=True)) == {
        datetime.date(2024, 6, 10),
        datetime.date(2024, 4, 22),
        datetime.date(2024, 6, 21),
    }
    rollup.refresh()
    assert _from_rollup(RANGE) == _live(RANGE)
    everything = DashboardFilter()
    assert _from_rollup(everything) == _live(everything)


def test_a_subscribers_new_city_marks_the_days_of_its_claims(full):
    rollup.rebuild()
    subscriber = full["claims"]["C7"].subscriber  # Takestan: C3, C7, C11, C12
    subscriber.city = QAZVIN
    subscriber.save()
    assert DashboardStaleDay.objects.count() == 4
    rollup.refresh()
    takestan = dataclasses.replace(RANGE, city=TAKESTAN)
    assert sum(r["count"] for r in _from_rollup(takestan)["claims_by_channel"]) == 0
    assert _from_rollup(RANGE) == _live(RANGE)


def test_todays_claims_mark_nothing_and_are_recomputed_every_run(full, make_subscriber):
    rollup.rebuild()
    today = selectors.DashboardFilter(date_from=timezone.localdate())
    claim = full["claims"]["C12"]
    claim.pk = None
    claim.tracking_code = "7700000099"
    claim.filed_at = timezone.now()
    claim.is_open = None
    claim.save()
    assert not DashboardStaleDay.objects.exists()
    assert _from_rollup(today)["complaints_per_thousand"]["claims"] == 0
    rollup.refresh()
    assert _from_rollup(today)["complaints_per_thousand"]["claims"] == 1


def test_the_refresh_covers_the_days_since_the_last_run(full):
    rollup.rebuild()
    # The last run was three days ago: those days and today are recomputed.
    DashboardRollup.objects.update(refreshed_day=timezone.localdate() - datetime.timedelta(3))
    assert rollup.refresh() == 4


def test_the_first_refresh_builds_the_rollup(full):
    assert DashboardRollup.objects.count() == 0
    jobs.dashboard_refresh()
    assert DashboardRollup.objects.count() == 1
    assert _from_rollup(RANGE) == _live(RANGE)


def test_the_command_rebuilds(full, capsys):
    call_command("dashboard_rollup", "--rebuild")
    assert "days computed" in capsys.readouterr().out
    DashboardDayFigure.objects.filter(day=datetime.date(2024, 3, 25)).delete()
    call_command("dashboard_rollup", "--rebuild")
    assert _from_rollup(RANGE) == _live(RANGE)


@pytest.mark.parametrize(
    "seconds",
    [
        (179, 180, 181, 539, 540),  # around the half-tenth rounding
        (17_999, 18_000, 18_179, 18_180, 18_181),  # around the five-hour span's edge
        (0, 0, 0, 0, 3_600_000),
        (36_000, 36_000, 36_000, 36_000, 36_000),
    ],
)
def test_the_90th_percentile_matches_on_the_edges_of_tenths_and_spans(full, seconds):
    served = SlaClock.objects.filter(claim__status="closed", stopped_at__isnull=False)
    clocks = list(served.filter(claim__filed_at__gte=local(3, 20, 0)).order_by("pk"))
    assert len(clocks) == len(seconds)
    for clock, worked in zip(clocks, seconds, strict=True):
        SlaClock.objects.filter(pk=clock.pk).update(worked_seconds=worked)
    rollup.rebuild()
    live_figure = _live(RANGE)["service_time"]
    assert _from_rollup(RANGE)["service_time"] == live_figure
    rank_value = sorted(seconds)[4]  # the 5th of 5 (nearest rank of 90 % of 5)
    assert live_figure["p90_hours"] == selectors.service_tenths(rank_value) / 10


def test_a_rollup_left_behind_is_refreshed_by_the_page(full, settings):
    rollup.rebuild()
    c6 = full["claims"]["C6"]
    c6.status = "cancelled"
    c6.is_open = None
    c6.save()
    # Recent enough: the page shows the last refresh.
    assert _from_rollup(RANGE) != _live(RANGE)
    # Older than DASHBOARD_ROLLUP_MAX_AGE_SECONDS (no scheduler ran): refreshed on reading.
    old = timezone.now() - rollup.max_age() - datetime.timedelta(seconds=1)
    DashboardRollup.objects.update(refreshed_at=old)
    d = selectors.dashboard(RANGE)
    assert d.from_rollup and d.figures == _live(RANGE)
    assert d.as_of > old
    assert not DashboardStaleDay.objects.exists()


def _choice_names() -> set[str]:
    return {name for name, _label in city_choices() if name}


def test_the_city_list_is_read_from_the_rollup_not_the_claims(full):
    rollup.rebuild()
    with CaptureQueriesContext(connection) as queries:
        names = _choice_names()
    assert {QAZVIN, TAKESTAN} <= names
    sql = " ".join(query["sql"] for query in queries)
    for model in (Claim, Subscriber):
        assert connection.ops.quote_name(model._meta.db_table) not in sql, sql


def test_a_new_city_joins_the_list_with_the_refresh(full):
    rollup.rebuild()
    subscriber = Claim.objects.order_by("filed_at").first().subscriber
    subscriber.city = "Abyek"
    subscriber.save()
    assert "Abyek" not in _choice_names()
    rollup.refresh()
    assert "Abyek" in _choice_names()
    # A rebuild starts the list afresh from the claims' subscribers.
    DashboardCity.objects.create(name="Nowhere")
    rollup.rebuild()
    assert "Nowhere" not in _choice_names()


def _rollup_rows() -> list[tuple]:
    """Every row of the figures and of the service-time histogram."""
    return sorted(
        (model.__name__, *row.values()) for model in ROLLUP_TABLES for row in model.objects.values()
    )


def _months(first: datetime.date, last: datetime.date) -> list[list[datetime.date]]:
    """The days first..last, month by month."""
    months: dict[tuple[int, int], list[datetime.date]] = {}
    day = first
    while day <= last:
        months.setdefault((day.year, day.month), []).append(day)
        day += datetime.timedelta(days=1)
    return list(months.values())


def test_runs_of_days_are_bounded_and_never_cross_a_month():
    day = datetime.date
    days = [day(2024, 1, 20) + datetime.timedelta(days=i) for i in range(60)]  # to 19 March
    days.remove(day(2024, 2, 10))
    assert rollup._runs(days, 31) == [
        (day(2024, 1, 20), day(2024, 1, 31)),
        (day(2024, 2, 1), day(2024, 2, 9)),
        (day(2024, 2, 11), day(2024, 2, 29)),
        (day(2024, 3, 1), day(2024, 3, 19)),
    ]
    assert rollup._runs(days, 7)[:3] == [
        (day(2024, 1, 20), day(2024, 1, 26)),
        (day(2024, 1, 27), day(2024, 1, 31)),
        (day(2024, 2, 1), day(2024, 2, 7)),
    ]
    for batch_days in (1, 7, 30, 31, 90):
        runs = rollup._runs(days, batch_days)
        assert sorted(d for first, last in runs for d in rollup._days_of(first, last)) == days
        for first, last in runs:
            assert (first.year, first.month) == (last.year, last.month)
            assert (last - first).days < batch_days


def test_a_build_sums_each_month_once(full):
    """Runs of a month (the default batch): one sum into the month rows a month, not one
    for each run with days of it."""
    table = connection.ops.quote_name(DashboardMonthFigure._meta.db_table)
    with CaptureQueriesContext(connection) as queries:
        days = rollup.rebuild()
    today = timezone.localdate()
    months = _months(today - datetime.timedelta(days=days - 1), today)
    sums = [q["sql"] for q in queries if q["sql"].startswith(f"INSERT INTO {table}")]
    assert len(sums) == len(months) > 1
    assert _from_rollup(RANGE) == _live(RANGE)


def test_a_build_goes_on_over_runs_of_the_job_and_equals_one_pass(full, settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "DASHBOARD_ROLLUP_BATCH_DAYS": 30}
    days = rollup.rebuild()
    one_pass = _rollup_rows()
    DashboardRollup.objects.all().delete()
    for model in ROLLUP_TABLES:
        model.objects.all().delete()
    # No time to spare: every run computes one batch of up to 30 days of one month and
    # leaves the rest stale (a 31-day month is two batches).
    today = timezone.localdate()
    first = today - datetime.timedelta(days=days - 1)
    batches = sum(math.ceil(len(month) / 30) for month in _months(first, today))
    runs = 0
    while rollup.state() is None:
        assert not selectors.dashboard(RANGE).from_rollup  # the pages read live meanwhile
        rollup.refresh(budget_seconds=0)
        runs += 1
    assert runs == batches > len(_months(first, today)) > 1
    assert _rollup_rows() == one_pass
    assert not DashboardStaleDay.objects.exists()
    assert _from_rollup(RANGE) == _live(RANGE)


def test_a_refresh_over_its_budget_leaves_the_rest_stale_for_the_next(full, settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "DASHBOARD_ROLLUP_BATCH_DAYS": 1}
    rollup.rebuild()
    c1, c6 = full["claims"]["C1"], full["claims"]["C6"]
    for claim in (c1, c6):
        claim.status = "cancelled"
        claim.is_open = None
        claim.save()
    stale = set(DashboardStaleDay.objects.values_list("day", flat=True))
    assert len(stale) == 2
    # The two stale days and today: three batches of a day, one a run.
    assert rollup.refresh(budget_seconds=0) == 1
    assert DashboardStaleDay.objects.count() == 2  # one stale day and today, both left
    assert rollup.refresh(budget_seconds=0) == 1
    assert rollup.refresh(budget_seconds=0) == 1
    assert not DashboardStaleDay.objects.exists()
    assert _from_rollup(RANGE) == _live(RANGE)


def test_a_range_is_read_as_its_whole_months_and_the_days_at_its_ends():
    split = rollup.month_split
    day = datetime.date
    assert split(None, None) == rollup.MonthSplit(months=Q(), days=None)
    whole = split(day(2024, 3, 1), day(2024, 5, 31))
    assert whole.months == Q(month__gte=day(2024, 3, 1)) & Q(month__lt=day(2024, 6, 1))
    assert whole.days is None
    ends = split(day(2024, 3, 26), day(2024, 6, 15))
    assert ends.months == Q(month__gte=day(2024, 4, 1)) & Q(month__lt=day(2024, 6, 1))
    assert ends.days == Q(day__gte=day(2024, 3, 26), day__lt=day(2024, 4, 1)) | Q(
        day__gte=day(2024, 6, 1), day__lte=day(2024, 6, 15)
    )
    # No whole month in it: days only. February of a leap year ends on the 29th.
    assert split(day(2024, 2, 10), day(2024, 3, 5)).months is None
    assert split(day(2024, 2, 1), day(2024, 2, 29)).days is None
    assert split(None, day(2024, 6, 20)).days == Q(
        day__gte=day(2024, 6, 1), day__lte=day(2024, 6, 20)
    )


def test_the_month_rows_are_the_sums_of_their_days(full):
    rollup.rebuild()
    by_month: dict[tuple, list[int]] = {}
    for row in DashboardDayFigure.objects.values():
        key = (
            row["office"],
            row["day"].replace(day=1),
            row["city"],
            row["kind"],
            row["key"],
            row["key2"],
        )
        sums = by_month.setdefault(key, [0] * len(rollup.VALUES))
        for index, name in enumerate(rollup.VALUES):
            sums[index] += row[name]
    months = {
        (r["office"], r["month"], r["city"], r["kind"], r["key"], r["key2"]): [
            r[name] for name in rollup.VALUES
        ]
        for r in DashboardMonthFigure.objects.values()
    }
    assert months == by_month and len(months) > 10
    # A changed claim's month is summed again with its day.
    claim = full["claims"]["C1"]
    claim.status = "cancelled"
    claim.is_open = None
    claim.save()
    rollup.refresh()
    march = DashboardMonthFigure.objects.filter(
        month=datetime.date(2024, 3, 1), office=0, kind="status"
    )
    assert dict(march.filter(city=QAZVIN).values_list("key", "n"))["cancelled"] >= 1
