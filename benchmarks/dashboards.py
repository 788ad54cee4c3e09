"""Time every dashboard query on the configured database, and show its query plans.

    METER_DATABASE_URL=sqlite:////tmp/scale.sqlite3 .venv/bin/python manage.py migrate
    METER_DATABASE_URL=... .venv/bin/python manage.py load_fixtures
    METER_DATABASE_URL=... .venv/bin/python manage.py seed_scale --claims 1000000
    METER_DATABASE_URL=... .venv/bin/python benchmarks/dashboards.py [--repeat 3] [--explain]

Runs each figure's live selector for three filters (the last twelve months; the same for the
busiest counter office; the same for the biggest city) `--repeat` times and prints the median
time in milliseconds and the number of SQL queries; then the whole dashboard computed live
beside the same read from the daily roll-up (built by seed_scale or `manage.py
dashboard_rollup`), as a ratio. With --explain, prints
the plan of every query (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on MariaDB), which is how the
indexes of the dashboards were chosen. Nothing is written.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sites.settings")


def explain(connection, sql: str) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            return [row[-1] for row in cursor.fetchall()]
        cursor.execute(f"EXPLAIN {sql}")
        columns = [c[0] for c in cursor.description]
        return [
            " ".join(f"{k}={v}" for k, v in zip(columns, row, strict=True) if v is not None)
            for row in cursor.fetchall()
        ]


def days_only_baseline(filters: dict, repeat: int) -> None:
    """The roll-up read as days only (as before the month rows) against months plus the
    days at the ends, alternating twice, median of `repeat` runs each."""
    from django.db.models import Q

    from apps.meter_service.dashboards import rollup, selectors

    by_months = rollup.month_split

    def by_days(date_from, date_to):
        days = Q()
        if date_from:
            days &= Q(day__gte=date_from)
        if date_to:
            days &= Q(day__lte=date_to)
        return rollup.MonthSplit(months=None, days=days)

    print(f"\n{'filter':14}{'days only':>14}{'months + days':>16}{'faster':>9}")
    try:
        for label, f in filters.items():
            timed: dict[str, list[float]] = {"days": [], "months": []}
            for _round in range(2):
                for name, split in (("days", by_days), ("months", by_months)):
                    rollup.month_split = split
                    times = []
                    for _ in range(repeat):
                        started = time.perf_counter()
                        selectors.dashboard(f)
                        times.append((time.perf_counter() - started) * 1000)
                    timed[name].append(statistics.median(times))
            days, months = statistics.mean(timed["days"]), statistics.mean(timed["months"])
            print(f"{label:14}{days:11.1f} ms{months:13.1f} ms{days / months:8.1f}x")
    finally:
        rollup.month_split = by_months


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--only", nargs="*", help="figure names (default: all)")
    parser.add_argument("--whole-only", action="store_true", help="skip the per-figure table")
    parser.add_argument(
        "--days-only",
        action="store_true",
        help="also read the roll-up as days only (no month rows), alternating with months",
    )
    parser.add_argument(
        "--live-repeat", type=int, default=None, help="runs of the live baseline (default --repeat)"
    )
    args = parser.parse_args()

    import django

    django.setup()
    import dataclasses

    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from apps.meter_service.dashboards import selectors
    from apps.meter_service.dashboards.forms import default_filter
    from apps.meter_service.doctype.claim.models import Claim

    base = default_filter()
    claims = selectors.filtered_claims(base)
    office = (
        claims.filter(counter_office__isnull=False)
        .values("counter_office_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    city = claims.values("subscriber__city").annotate(n=Count("id")).order_by("-n").first()
    filters = {"12 months": base}
    if office:
        filters["one office"] = dataclasses.replace(base, office_id=office["counter_office_id"])
    if city:
        filters["one city"] = dataclasses.replace(base, city=city["subscriber__city"])
    if office:
        # The office's busiest city: what a manager filtering both would look at.
        both = (
            claims.filter(counter_office_id=office["counter_office_id"])
            .values("subscriber__city")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        if both:
            filters["office + city"] = dataclasses.replace(
                base, office_id=office["counter_office_id"], city=both["subscriber__city"]
            )

    print(f"load average (1, 5, 15 min) at the start: {os.getloadavg()}")
    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT @@innodb_buffer_pool_size, VERSION()")
            pool, version = cursor.fetchone()
        print(f"MariaDB {version}, InnoDB buffer pool {int(pool) / 2**30:.1f} GiB")
    print(
        f"{connection.vendor} {connection.settings_dict['NAME']}: "
        f"{Claim.objects.count():,} claims; {claims.count():,} in the last twelve months "
        f"({base.date_from} .. {base.date_to})"
    )
    names = [] if args.whole_only else (args.only or list(selectors.FIGURES))
    header = f"{'figure':26}" + "".join(f"{name:>22}" for name in filters)
    print(header)
    print("-" * len(header))
    totals = dict.fromkeys(filters, 0.0)
    plans: dict[str, list[tuple[str, list[str]]]] = {}
    for name in names:
        function = getattr(selectors, name)
        cells = []
        for label, f in filters.items():
            times = []
            with CaptureQueriesContext(connection) as queries:
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    function(f)
                    times.append((time.perf_counter() - started) * 1000)
            median = statistics.median(times)
            totals[label] += median
            count = len(queries.captured_queries) // args.repeat
            cells.append(f"{median:9.1f} ms ({count} q)")
            if args.explain and label == "12 months":
                plans[name] = [
                    (q["sql"], explain(connection, q["sql"]))
                    for q in queries.captured_queries[:count]
                ]
        print(f"{name:26}" + "".join(f"{cell:>22}" for cell in cells))
    from apps.meter_service.dashboards.forms import city_choices

    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        city_choices()
        times.append((time.perf_counter() - started) * 1000)
    totals = {label: total + statistics.median(times) for label, total in totals.items()}
    print(f"{'cities of the filter form':26}{statistics.median(times):9.1f} ms")
    print("-" * len(header))
    print(f"{'whole page':26}" + "".join(f"{totals[label]:9.1f} ms{'':>10}" for label in filters))

    from apps.meter_service.dashboards import rollup

    state = rollup.state()
    print(
        "\nwhole dashboard, live and from the daily roll-up "
        f"(refreshed {state.refreshed_at:%Y-%m-%d %H:%M} UTC)"
        if state
        else "\nthe daily roll-up is not built: run manage.py dashboard_rollup"
    )
    if state:
        print(f"{'filter':14}{'live':>12}{'roll-up':>12}{'queries':>9}{'faster':>9}")
        for label, f in filters.items():
            timed = {}
            for live in (True, False):
                times = []
                runs = (args.live_repeat or args.repeat) if live else args.repeat
                with CaptureQueriesContext(connection) as queries:
                    for _ in range(runs):
                        started = time.perf_counter()
                        d = selectors.dashboard(f, live=live)
                        times.append((time.perf_counter() - started) * 1000)
                timed[live] = statistics.median(times), len(queries) // runs
            print(
                f"{label:14}{timed[True][0]:9.1f} ms{timed[False][0]:9.1f} ms"
                f"{timed[False][1]:9}{timed[True][0] / timed[False][0]:8.1f}x"
            )
            assert d.from_rollup
    if state and args.days_only:
        days_only_baseline(filters, args.repeat)

    for name, queries in plans.items():
        print(f"\n== {name}")
        for sql, plan in queries:
            print(f"  {sql[:400]}{'…' if len(sql) > 400 else ''}")
            for line in plan:
                print(f"    {line}")


if __name__ == "__main__":
    main()
