"""Queries and server CPU of filing a claim and of completing a process step, in-process.

    .venv/bin/python benchmarks/filing.py [--claims 60] [--warm-up 5] [--no-caches]

Seeds a throwaway database as benchmarks/claims_api.py does (a SQLite file in a temporary
directory, or "<name>_bench" beside the MariaDB database METER_DATABASE_URL names, dropped at
the end), with a throwaway Redis when redis-server is on the PATH (the roles and reference
data caches then work as in production; --no-caches: without them, as the embedded site).
Then, in this process, through Django's request handler (no network, no server process):

- files `--claims` claims as an agency (`POST /api/v1/claims/`, token, fee on the next bill,
  so each lands at the "schedule the test" step), alternating with two baselines of the same
  moment: a bare DRF insert (`POST /bench/bare/`, same token and stack, one row of a
  one-field model) and a plain ORM insert of a claim row in a transaction;
- completes each filed claim's "schedule the test" step as a technician
  (`engine.services.process_complete_task`: the form, the engine's pass, the saved state, the
  SLA clock, the audit trail), beside a baseline of a plain ORM update of the task's row.

Prints, for each, the queries (exact: they do not depend on the machine's load), a label
for each query of one run, and the CPU (process time) and wall milliseconds, p50 / p95, with
each figure's ratio to its baseline and the load average. Only ratios and query counts are
comparable between runs on a shared machine.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.claims_api import (  # noqa: E402  (the path above first)
    HOST,
    drop_mysql,
    free_port,
    seed,
    throwaway_mysql,
    wait_for_port,
)

# What each statement is for, by kind and table; a list gives the purposes of the first,
# second, ... statement of that kind on that table in one run.
COMMON = {
    ("BEGIN", ""): "the transaction",
    ("COMMIT", ""): "its commit",
    ("SAVEPOINT", ""): "a savepoint",
    ("RELEASE", ""): "the savepoint released",
}
PURPOSES: dict[tuple[str, str], str | list[str]] = {
    **COMMON,
    ("SAVEPOINT", ""): "a savepoint: the tracking code's unique index is the check",
    ("SELECT", "apitoken"): "the caller's token (authentication)",
    ("UPDATE", "apitoken"): "the token's last use (written at most once a minute)",
    ("SELECT", "auth_group"): "the caller's roles and permissions (cached with Redis)",
    ("SELECT", "agency"): [
        "the caller's agency ids (cached with Redis)",
        "the agencies (kept with Redis)",
    ],
    ("SELECT", "subscriber"): "the subscriber named by bill id + national id",
    ("SELECT", "customfield"): "the claim's custom field definitions (kept with Redis)",
    ("SELECT", "meterinstallation"): "the meter installed at the subscription",
    ("SELECT", "claim"): "the meter's claims: the open claim check and the last reading",
    ("SELECT", "bill"): "the subscription's latest bills: the bill pair check",
    ("SELECT", "feetariff"): "the fee tariffs (kept with Redis)",
    ("INSERT", "claim"): "the claim",
    ("INSERT", "outboxjob"): "the SMS job, run after the commit",
    ("SELECT", "processversion"): "the active process version (kept with Redis)",
    ("SELECT", "holiday"): "the holidays of the SLA calendar (kept with Redis)",
    ("INSERT", "slaclock"): "the SLA clock",
    ("INSERT", "processinstance"): "the process instance and its engine state",
    ("INSERT", "processtask"): "the user task the process waits at",
    ("INSERT", "billcharge"): "the fee's charge to the next bill",
    ("INSERT", "documentevent"): "the audit trail: its five events in one insert",
}
STEP_PURPOSES: dict[tuple[str, str], str | list[str]] = {
    **COMMON,
    ("SELECT", "processtask"): [
        "the task, its instance and version",
        "the task again once locked: done by someone first?",
        "the instance's open tasks",
    ],
    ("SELECT", "auth_group"): "the user's roles: may they work the lane (cached with Redis)",
    ("SELECT", "claim"): ["the record rule: may they see the claim", "the claim, locked"],
    ("SELECT", "processinstance"): "the process instance, locked",
    ("SELECT", "customfield"): "answers kept as custom fields? (kept with Redis)",
    ("UPDATE", "processtask"): "the task completed, if still open (the first one wins)",
    ("UPDATE", "claim"): "the claim's visit (the step's handler)",
    ("INSERT", "outboxjob"): "the SMS job, run after the commit",
    ("UPDATE", "processinstance"): "the engine state, if its revision is unchanged",
    ("INSERT", "processtask"): "the next open task",
    ("SELECT", "slaclock"): "the SLA clock, locked: running or paused now?",
    ("INSERT", "documentevent"): "the audit trail: the step's events in one insert",
}

_EXECUTEMANY = re.compile(r"^(?:\d+|\?) times: ")
_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+[`"]?(?:meter_service_)?(\w+)', re.IGNORECASE)


def labels(statements: list[str], purposes: dict[tuple[str, str], str | list[str]]) -> list[str]:
    """A line per statement: its kind, its table and what it is for."""
    seen: dict[tuple[str, str], int] = {}
    lines = []
    for sql in statements:
        # Django logs an executemany as "N times: <statement>".
        sql = _EXECUTEMANY.sub("", sql)
        verb = sql.split(None, 1)[0].upper()
        match = None if verb in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE") else _TABLE.search(sql)
        table = match.group(1) if match else ""
        key = (verb, table)
        purpose = purposes.get(key, "")
        if isinstance(purpose, list):
            purpose = purpose[min(seen.get(key, 0), len(purpose) - 1)]
        seen[key] = seen.get(key, 0) + 1
        lines.append(f"{verb:<9} {table:<18} {purpose}")
    return lines


def measure(run: Callable[[], Any]) -> tuple[float, float, list[str]]:
    """CPU ms, wall ms and the SQL of one call of `run`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The log keeps Django's last 9,000 statements: once full, its length no longer grows and
    # the context would capture nothing.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        cpu, wall = time.process_time(), time.perf_counter()
        run()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu * 1000, wall * 1000, [query["sql"] for query in queries.captured_queries]


def p(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def report(
    name: str,
    runs: list[tuple[float, float, list[str]]],
    baselines: dict[str, list[tuple[float, float, list[str]]]],
    purposes: dict[tuple[str, str], str | list[str]],
) -> None:
    counts = sorted({len(sql) for _cpu, _wall, sql in runs})
    print(f"\n{name}: {len(runs)} runs, queries per run {', '.join(map(str, counts))}")
    # The run with the most statements, so an occasional one shows too.
    for number, line in enumerate(labels(max(runs, key=lambda r: len(r[2]))[2], purposes), 1):
        print(f"  {number:>2}. {line}")
    cpu = [run[0] for run in runs]
    wall = [run[1] for run in runs]
    print(f"  {'':<34}{'CPU p50':>9}{'CPU p95':>9}{'wall p50':>10}{'wall p95':>10}{'queries':>9}")
    print(
        f"  {name:<34}{p(cpu, 50):>9.2f}{p(cpu, 95):>9.2f}{p(wall, 50):>10.2f}"
        f"{p(wall, 95):>10.2f}{statistics.median(len(r[2]) for r in runs):>9.0f}"
    )
    for base_name, base in baselines.items():
        base_cpu = [run[0] for run in base]
        base_wall = [run[1] for run in base]
        print(
            f"  {base_name:<34}{p(base_cpu, 50):>9.2f}{p(base_cpu, 95):>9.2f}"
            f"{p(base_wall, 50):>10.2f}{p(base_wall, 95):>10.2f}"
            f"{statistics.median(len(r[2]) for r in base):>9.0f}"
        )
        print(
            f"  {'  ratio to it (p50)':<34}{p(cpu, 50) / p(base_cpu, 50):>8.1f}x"
            f"{'':>9}{p(wall, 50) / p(base_wall, 50):>9.1f}x"
        )


def run_benchmark(args: argparse.Namespace, token: str, walk_ins: list[dict]) -> None:
    from django.contrib.auth.models import Group, User
    from django.db import transaction
    from django.test import Client
    from django.utils import timezone

    from apps.meter_service.doctype.claim.models import Claim
    from apps.meter_service.doctype.rule_setting.selectors import forget_kept_rules
    from apps.meter_service.engine.models import ProcessTask
    from apps.meter_service.engine.services import process_complete_task
    from apps.meter_service.permissions import Role

    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST=HOST)
    today = timezone.localdate().isoformat()

    def file(walk_in: dict) -> Callable[[], Any]:
        body = {
            **walk_in,
            "reason": "fast",
            "last_reading": "850",
            "last_reading_date": today,
            "payment_method": "next_bill",
        }

        def run() -> None:
            response = client.post("/api/v1/claims/", body, content_type="application/json")
            assert response.status_code == 201, response.content[:300]
            filed.append(response.json()["tracking_code"])

        return run

    def bare_insert() -> None:
        response = client.post("/bench/bare/", {"name": "row"}, content_type="application/json")
        assert response.status_code == 201, response.content[:300]

    filed: list[str] = []
    warm = args.warm_up
    # The rule settings kept from seeding are stale (seeding changed reference data): the
    # warm-up reads them again, not a measured run once the worker's second is up.
    forget_kept_rules()
    for walk_in in walk_ins[:warm]:
        file(walk_in)()
        bare_insert()
    template = Claim.objects.get(tracking_code=filed[0])

    def orm_insert() -> None:
        # The claim row alone, as a plain ORM insert in its own transaction: no checks, no
        # process, no audit (closed: is_open NULL, which the one-open-claim index allows).
        row = Claim(
            **{
                f.attname: getattr(template, f.attname)
                for f in Claim._meta.concrete_fields
                if not f.primary_key
            }
        )
        row.tracking_code = f"9{time.perf_counter_ns() % 10**9:09d}"
        row.is_open = None
        with transaction.atomic():
            row.save(force_insert=True)

    filings, bare, orm = [], [], []
    profiled = walk_ins[warm + args.claims :]
    for walk_in in walk_ins[warm : warm + args.claims]:
        bare.append(measure(bare_insert))
        orm.append(measure(orm_insert))
        filings.append(measure(file(walk_in)))
    report(
        "filing (POST /api/v1/claims/)",
        filings,
        {"bare DRF insert (POST /bench/bare/)": bare, "plain ORM insert of a claim row": orm},
        PURPOSES,
    )

    technician = User.objects.create_user("bench-technician", password=None, is_staff=True)
    technician.groups.add(Group.objects.get(name=Role.TECHNICIAN))
    visit = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    data = {"test_type": "field", "visit_date": visit, "visit_time": "morning"}
    tasks = list(
        ProcessTask.objects.filter(
            instance__claim__tracking_code__in=filed,
            element_id="Task_schedule",
            completed_at__isnull=True,
        ).values_list("pk", "task_id")
    )

    def complete(task_id: Any) -> Callable[[], Any]:
        return lambda: process_complete_task(task_id=task_id, user=technician, data=data)

    def orm_update(pk: int) -> Callable[[], Any]:
        def run() -> None:
            with transaction.atomic():
                ProcessTask.objects.filter(pk=pk).update(data=data)

        return run

    for _pk, task_id in tasks[:warm]:
        complete(task_id)()
    steps, updates = [], []
    for pk, task_id in tasks[warm:]:
        updates.append(measure(orm_update(pk)))
        steps.append(measure(complete(task_id)))
    report(
        "process step (schedule the test)",
        steps,
        {"plain ORM update of the task row": updates},
        STEP_PURPOSES,
    )
    if profiled:
        before = set(filed)
        profile(f"{len(profiled)} filings", [file(walk_in) for walk_in in profiled])
        new_tasks = ProcessTask.objects.filter(
            instance__claim__tracking_code__in=set(filed) - before,
            element_id="Task_schedule",
            completed_at__isnull=True,
        ).values_list("task_id", flat=True)
        profile(f"{len(new_tasks)} process steps", [complete(task_id) for task_id in new_tasks])


def profile(name: str, runs: list[Callable[[], Any]]) -> None:
    """cProfile of the runs; the functions with the most time of their own, and in them."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for run in runs:
        run()
    profiler.disable()
    print(f"\nprofile of {name} (cProfile, its own overhead included):")
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    stats.sort_stats("tottime").print_stats(15)
    stats.sort_stats("cumulative").print_stats(45)
    if os.environ.get("BENCH_PROFILE_DUMP"):
        profiler.dump_stats(f"{os.environ['BENCH_PROFILE_DUMP']}-{name.split()[-1]}.prof")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=60, help="claims filed (and steps done)")
    parser.add_argument("--warm-up", type=int, default=5, help="runs of each first, unmeasured")
    parser.add_argument(
        "--no-caches",
        action="store_true",
        help="roles and reference data read from the database (as the embedded site)",
    )
    parser.add_argument("--redis-port", type=int, help="the throwaway Redis's port")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="then profile N more filings and steps (cProfile), print the top functions",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="meter-filing-bench-"))
    os.chdir(ROOT)
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    os.environ.setdefault("METER_SITE", "test")
    configured = os.environ.get("METER_DATABASE_URL", "")
    throwaway_server_db = ""
    redis = None
    try:
        if configured.startswith("mysql://"):
            throwaway_server_db = os.environ["METER_DATABASE_URL"] = throwaway_mysql(configured)
            database = f"throwaway MariaDB database {urlsplit(throwaway_server_db).path[1:]}"
        else:
            os.environ["METER_DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
            database = "throwaway SQLite"
        if not os.environ.get("METER_REDIS_URL") and shutil.which("redis-server"):
            port = args.redis_port or free_port()
            redis = subprocess.Popen(
                [
                    *("redis-server", "--bind", HOST, "--port", str(port)),
                    *("--save", "", "--appendonly", "no", "--dir", str(workdir)),
                ],
                stdout=subprocess.DEVNULL,
            )
            wait_for_port(port)
            os.environ["METER_REDIS_URL"] = f"redis://{HOST}:{port}/0"
        seeded = seed(args.warm_up + args.claims + args.profile)
        from django.conf import settings

        if args.no_caches:
            settings.METER_ROLES_CACHE = settings.METER_REFERENCE_CACHE = False
        caches = "on" if settings.METER_REFERENCE_CACHE else "off"
        # With Redis the jobs (SMS) go to RQ queues that no worker drains, as claims_api.py
        # does; without it they would run in threads of this process, measured with it.
        jobs = "RQ (no worker)" if os.environ.get("METER_REDIS_URL") else "threads (measured)"
        print(f"database: {database}; roles and reference data caches: {caches}; jobs: {jobs}")
        print(f"load average (1, 5, 15 min) at the start: {os.getloadavg()}")
        run_benchmark(args, seeded["token"], seeded["walk_ins"])
        print(f"\nload average (1, 5, 15 min) at the end: {os.getloadavg()}")
    finally:
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=10)
        if throwaway_server_db:
            from django.db import connections

            connections.close_all()
            drop_mysql(throwaway_server_db)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
