"""Benchmark of the claims API over real HTTP on loopback.

    .venv/bin/python benchmarks/claims_api.py [--claims 100] [--seconds 4] [--workers 4]
                                              [--repeat 1] [--port P] [--redis-port P]

Seeds a throwaway database with subscribers, meters, tariffs and an agency with an API
token: a SQLite file in a temporary directory, or, when METER_DATABASE_URL names a
MariaDB/MySQL database, a database of that name plus "_bench" on the same server, created
for the run and dropped after it (so nothing seeded is left behind in either case). Serves
the site with gunicorn on loopback (--port, else a free port), waits until its workers
answer real requests, warms them up (retrying what a worker still starting refuses), then
files claims through POST /api/v1/claims/ at concurrency 1 and 4 and prints p50/p95 latency
and claims per second, each run beside a run of bare inserts (POST /bench/bare/: one row of
a one-field model through the same server) as its baseline; then measures requests per
second of GET /api/v1/claims/ (the real record rules) beside GET /bench/bare/, a DRF list of
the one-field model served by the same process, and prints the ratio and the load average.

With redis-server on the PATH a throwaway Redis is started (--redis-port, else a free
port), so jobs (SMS) go to RQ queues as in production and no worker drains them; without it
jobs run in threads of the web process (a METER_REDIS_URL given is used instead).
Targets: filing p95 <= 50 ms at concurrency 4; list >= 0.7 x the bare endpoint.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
FIRST_NUMBER = 7_100_001  # subscription numbers of the seeded subscribers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    """Wait until something accepts connections on port (Redis: it answers once it listens)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {HOST}:{port} after {timeout} s")


# --- the throwaway database -------------------------------------------------------------------


def _mysql_server(url: str):
    """A connection to the server of a mysql:// URL (no database selected)."""
    import MySQLdb

    parts = urlsplit(url)
    return MySQLdb.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "",
        passwd=parts.password or "",
    )


def throwaway_mysql(url: str) -> str:
    """Create an empty database "<name>_bench" beside url's; return the URL naming it."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_bench"
    server = _mysql_server(url)
    try:
        cursor = server.cursor()
        # A run killed before its clean-up left one behind: start from nothing again.
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    finally:
        server.close()
    return urlunsplit(parts._replace(path="/" + name))


def drop_mysql(url: str) -> None:
    server = _mysql_server(url)
    try:
        server.cursor().execute(f"DROP DATABASE IF EXISTS `{urlsplit(url).path.lstrip('/')}`")
    finally:
        server.close()


# --- seeding (in this process, before the server starts) -------------------------------------


def seed_subscribers(
    count: int, first: int = FIRST_NUMBER, *, serial_prefix: str = "BENCH", own_mobiles=False
) -> list[dict]:
    """`count` subscribers with a meter each; the API's walk-in fields for each (Django set
    up). `own_mobiles`: a mobile of each subscriber's own (the SMS limit is per mobile)."""
    from tests.faults.seed import walk_in_subscriber

    walk_ins = []
    for offset in range(count):
        number = str(first + offset)
        mobile = f"0912{number[-7:]}" if own_mobiles else "09121234567"
        walk_in = walk_in_subscriber(number, mobile=mobile, serial_prefix=serial_prefix)
        walk_ins.append({**walk_in, "contact_mobile": mobile})
    return walk_ins


def seed(count: int) -> dict:
    """Create the roles, tariffs, `count` subscribers with a meter, the agency and its token."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from apps.meter_service.api.auth import api_token_issue
    from apps.meter_service.doctype.agency.models import Agency
    from apps.meter_service.doctype.fee_tariff.services import fee_tariff_save
    from apps.meter_service.permissions import Role
    from benchmarks.bare.models import Item

    call_command("migrate", run_syncdb=True, verbosity=0)
    call_command("load_fixtures", verbosity=0)
    start = datetime.date(2024, 3, 20)
    fee_tariff_save(kind="meter_test", amount_rial=1_500_000, valid_from=start)
    fee_tariff_save(kind="counter_office", amount_rial=109_000, valid_from=start)
    walk_ins = seed_subscribers(count)
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user("bench-agency", password=None)
    user.groups.add(Group.objects.get(name=Role.AGENCY_CLIENT))
    agency = Agency.objects.create(code="bench", name="Benchmark agency")
    agency.users.add(user)
    token = api_token_issue(user=user).key
    Item.objects.bulk_create(Item(name=f"item {i}") for i in range(count))
    connections.close_all()
    return {"token": token, "walk_ins": walk_ins}


# --- HTTP ----------------------------------------------------------------------------------


def call(port: int, method: str, path: str, token: str, body: dict | None = None):
    """Return (status, seconds, parsed JSON) of one request on a fresh connection.

    A request the server refused or dropped (a worker restarting under load, a full listen
    queue) is status 0 with the error as its data: counted as a failure, not the end of the
    run.
    """
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        content = response.read()
    except (OSError, http.client.HTTPException) as error:
        return 0, time.perf_counter() - started, repr(error)
    finally:
        connection.close()
    elapsed = time.perf_counter() - started
    try:
        data = json.loads(content) if content else None
    except ValueError:
        data = content[:200].decode(errors="replace")
    return response.status, elapsed, data


def call_until(port: int, method: str, path: str, token: str, body=None, *, ok, timeout=60):
    """Send a request again (after a pause) until ok(status); return its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        status, elapsed, data = call(port, method, path, token, body)
        if ok(status) or time.monotonic() > deadline:
            return status, elapsed, data
        time.sleep(0.2)


def wait_for_workers(port: int, token: str, workers: int, timeout: float = 120) -> None:
    """Wait until the server answers real requests: an authenticated list read, 200, from
    as many requests at once as there are workers, twice in a row.

    Gunicorn listens before its workers have imported the site, so an open port is not a
    server that answers; under load a worker can take many seconds to boot.
    """
    deadline = time.monotonic() + timeout
    streak = 0
    while streak < 2:
        if time.monotonic() > deadline:
            raise SystemExit(f"the workers on {HOST}:{port} did not answer in {timeout} s")
        with ThreadPoolExecutor(max_workers=workers) as pool:
            statuses = list(
                pool.map(lambda _i: call(port, "GET", "/bench/bare/", token)[0], range(workers))
            )
        streak = streak + 1 if all(status == 200 for status in statuses) else 0
        if streak < 2:
            time.sleep(0.2)


def file_claims(
    port: int,
    token: str,
    walk_ins: list[dict],
    concurrency: int,
    limit_s: float,
    *,
    retry: bool = False,
):
    """File one claim per walk-in; return (latencies of 201s, other statuses, wall seconds).

    retry (the warm-up): send a claim again while the server refuses or fails it (a refused
    connection, a 5xx); a claim the first attempt did file comes back as a 4xx, which ends it.
    """
    today = datetime.date.today().isoformat()
    deadline = time.monotonic() + limit_s
    latencies: list[float] = []
    failures: list[tuple[int, object]] = []
    lock = threading.Lock()

    def one(walk_in: dict) -> None:
        if time.monotonic() > deadline:
            return
        body = {
            **walk_in,
            "reason": "fast",
            "last_reading": "850",
            "last_reading_date": today,
            "contact_mobile": "09121234567",
            "payment_method": "next_bill",
        }
        if retry:
            status, elapsed, data = call_until(
                port, "POST", "/api/v1/claims/", token, body, ok=lambda code: 0 < code < 500
            )
        else:
            status, elapsed, data = call(port, "POST", "/api/v1/claims/", token, body)
        with lock:
            if status == 201:
                latencies.append(elapsed)
            else:
                failures.append((status, data))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, walk_ins))
    return latencies, failures, time.perf_counter() - started


def insert_bare(port: int, token: str, count: int, concurrency: int):
    """POST `count` one-field rows to /bench/bare/; return (latencies of 201s, failures)."""
    latencies: list[float] = []
    failures: list[tuple[int, object]] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        status, elapsed, data = call(port, "POST", "/bench/bare/", token, {"name": f"row {index}"})
        with lock:
            if status == 201:
                latencies.append(elapsed)
            else:
                failures.append((status, data))

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(count)))
    return latencies, failures


def requests_per_second(port: int, token: str, path: str, concurrency: int, seconds: float):
    """Return (requests per second, failures) of GETs on path for `seconds`."""
    deadline = time.monotonic() + seconds
    counts = [0] * concurrency
    failures = [0] * concurrency

    def loop(index: int) -> None:
        while time.monotonic() < deadline:
            status, _elapsed, _data = call(port, "GET", path, token)
            if status == 200:
                counts[index] += 1
            else:
                failures[index] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started), sum(failures)


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=100, help="claims filed per concurrency")
    parser.add_argument("--seconds", type=float, default=4, help="seconds per list round")
    parser.add_argument("--rounds", type=int, default=3, help="list rounds per endpoint")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--limit", type=float, default=120, help="max seconds per filing run")
    parser.add_argument("--list-concurrency", type=int, default=4, help="clients of the lists")
    parser.add_argument(
        "--repeat", type=int, default=1, help="filing runs per concurrency (medians printed)"
    )
    parser.add_argument("--port", type=int, help="gunicorn's loopback port (default: a free one)")
    parser.add_argument(
        "--redis-port", type=int, help="the throwaway Redis's port (default: a free one)"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="meter-bench-"))
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    env = os.environ.copy()
    env["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    env.setdefault("METER_SITE", "test")
    configured = env.get("METER_DATABASE_URL", "")
    throwaway_server_db = ""
    processes: list[subprocess.Popen] = []
    try:
        if configured.startswith("mysql://"):
            throwaway_server_db = env["METER_DATABASE_URL"] = throwaway_mysql(configured)
            database = f"throwaway MariaDB database {urlsplit(throwaway_server_db).path[1:]}"
        else:
            # A configured SQLite file is not written either: the run's rows stay in its
            # temporary directory, removed at the end.
            env["METER_DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
            database = "throwaway SQLite"
        jobs = "threads in the web process"
        if not env.get("METER_REDIS_URL") and shutil.which("redis-server"):
            redis_port = args.redis_port or free_port()
            processes.append(
                subprocess.Popen(
                    [
                        *("redis-server", "--bind", HOST, "--port", str(redis_port)),
                        *("--save", "", "--appendonly", "no", "--dir", str(workdir)),
                    ],
                    stdout=subprocess.DEVNULL,
                )
            )
            wait_for_port(redis_port)
            env["METER_REDIS_URL"] = f"redis://{HOST}:{redis_port}/0"
        if env.get("METER_REDIS_URL"):
            jobs = "RQ on Redis (no worker running)"
        os.environ.update(env)
        print(f"database: {database}; jobs: {jobs}")
        # Not measured: claims filed first so that every worker has loaded the process, the
        # templates and its connections (a cold worker's first filing takes several times
        # longer, and with four workers that alone is 4 % of a hundred claims: the p95).
        warm_up = 3 * args.workers
        total = 2 * args.repeat * args.claims + warm_up
        seeded = seed(total)
        token, walk_ins = seeded["token"], seeded["walk_ins"]

        port = args.port or free_port()
        processes.append(
            subprocess.Popen(
                [
                    *(str(ROOT / ".venv" / "bin" / "gunicorn"), "sites.wsgi:application"),
                    *("--bind", f"{HOST}:{port}", "--workers", str(args.workers)),
                    *("--chdir", str(ROOT), "--log-level", "warning"),
                ],
                env=env,
            )
        )
        wait_for_port(port)
        wait_for_workers(port, token, args.workers)
        _latencies, failed, _wall = file_claims(
            port, token, walk_ins[-warm_up:], args.workers, args.limit, retry=True
        )
        if failed:
            print(f"  warm-up: {len(failed)} claims failed, e.g. {failed[0]}")
        insert_bare(port, token, 2 * args.workers, args.workers)
        for _ in range(2 * args.workers):
            call_until(port, "GET", "/api/v1/claims/", token, ok=lambda code: code == 200)
            call_until(port, "GET", "/bench/bare/", token, ok=lambda code: code == 200)
        print(f"gunicorn: {args.workers} sync workers on {HOST}:{port}; {os.cpu_count()} CPUs\n")

        # Each filing run follows a run of bare inserts (POST /bench/bare/, one row through
        # the same server and token) at the same concurrency: the baseline of that moment.
        print(
            "filing  concurrency  claims  p50 ms  p95 ms  claims/s  failures"
            "   bare insert p50 / p95 ms   p95 ratio"
        )
        runs: dict[int, list[tuple[float, float, float, float, float]]] = {1: [], 4: []}
        batches = iter(walk_ins[i : i + args.claims] for i in range(0, total, args.claims))
        for _run in range(args.repeat):
            for concurrency in (1, 4):
                bare, bare_failed = insert_bare(port, token, args.claims, concurrency)
                latencies, failures, wall = file_claims(
                    port, token, next(batches), concurrency, args.limit
                )
                figures = (
                    percentile(latencies, 50) * 1000,
                    percentile(latencies, 95) * 1000,
                    len(latencies) / wall,
                    percentile(bare, 50) * 1000,
                    percentile(bare, 95) * 1000,
                )
                runs[concurrency].append(figures)
                p50, p95, rate, bare50, bare95 = figures
                print(
                    f"        {concurrency:>11}  {len(latencies):>6}  {p50:>6.1f}  {p95:>6.1f}"
                    f"  {rate:>8.1f}  {len(failures):>8}   {bare50:>11.1f} / {bare95:<6.1f}"
                    f"     {p95 / bare95:>6.1f}"
                )
                for status, data in (failures + bare_failed)[:3]:
                    print(f"          e.g. {status}: {json.dumps(data, ensure_ascii=False)[:200]}")
        if args.repeat > 1:
            for concurrency, figures in runs.items():
                p50, p95, rate, bare50, bare95 = (
                    statistics.median(column) for column in zip(*figures, strict=True)
                )
                print(
                    f" median {concurrency:>11}  {'':>6}  {p50:>6.1f}  {p95:>6.1f}  {rate:>8.1f}"
                    f"  {'':>8}   {bare50:>11.1f} / {bare95:<6.1f}     {p95 / bare95:>6.1f}"
                )

        listing = {"bare": [], "claims": []}
        paths = {"bare": "/bench/bare/", "claims": "/api/v1/claims/"}
        for _round in range(args.rounds):
            for name in ("bare", "claims"):
                rate, failed = requests_per_second(
                    port, token, paths[name], args.list_concurrency, args.seconds
                )
                if failed:
                    print(f"  {failed} failed requests on {paths[name]}")
                listing[name].append(rate)
        bare, claims = statistics.median(listing["bare"]), statistics.median(listing["claims"])
        print(f"\nlist    GET /bench/bare/      {bare:>7.1f} req/s (median of {args.rounds})")
        print(f"        GET /api/v1/claims/   {claims:>7.1f} req/s (20 of {total} claims a page)")
        print(f"        ratio                 {claims / bare:>7.2f}  (target >= 0.70)")
        p95 = statistics.median(figures[1] for figures in runs[4])
        print(f"\nfiling p95 at concurrency 4: {p95:.1f} ms (target <= 50 ms)")
        print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}")
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if throwaway_server_db:
            drop_mysql(throwaway_server_db)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
