"""One site on several machines, played on one machine: see scripts/cluster.

Brings up, on loopback ports, a 3-node MariaDB Galera cluster behind HAProxy, a Redis primary
and replica with 3 sentinels, 2 web nodes (gunicorn) behind HAProxy, 2 RQ workers and 2
schedulers, for one site made with `manage.py new_site`; runs a bounded workload through
both web nodes (API filings, online payments through the fake bank, dashboards) while it
kills and brings back one Galera node, the Redis primary, one web node and one worker; then
counts what was acknowledged against what is in the database and at the fake providers.
Exits non-zero on any lost or duplicated claim, payment, SMS or scheduler run.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime
import http.client
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
HOST = "127.0.0.1"
SITE = "scaleout"
ADMIN_PASSWORD = "cluster-admin-1403"
FIRST_NUMBER = 7_300_001

# Ports (21100-21199).
DB_PROXY = 21100
GALERA = [21101, 21102, 21103]  # SQL
GCOMM = [21131, 21132, 21133]  # group communication
IST = [21134, 21135, 21136]
SST = [21137, 21138, 21139]
WEB_PROXY = 21160
WEB = [21161, 21162]
PROXY_STATS = 21169
REDIS = {"primary": 21170, "replica": 21171}
SENTINELS = [21172, 21173, 21174]
FAKES = 21180


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except SystemExit:
            raise
        except Exception as exc:
            last = exc
        time.sleep(0.3)
    raise SystemExit(f"timed out after {seconds} s waiting for {what} ({last})")


def port_open(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=0.5).close()
        return True
    except OSError:
        return False


class Processes:
    """Every process started here, by name, each in its own process group."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: dict[str, subprocess.Popen] = {}
        self.restarts: collections.Counter = collections.Counter()

    def start(self, name: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
        out = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 (kept by the process)
        process = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True
        )
        self.running[name] = process
        return process

    def restart_exited(self, starters: dict) -> None:
        """Start again a process that ended on its own, as supervisord does in production."""
        for name, process in list(self.running.items()):
            if name in starters and process.poll() is not None:
                log(f"{name} ended on its own (exit {process.returncode}): restarted")
                self.restarts[name] += 1
                del self.running[name]
                starters[name]()

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.running.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(30)

    def stop_all(self) -> None:
        """SIGTERM to every group, then SIGKILL to what is left after 20 s."""
        for process in self.running.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.running.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
        for process in self.running.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        self.running.clear()


# --- Galera -------------------------------------------------------------------------------


def galera_args(folder: Path, index: int, bootstrap: bool) -> list[str]:
    data = folder / f"galera{index}"
    nodes = ",".join(f"{HOST}:{port}" for port in GCOMM)
    options = (
        f"base_host={HOST};base_port={GCOMM[index]};ist.recv_addr={HOST}:{IST[index]};"
        "gcache.size=64M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S"
    )
    args = [
        "/usr/sbin/mariadbd",
        "--no-defaults",
        "--user=mysql",
        f"--datadir={data}",
        f"--port={GALERA[index]}",
        f"--bind-address={HOST}",
        f"--socket={folder}/galera{index}.sock",
        f"--pid-file={folder}/galera{index}.pid",
        f"--log-error={folder}/galera{index}.err",
        "--binlog-format=ROW",
        "--default-storage-engine=InnoDB",
        "--innodb-autoinc-lock-mode=2",
        "--innodb-buffer-pool-size=64M",
        "--innodb-log-file-size=32M",
        "--innodb-flush-log-at-trx-commit=2",
        "--performance-schema=OFF",
        "--skip-name-resolve",
        "--max-connections=200",
        "--wsrep-on=ON",
        "--wsrep-provider=/usr/lib/galera/libgalera_smm.so",
        f"--wsrep-cluster-address=gcomm://{nodes}",
        "--wsrep-cluster-name=meter",
        f"--wsrep-node-name=node{index + 1}",
        f"--wsrep-node-address={HOST}:{GCOMM[index]}",
        f"--wsrep-provider-options={options}",
        "--wsrep-sst-method=rsync",
        f"--wsrep-sst-receive-address={HOST}:{SST[index]}",
        "--wsrep-slave-threads=2",
    ]
    if bootstrap:
        args.append("--wsrep-new-cluster")
    return args


def galera_query(port: int, sql: str, unix_socket: str = "") -> list[tuple]:
    import MySQLdb

    where = {"unix_socket": unix_socket} if unix_socket else {"host": HOST, "port": port}
    conn = MySQLdb.connect(user="root", passwd="", connect_timeout=3, **where)
    try:
        cursor = conn.cursor()
        cursor.execute(sql)
        rows = list(cursor.fetchall())
        conn.commit()
        return rows
    finally:
        conn.close()


def galera_synced_at(sock: str) -> bool:
    rows = galera_query(0, "SHOW STATUS LIKE 'wsrep_local_state_comment'", sock)
    return bool(rows) and rows[0][1] == "Synced"


def cluster_size(port: int) -> int:
    return int(galera_query(port, "SHOW STATUS LIKE 'wsrep_cluster_size'")[0][1])


def start_galera(procs: Processes, folder: Path, index: int, bootstrap: bool = False) -> None:
    process = procs.start(f"galera{index + 1}", galera_args(folder, index, bootstrap))
    sock = str(folder / f"galera{index}.sock")

    def synced() -> bool:
        if process.poll() is not None:
            raise SystemExit(f"Galera node {index + 1} ended: see {folder}/galera{index}.err")
        return galera_synced_at(sock)

    wait_for(synced, 120, f"Galera node {index + 1} to sync")


def bring_up_galera(procs: Processes, folder: Path) -> None:
    log("Galera: initialising node 1 and bootstrapping the cluster")
    # The servers run as mysql (rsync's state transfer daemon would drop root's rights to
    # nobody's and not write the joiner's files).
    shutil.chown(folder, "mysql", "mysql")
    folder.chmod(0o755)
    subprocess.run(
        [
            "mariadb-install-db",
            "--no-defaults",
            "--user=mysql",
            f"--datadir={folder / 'galera0'}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
        check=True,
        capture_output=True,
    )
    for index in (1, 2):
        (folder / f"galera{index}").mkdir()
        shutil.chown(folder / f"galera{index}", "mysql", "mysql")
    start_galera(procs, folder, 0, bootstrap=True)
    # root over TCP without a password (loopback only, a throwaway cluster); HAProxy's
    # health-check user.
    sock = str(folder / "galera0.sock")
    galera_query(0, "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'", sock)
    galera_query(0, "ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY ''", sock)
    galera_query(0, "GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION", sock)
    galera_query(0, "CREATE USER IF NOT EXISTS 'haproxy'@'127.0.0.1'", sock)
    for index in (1, 2):
        log(f"Galera: node {index + 1} joins (state transfer by rsync)")
        start_galera(procs, folder, index)
    log(f"Galera: cluster size {cluster_size(GALERA[1])}")


# --- HAProxy, Redis, sentinels -----------------------------------------------------------


def haproxy_config(folder: Path) -> Path:
    db_servers = "\n".join(
        f"    server node{i + 1} {HOST}:{port} check inter 1s fall 2 rise 2"
        " on-marked-down shutdown-sessions" + (" backup" if i else "")
        for i, port in enumerate(GALERA)
    )
    web_servers = "\n".join(
        f"    server web{i + 1} {HOST}:{port} check inter 1s fall 1 rise 2"
        for i, port in enumerate(WEB)
    )
    text = f"""global
    maxconn 2000
    pidfile {folder}/haproxy.pid

defaults
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 3

# Writes go to one Galera node at a time (the others are backups), so two nodes never
# certify conflicting writes of the same request; when it fails, the next one takes over.
listen galera
    bind {HOST}:{DB_PROXY}
    mode tcp
    option mysql-check user haproxy
{db_servers}

listen web
    bind {HOST}:{WEB_PROXY}
    mode http
    balance roundrobin
    option redispatch
    retry-on conn-failure empty-response 503
{web_servers}

listen stats
    bind {HOST}:{PROXY_STATS}
    mode http
    stats enable
    stats uri /
"""
    path = folder / "haproxy.cfg"
    path.write_text(text)
    return path


def redis_client(port: int):
    import redis

    return redis.Redis(host=HOST, port=port, socket_timeout=2, socket_connect_timeout=1)


def start_redis(procs: Processes, folder: Path, name: str, replica_of: int | None) -> None:
    port = REDIS[name]
    args = [
        *("redis-server", "--port", str(port), "--bind", HOST, "--dir", str(folder)),
        *("--dbfilename", f"{name}.rdb", "--save", "", "--appendonly", "no"),
    ]
    if replica_of:
        args += ["--replicaof", HOST, str(replica_of)]
    procs.start(f"redis-{name}", args)
    wait_for(lambda: redis_client(port).ping(), 20, f"Redis {name}")


def master_port() -> int | None:
    for port in SENTINELS:
        try:
            address = redis_client(port).execute_command(
                "SENTINEL", "get-master-addr-by-name", "mymaster"
            )
            return int(address[1])
        except Exception:
            continue
    return None


def bring_up_redis(procs: Processes, folder: Path) -> None:
    log("Redis: primary, replica and three sentinels")
    start_redis(procs, folder, "primary", None)
    start_redis(procs, folder, "replica", REDIS["primary"])
    for port in SENTINELS:
        conf = folder / f"sentinel-{port}.conf"
        conf.write_text(
            f"port {port}\nbind {HOST}\ndir {folder}\n"
            f"sentinel monitor mymaster {HOST} {REDIS['primary']} 2\n"
            "sentinel down-after-milliseconds mymaster 2000\n"
            "sentinel failover-timeout mymaster 10000\n"
        )
        procs.start(f"sentinel-{port}", ["redis-server", str(conf), "--sentinel"])
    wait_for(lambda: master_port() == REDIS["primary"], 20, "the sentinels")


# --- the site -----------------------------------------------------------------------------


def site_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("METER_")}
    env.update(
        METER_SITE=SITE,
        DJANGO_SETTINGS_MODULE="sites.settings",
        PYTHONUNBUFFERED="1",
        FAKE_PROVIDERS_PORT=str(FAKES),
    )
    return env


def make_site() -> None:
    shutil.rmtree(ROOT / "sites" / SITE, ignore_errors=True)
    log("Site: manage.py new_site through HAProxy and the sentinels")
    env = {k: v for k, v in os.environ.items() if not k.startswith("METER_")}
    subprocess.run(
        [
            *(PY, "manage.py", "new_site", SITE, "--db-url", f"mysql://root:@{HOST}:{DB_PROXY}/"),
            *("--db-user-host", "127.0.0.1", "--redis-url", "redis://mymaster/0"),
            *[f"--redis-sentinel={HOST}:{port}" for port in SENTINELS],
            *("--admin-user", "admin", "--admin-password", ADMIN_PASSWORD, "--no-input"),
            *("--allowed-hosts", "127.0.0.1,localhost"),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    path = ROOT / "sites" / SITE / "site_config.json"
    config = json.loads(path.read_text())
    config["public_url"] = f"http://{HOST}:{WEB_PROXY}"
    # Jobs lost with a Redis failover are outbox rows: the scheduler hands them over again
    # (a minute after a lost hand-over); a failed try is retried soon, within the run.
    # The workload's manager reads dashboards with a password only (no authenticator app),
    # and payments whose callback was lost in a failover are settled within the run.
    config["meter_service"] = {
        "OUTBOX_RETRY_FIRST_SECONDS": 5,
        "STAFF_TOTP_REQUIRED_ROLES": [],
        "PAYMENT_RECONCILE_MINUTES": 1,
    }
    config["periodic_jobs"] = {"payments_reconcile": 20}
    path.write_text(json.dumps(config, indent=2))
    subprocess.run(
        [PY, "manage.py", "setup_site", "--fake-providers-only"],
        cwd=ROOT,
        env=site_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )


SEED = """
import datetime, json, sys
from django.contrib.auth.models import Group, User
from apps.meter_service.api.auth import api_token_issue
from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.doctype.fee_tariff.services import fee_tariff_save
from apps.meter_service.permissions import Role
from benchmarks.claims_api import seed_subscribers

count, first = int(sys.argv[1]), int(sys.argv[2])
start = datetime.date(2024, 3, 20)
fee_tariff_save(kind="meter_test", amount_rial=1_500_000, valid_from=start)
fee_tariff_save(kind="counter_office", amount_rial=109_000, valid_from=start)
walk_ins = seed_subscribers(count, first, serial_prefix="CL", own_mobiles=True)
user = User.objects.create_user("cluster-agency", password=None)
user.groups.add(Group.objects.get(name=Role.AGENCY_CLIENT))
agency = Agency.objects.create(code="cluster", name="Cluster agency")
agency.users.add(user)
print(json.dumps({"token": api_token_issue(user=user).key, "walk_ins": walk_ins}))
"""


def django_script(code: str, *args: str) -> str:
    wrapper = "import django, sys; django.setup(); sys.argv = sys.argv[1:]; exec(sys.stdin.read())"
    result = subprocess.run(
        [PY, "-c", wrapper, "x", *args],
        input=code,
        cwd=ROOT,
        env=site_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SystemExit(f"script failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip().splitlines()[-1]


def start_web(procs: Processes, index: int) -> None:
    procs.start(
        f"web{index + 1}",
        [
            *(str(ROOT / ".venv" / "bin" / "gunicorn"), "sites.wsgi:application"),
            *("--bind", f"{HOST}:{WEB[index]}", "--workers", "2", "--timeout", "60"),
            *("--log-level", "warning"),
        ],
        env=site_env(),
    )
    wait_for(lambda: port_open(WEB[index]), 60, f"web node {index + 1}")


def start_worker(procs: Processes, index: int) -> None:
    procs.start(
        f"worker{index + 1}",
        [PY, "manage.py", "rqworker", "--with-scheduler", "default", "notifications"],
        env=site_env(),
    )


def start_scheduler(procs: Processes, index: int) -> None:
    procs.start(f"scheduler{index + 1}", [PY, "manage.py", "scheduler"], env=site_env())


# --- workload -----------------------------------------------------------------------------


class Workload:
    def __init__(self, token: str, walk_ins: list[dict]) -> None:
        self.token = token
        self.walk_ins = walk_ins
        self.lock = threading.Lock()
        self.requests = 0
        self.errors: collections.Counter = collections.Counter()
        self.filed: dict[str, str] = {}  # bill id -> tracking code (acknowledged)
        self.unknown: list[str] = []  # filings with no answer (the web node died mid-request)
        self.paid: set[str] = set()  # tracking codes whose callback answered
        self.payment_started: set[str] = set()
        self.dashboards = 0

    def _count(self, kind: str | None) -> None:
        with self.lock:
            self.requests += 1
            if kind:
                self.errors[kind] += 1

    def call(self, method: str, path: str, body: dict | None = None, *, port: int = WEB_PROXY):
        headers = {"Authorization": f"Token {self.token}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self._count(f"no answer ({type(exc).__name__})")
            return None, None
        finally:
            conn.close()
        self._count(None if response.status < 400 else f"HTTP {response.status} {method}")
        try:
            return response.status, json.loads(content) if content else None
        except ValueError:
            return response.status, None

    def file_and_pay(self, walk_in: dict, pay: bool) -> None:
        body = {
            **walk_in,
            "reason": "fast",
            "last_reading": "850",
            "last_reading_date": datetime.date.today().isoformat(),
            "payment_method": "gateway" if pay else "next_bill",
        }
        status, data = self.call("POST", "/api/v1/claims/", body)
        if status != 201:
            with self.lock:
                if status is None or status >= 500:
                    self.unknown.append(walk_in["bill_id"])
            return
        code = data["tracking_code"]
        with self.lock:
            self.filed[walk_in["bill_id"]] = code
        if not pay:
            return
        url = data.get("payment_url")
        for _ in range(5):  # the payment is started again (.../pay/) if the first try failed
            if url:
                break
            status, data = self.call("POST", f"/api/v1/claims/{code}/pay/")
            url = (data or {}).get("payment_url") if status == 201 else None
            time.sleep(0.5)
        if not url:
            return
        with self.lock:
            self.payment_started.add(code)
        authority = url.rstrip("/").rsplit("/", 1)[-1]
        hook = urllib.request.Request(
            f"http://{HOST}:{FAKES}/_fake/gateway/pay/{authority}?status=OK", method="POST"
        )
        with urllib.request.urlopen(hook, timeout=10) as answer:
            callback = json.loads(answer.read())["redirect"]
        path = urllib.parse.urlsplit(callback)
        target = f"{path.path}?{path.query}"
        for _ in range(6):  # the bank calls back again until the site answers
            status, _data = self.call("GET", target)
            if status is not None and status < 500:
                with self.lock:
                    self.paid.add(code)
                return
            time.sleep(1)

    def dashboard_loop(self, stop: threading.Event) -> None:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        base = f"http://{HOST}:{WEB_PROXY}"

        def login() -> None:
            page = opener.open(f"{base}/desk/login/", timeout=30).read().decode()
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            form = urllib.parse.urlencode(
                {"username": "admin", "password": ADMIN_PASSWORD, "csrfmiddlewaretoken": token}
            ).encode()
            request = urllib.request.Request(
                f"{base}/desk/login/?next=/desk/", data=form, headers={"Referer": base + "/"}
            )
            opener.open(request, timeout=30).read()

        try:
            login()
        except Exception as exc:
            self._count(f"dashboard login ({exc})"[:80])
        while not stop.wait(1.0):
            try:
                answer = opener.open(f"{base}/desk/dashboard/", timeout=30)
                answer.read()
                ok = answer.status == 200 and "/desk/login/" not in answer.url
                self._count(None if ok else "dashboard not shown")
                if ok:
                    with self.lock:
                        self.dashboards += 1
            except urllib.error.HTTPError as exc:
                self._count(f"HTTP {exc.code} dashboard")
            except OSError as exc:
                self._count(f"dashboard no answer ({type(exc).__name__})")


# --- checks -------------------------------------------------------------------------------

VERIFY = """
import collections, json, sys
from django.db.models import Count
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.notification.models import SmsMessage
from apps.meter_service.doctype.payment.models import Payment

bills = json.loads(sys.stdin.readline()) if False else json.loads(open(sys.argv[1]).read())
claims = Claim.objects.filter(subscriber__bill_id__in=bills)
per_subscriber = claims.values("subscriber_id").annotate(n=Count("id")).filter(n__gt=1)
paid = Payment.objects.filter(claim__in=claims, status="paid")
paid_twice = paid.values("claim_id").annotate(n=Count("id")).filter(n__gt=1)
sms = SmsMessage.objects.filter(claim__in=claims)
sms_twice = sms.values("claim_id", "template_key").annotate(n=Count("id")).filter(n__gt=1)
print(json.dumps({
    "codes": list(claims.values_list("tracking_code", flat=True)),
    "claim_duplicates": per_subscriber.count(),
    "paid_codes": list(paid.values_list("claim__tracking_code", flat=True)),
    "payment_duplicates": paid_twice.count(),
    "sms": {str(m.local_id): m.status for m in sms},
    "sms_duplicates": sms_twice.count(),
    "sms_templates": dict(collections.Counter(sms.values_list("template_key", flat=True))),
}))
"""


def scheduler_runs(folder: Path) -> dict[str, collections.Counter]:
    """Periodic job runs enqueued, by job and by its period (from both schedulers' logs)."""
    every = {
        "apps.meter_service.jobs.heartbeat": 60,
        "apps.meter_service.jobs.process_run_timers": 60,
    }
    runs: dict[str, collections.Counter] = {path: collections.Counter() for path in every}
    for name in ("scheduler1", "scheduler2"):
        for line in (folder / f"{name}.log").read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            job = entry.get("job")
            if entry.get("message") == "job enqueued" and job in every:
                stamp = entry.get("time") or entry.get("timestamp") or entry.get("asctime")
                moment = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
                runs[job][int(moment.timestamp()) // every[job]] += 1
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=200, help="claims filed (half paid online)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent API clients")
    parser.add_argument(
        "--pause", type=float, default=1.5, help="seconds between a client's claims"
    )
    parser.add_argument("--keep", action="store_true", help="leave the folder (logs) behind")
    args = parser.parse_args()

    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="meter-cluster-"))
    procs = Processes(folder)
    failures: list[str] = []
    try:
        bring_up_galera(procs, folder)
        bring_up_redis(procs, folder)
        procs.start("haproxy", ["haproxy", "-f", str(haproxy_config(folder)), "-db"])
        wait_for(lambda: port_open(DB_PROXY) and port_open(WEB_PROXY), 20, "HAProxy")
        make_site()
        procs.start("fakes", [PY, "manage.py", "fake_providers", "--port", str(FAKES)], site_env())
        wait_for(lambda: port_open(FAKES), 30, "the fake bank and SMS provider")
        log(f"Seeding {args.claims} subscribers")
        seeded = json.loads(django_script(SEED, str(args.claims), str(FIRST_NUMBER)))
        for index in (0, 1):
            start_web(procs, index)
            start_worker(procs, index)
            start_scheduler(procs, index)
        wait_for(
            lambda: urllib.request.urlopen(f"http://{HOST}:{WEB_PROXY}/health/", timeout=5),
            60,
            "HAProxy to see the web nodes",
        )
        log(f"Up after {time.monotonic() - started:.0f} s; the workload starts")

        work = Workload(seeded["token"], seeded["walk_ins"])
        stop = threading.Event()
        dashboards = threading.Thread(target=work.dashboard_loop, args=(stop,))
        dashboards.start()
        queue = list(enumerate(seeded["walk_ins"]))
        queue_lock = threading.Lock()

        def client() -> None:
            while True:
                with queue_lock:
                    if not queue:
                        return
                    index, walk_in = queue.pop(0)
                work.file_and_pay(walk_in, pay=index % 2 == 0)
                time.sleep(args.pause)

        clients = [threading.Thread(target=client) for _ in range(args.clients)]
        for thread in clients:
            thread.start()

        starters = {}
        for index in (0, 1):
            starters[f"worker{index + 1}"] = lambda i=index: start_worker(procs, i)
            starters[f"scheduler{index + 1}"] = lambda i=index: start_scheduler(procs, i)

        def supervise() -> None:
            while not stop.wait(1.0):
                procs.restart_exited(starters)

        supervisor = threading.Thread(target=supervise, daemon=True)
        supervisor.start()

        begun = time.monotonic()

        def at(second: float) -> None:
            time.sleep(max(0.0, begun + second - time.monotonic()))

        at(15)
        log("Killing Galera node 1 (the one HAProxy writes to)")
        procs.kill("galera1")
        at(35)
        log("Killing the Redis primary")
        procs.kill("redis-primary")
        wait_for(lambda: master_port() == REDIS["replica"], 60, "the Redis failover")
        log(f"Sentinels promoted the replica on port {REDIS['replica']}")
        at(55)
        log("Killing web node 1 and worker 1")
        procs.kill("web1")
        procs.kill("worker1")
        at(75)
        log("Bringing back Galera node 1, the old Redis primary (as a replica), web 1, worker 1")
        start_galera(procs, folder, 0)
        start_redis(procs, folder, "primary", REDIS["replica"])
        start_web(procs, 0)
        start_worker(procs, 0)
        for thread in clients:
            thread.join(300)
        stop.set()
        dashboards.join(60)
        log("Workload done; waiting for the workers to drain the queues")

        def drained() -> bool:
            import redis

            client_ = redis.Redis(host=HOST, port=master_port(), db=0, socket_timeout=2)
            return all(client_.llen(f"rq:queue:{q}") == 0 for q in ("default", "notifications"))

        wait_for(drained, 60, "the queues to drain")
        procs.restart_exited(starters)
        time.sleep(5)  # the last jobs running

        bills_file = folder / "bills.json"
        bills_file.write_text(json.dumps([w["bill_id"] for w in seeded["walk_ins"]]))

        def settled():
            # Every acknowledged filing and payment has its SMS, and each is sent: a job lost
            # in a failover comes back from the outbox (handed over again after a minute, or
            # after its lease when its worker died), a lost callback from payments_reconcile.
            found = json.loads(django_script(VERIFY, str(bills_file)))
            everything = work.paid <= set(found["paid_codes"]) and len(found["sms"]) >= len(
                set(work.filed.values())
            ) + len(work.paid)
            sent = all(v == "sent" for v in found["sms"].values())
            return found if everything and sent else None

        log("Waiting for every SMS to go out (lost jobs are handed over again from the outbox)")
        try:
            found = wait_for(settled, 300, "every SMS to go out")
        except SystemExit as exc:
            log(str(exc))
            found = json.loads(django_script(VERIFY, str(bills_file)))
        with urllib.request.urlopen(f"http://{HOST}:{FAKES}/_fake/sms", timeout=10) as answer:
            at_provider = json.loads(answer.read())
        entries = at_provider if isinstance(at_provider, list) else at_provider.get("messages", [])
        provider_ids = collections.Counter(str(e.get("localid", "")) for e in entries)

        acked = set(work.filed.values())
        codes = set(found["codes"])
        lost_claims = acked - codes
        unacked_found = len(codes - acked)
        lost_payments = work.paid - set(found["paid_codes"])
        sms_logged = found["sms"]
        sms_sent = {lid for lid, status in sms_logged.items() if status == "sent"}
        sms_missing = {lid for lid in sms_sent if lid not in provider_ids}
        sms_unsent = {lid for lid, status in sms_logged.items() if status != "sent"}
        sms_dupes_at_provider = sum(1 for lid, n in provider_ids.items() if lid and n > 1)
        runs = scheduler_runs(folder)

        print()
        print(f"run time: {time.monotonic() - started:.0f} s (folder {folder})")
        print(f"requests: {work.requests} ({work.dashboards} dashboards)")
        restarted = dict(procs.restarts) or "none"
        print(f"processes that ended on their own and were restarted: {restarted}")
        print("errors by kind:" + ("" if work.errors else " none"))
        for kind, count in work.errors.most_common():
            print(f"  {count:5d}  {kind}")
        print(
            f"claims:   acknowledged {len(acked)}, found {len(acked & codes)}, lost "
            f"{len(lost_claims)}; no answer {len(work.unknown)} (filed anyway: {unacked_found}); "
            f"duplicates {found['claim_duplicates']}"
        )
        print(
            f"payments: started {len(work.payment_started)}, callback answered {len(work.paid)}, "
            f"paid in the database {len(found['paid_codes'])}, lost {len(lost_payments)}, "
            f"duplicates {found['payment_duplicates']}"
        )
        # One SMS when a claim is filed, one when its fee is paid.
        sms_expected = len(codes) + len(found["paid_codes"])
        print(
            f"SMS:      expected {sms_expected} (one per filing, one per payment), "
            f"logged {len(sms_logged)} {found['sms_templates']}, sent {len(sms_sent)}, "
            f"at the provider "
            f"{len(sms_sent) - len(sms_missing)}, not yet sent {len(sms_unsent)}, duplicates "
            f"{found['sms_duplicates']} logged / {sms_dupes_at_provider} at the provider"
        )
        for job, periods in runs.items():
            counts = [periods[p] for p in sorted(periods)]
            print(f"scheduler runs of {job.rsplit('.', 1)[-1]} per {60} s period: {counts}")
            if any(n > 1 for n in counts):
                failures.append(f"{job} ran more than once in a period")
        if lost_claims:
            failures.append(f"{len(lost_claims)} acknowledged claims lost")
        if found["claim_duplicates"] or found["payment_duplicates"] or found["sms_duplicates"]:
            failures.append("duplicates in the database")
        if lost_payments:
            failures.append(f"{len(lost_payments)} paid payments lost")
        if len(sms_logged) < sms_expected:
            failures.append(f"{sms_expected - len(sms_logged)} SMS never made (a job lost)")
        if sms_missing or sms_unsent or sms_dupes_at_provider:
            failures.append("SMS lost, unsent or sent twice")
        if not acked:
            failures.append("no claim was filed")
    finally:
        procs.stop_all()
        shutil.rmtree(ROOT / "sites" / SITE, ignore_errors=True)
        if not args.keep and not failures:
            shutil.rmtree(folder, ignore_errors=True)
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("OK: nothing lost, nothing twice")
    return 0


if __name__ == "__main__":
    sys.exit(main())
