"""One site on several machines, played on one machine: see scripts/cluster.

Brings up, on loopback ports, a 3-node MariaDB Galera cluster behind HAProxy, a Redis primary
and replica with 3 sentinels, an S3 server (moto's server mode), 2 web nodes (gunicorn)
behind HAProxy, 2 RQ workers and 2 schedulers, for one site made with `manage.py new_site`
keeping its files on the S3 server; runs a bounded workload through both web nodes (API
filings, half with a bill scan sent to one web node, online payments through the fake bank;
in the desk, a staff user scheduling the test visit of each claim filed on the bill and
uploading import files that a worker checks and, once the user starts them, applies;
dashboards) while it kills and brings back one Galera node, the Redis primary, one web node
and one worker; then counts what was acknowledged against what is in the database, at the
fake providers and on the S3 server, and reads every scan through the authorised view of
the other web node and every import file through both. Exits non-zero on any lost or
duplicated claim, payment, task completion, import, SMS or scheduler run, and on any file
missing, on the local disk, or unreadable.

With --bench it first measures filings through the 2 web nodes on the Galera cluster
against one web node on one MariaDB server started for it (a second site), in the same
run, and prints the ratios; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import datetime
import hashlib
import http.client
import http.cookiejar
import json
import os
import queue
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
HOST = "127.0.0.1"
SITE = "scaleout"
ADMIN_PASSWORD = "cluster-admin-1403"
# A technician who also manages the service: completes the test visits' scheduling in the
# inbox (the technician's lane) and uploads and applies imports (the manager's permission).
STAFF_USER, STAFF_PASSWORD = "cluster-staff", "cluster-staff-1403"
# The import files' subscribers (subscription numbers of their own, far from the seeded ones).
FIRST_IMPORTED = 8_500_001
FIRST_NUMBER = 7_300_001

# The services, as deploy/compose.yaml names them (tests/ops/test_deployment.py compares):
# the processes of the topology; the fake bank and SMS provider and the benchmark's
# single-node site are this script's own.
SERVICES = (
    *("galera1", "galera2", "galera3", "haproxy", "redis-primary", "redis-replica"),
    *("sentinel1", "sentinel2", "sentinel3", "s3", "web1", "web2"),
    *("worker1", "worker2", "scheduler1", "scheduler2"),
)
OWN_PROCESSES = ("fakes", "single-db", "single-web", "single-worker", "multi-web1", "multi-web2")

# Ports: PORT_BASE and the 99 above it (21100-21199 by default; --port-base moves them all,
# so two runs on one machine do not meet). set_ports() derives them.
PORT_BASE = 21100


def set_ports(base: int) -> None:
    """Every port of the run, from `base` (the offsets are fixed, the base is not)."""
    global PORT_BASE, DB_PROXY, GALERA, GCOMM, IST, SST, WEB_PROXY, WEB, PROXY_STATS, REDIS
    global SENTINELS, FAKES, S3, SINGLE_DB, SINGLE_WEB, GALERA_ALL, MULTI_WEB
    PORT_BASE = base
    DB_PROXY = base
    GALERA = [base + 1, base + 2, base + 3]  # SQL
    GCOMM = [base + 31, base + 32, base + 33]  # group communication
    IST = [base + 34, base + 35, base + 36]
    SST = [base + 37, base + 38, base + 39]
    WEB_PROXY = base + 60
    WEB = [base + 61, base + 62]
    PROXY_STATS = base + 69
    REDIS = {"primary": base + 70, "replica": base + 71}
    SENTINELS = [base + 72, base + 73, base + 74]
    FAKES = base + 80
    S3 = base + 81
    # The benchmark's baseline (--bench): one MariaDB server and one web node ...
    SINGLE_DB = base + 4
    SINGLE_WEB = base + 65
    # ... and the Galera cluster written on all three nodes at once (HAProxy's galera-all).
    GALERA_ALL = base + 5
    MULTI_WEB = [base + 63, base + 64]


DB_PROXY = 0
GALERA: list[int] = []
GCOMM: list[int] = []
IST: list[int] = []
SST: list[int] = []
WEB_PROXY = 0
WEB: list[int] = []
PROXY_STATS = 0
REDIS: dict[str, int] = {}
SENTINELS: list[int] = []
FAKES = 0
S3 = 0
SINGLE_DB = 0
SINGLE_WEB = 0
GALERA_ALL = 0
MULTI_WEB: list[int] = []
set_ports(PORT_BASE)
SINGLE_SITE = "scaleout1"
MULTI_SITE = "scaleoutw"

# The site's files: a private bucket on the S3 server, the site's objects under its name.
S3_BUCKET = "meter-cluster"
S3_KEYS = {"METER_S3_ACCESS_KEY": "cluster-access-key", "METER_S3_SECRET_KEY": "cluster-secret"}
S3_REGION = "us-east-1"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Failed(SystemExit):
    """A component did not come up or answer in time; `logs` names the processes to show."""

    def __init__(self, message: str, logs: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.logs = logs


def wait_for(check, seconds: float, what: str, logs: tuple[str, ...] = ()):
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
    raise Failed(f"timed out after {seconds} s waiting for {what} ({last})", logs)


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
        if name not in SERVICES + OWN_PROCESSES:
            raise ValueError(f"{name} is not a service of deploy/compose.yaml")
        out = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 (kept by the process)
        process = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True
        )
        self.running[name] = process
        # scripts/cluster ends these groups, by id, should this process be killed itself.
        if os.environ.get("CLUSTER_PIDS_FILE"):
            with open(os.environ["CLUSTER_PIDS_FILE"], "a") as pids:
                pids.write(f"{process.pid}\n")
        return process

    def tail(self, name: str, lines: int = 40) -> str:
        """The end of a process's log (and of a Galera node's error log)."""
        paths = [self.folder / f"{name}.log"]
        if name.startswith("galera"):  # galera1's server log is galera0.err
            paths.append(self.folder / f"galera{int(name[6:]) - 1}.err")
        parts = []
        for path in paths:
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path.name} (last {len(text)} lines)\n" + "\n".join(text))
        return "\n".join(parts)

    def ended(self) -> list[str]:
        """The processes that ended although nothing here stopped them."""
        return [name for name, process in self.running.items() if process.poll() is not None]

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


# Both the Galera nodes and the benchmark's single server.
SERVER_OPTIONS = [
    "--binlog-format=ROW",
    "--default-storage-engine=InnoDB",
    "--innodb-autoinc-lock-mode=2",
    "--innodb-buffer-pool-size=64M",
    "--innodb-log-file-size=32M",
    "--innodb-flush-log-at-trx-commit=2",
    "--performance-schema=OFF",
    "--skip-name-resolve",
    "--max-connections=200",
]


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
        *SERVER_OPTIONS,
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
            raise Failed(f"Galera node {index + 1} ended", (f"galera{index + 1}",))
        return galera_synced_at(sock)

    wait_for(synced, 180, f"Galera node {index + 1} to sync", (f"galera{index + 1}",))


def install_db(datadir: Path) -> None:
    subprocess.run(
        [
            "mariadb-install-db",
            "--no-defaults",
            "--user=mysql",
            f"--datadir={datadir}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
        check=True,
        capture_output=True,
    )


def root_over_tcp(sock: str) -> None:
    galera_query(0, "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'", sock)
    galera_query(0, "ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY ''", sock)
    galera_query(0, "GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION", sock)


def bring_up_galera(procs: Processes, folder: Path) -> None:
    log("Galera: initialising node 1 and bootstrapping the cluster")
    # The servers run as mysql (rsync's state transfer daemon would drop root's rights to
    # nobody's and not write the joiner's files).
    shutil.chown(folder, "mysql", "mysql")
    folder.chmod(0o755)
    install_db(folder / "galera0")
    for index in (1, 2):
        (folder / f"galera{index}").mkdir()
        shutil.chown(folder / f"galera{index}", "mysql", "mysql")
    start_galera(procs, folder, 0, bootstrap=True)
    # root over TCP without a password (loopback only, a throwaway cluster); HAProxy's
    # health-check user.
    sock = str(folder / "galera0.sock")
    root_over_tcp(sock)
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
    all_servers = "\n".join(
        f"    server node{i + 1} {HOST}:{port} check inter 1s fall 2 rise 2"
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

# The benchmark's other way (--bench): every node written, connections in turn, so
# transactions on different nodes certify against each other (where the retry may fire).
listen galera-all
    bind {HOST}:{GALERA_ALL}
    mode tcp
    balance roundrobin
    option mysql-check user haproxy
{all_servers}

listen web
    bind {HOST}:{WEB_PROXY}
    mode http
    balance roundrobin
    option redispatch
    retry-on conn-failure empty-response 503
    # A POST may have committed before its node died: only a request that never reached a
    # node is sent again; a lost answer to a filing or payment is the client's to ask about.
    http-request disable-l7-retry unless METH_GET || METH_HEAD
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
    wait_for(lambda: redis_client(port).ping(), 30, f"Redis {name}", (f"redis-{name}",))


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
        name = f"sentinel{SENTINELS.index(port) + 1}"
        procs.start(name, ["redis-server", str(conf), "--sentinel"])
    wait_for(lambda: master_port() == REDIS["primary"], 30, "the sentinels", sentinels())


def sentinels() -> tuple[str, ...]:
    return tuple(f"sentinel{index + 1}" for index in range(len(SENTINELS)))


# --- the S3 server ------------------------------------------------------------------------


def s3_client():
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=f"http://{HOST}:{S3}",
        aws_access_key_id=S3_KEYS["METER_S3_ACCESS_KEY"],
        aws_secret_access_key=S3_KEYS["METER_S3_SECRET_KEY"],
        region_name=S3_REGION,
    )


def bring_up_s3(procs: Processes) -> None:
    """moto's S3 server over HTTP (as tests/s3_fake.py), with the site's private bucket."""
    log(f"S3: moto's server on port {S3}, bucket {S3_BUCKET}")
    procs.start("s3", [str(ROOT / ".venv" / "bin" / "moto_server"), "-H", HOST, "-p", str(S3)])
    wait_for(lambda: port_open(S3), 60, "the S3 server", ("s3",))
    wait_for(lambda: s3_client().create_bucket(Bucket=S3_BUCKET), 30, "the bucket", ("s3",))


def s3_objects() -> dict[str, str]:
    """Every object of the bucket: key -> SHA-256 of its bytes."""
    client = s3_client()
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=S3_BUCKET):
        for item in page.get("Contents", []):
            body = client.get_object(Bucket=S3_BUCKET, Key=item["Key"])["Body"].read()
            found[item["Key"]] = hashlib.sha256(body).hexdigest()
    return found


# --- the site -----------------------------------------------------------------------------


def site_env(site: str = SITE) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("METER_")}
    env.update(
        METER_SITE=site,
        DJANGO_SETTINGS_MODULE="sites.settings",
        PYTHONUNBUFFERED="1",
        FAKE_PROVIDERS_PORT=str(FAKES),
        **S3_KEYS,  # the object store's keys come from the environment, not the config
    )
    return env


def make_site(site: str = SITE, db_port: int = 0, redis_db: int = 0) -> None:
    """A site made by new_site: its database through `db_port`, Redis through the
    sentinels; the cluster's site keeps its files on the S3 server (new_site's S3 flags)."""
    db_port = db_port or DB_PROXY
    shutil.rmtree(ROOT / "sites" / site, ignore_errors=True)
    log(f"Site {site}: manage.py new_site (database on port {db_port}, Redis by the sentinels)")
    files = [
        *("--files-backend", "s3", "--s3-endpoint", f"http://{HOST}:{S3}"),
        *("--s3-bucket", S3_BUCKET, "--s3-region", S3_REGION),
    ]
    result = subprocess.run(
        [
            *(PY, "manage.py", "new_site", site, "--db-url", f"mysql://root:@{HOST}:{db_port}/"),
            *("--db-user-host", "127.0.0.1", "--redis-url", f"redis://mymaster/{redis_db}"),
            *[f"--redis-sentinel={HOST}:{port}" for port in SENTINELS],
            *("--admin-user", "admin", "--admin-password", ADMIN_PASSWORD, "--no-input"),
            *("--allowed-hosts", "127.0.0.1,localhost"),
            *(files if site == SITE else []),
        ],
        cwd=ROOT,
        env={k: v for k, v in site_env(site).items() if k != "METER_SITE"},
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise Failed(f"new_site {site} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}")
    path = ROOT / "sites" / site / "site_config.json"
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
    result = subprocess.run(
        [PY, "manage.py", "setup_site", "--fake-providers-only"],
        cwd=ROOT,
        env=site_env(site),
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise Failed(f"setup_site {site} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}")


SEED = """
import base64, datetime, json, sys
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
staff_name, staff_password, imports, rows, first_imported = sys.argv[3:8]
staff = User.objects.create_user(staff_name, password=staff_password, is_staff=True)
staff.groups.add(*Group.objects.filter(name__in=[Role.TECHNICIAN, Role.SERVICE_MANAGER]))
from tests.doctype.import_batch.test_import import subscriber_csv, subscriber_row

files = []
for batch in range(int(imports)):
    start = int(first_imported) + batch * int(rows)
    numbers = range(start, start + int(rows))
    files.append(base64.b64encode(subscriber_csv([subscriber_row(n) for n in numbers])).decode())
print(json.dumps({"token": api_token_issue(user=user).key, "walk_ins": walk_ins, "imports": files}))
"""


def django_script(code: str, *args: str, site: str = SITE) -> str:
    wrapper = "import django, sys; django.setup(); sys.argv = sys.argv[1:]; exec(sys.stdin.read())"
    result = subprocess.run(
        [PY, "-c", wrapper, "x", *args],
        input=code,
        cwd=ROOT,
        env=site_env(site),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise Failed(f"script failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip().splitlines()[-1]


def procfile() -> dict[str, list[str]]:
    """The Procfile's commands by process type (web, worker, scheduler), without `exec`:
    what runs here is what supervisord, systemd and deploy/compose.yaml run."""
    commands = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            kind, command = line.split(":", 1)
            words = shlex.split(command)
            commands[kind.strip()] = words[1:] if words[0] == "exec" else words
    return commands


def start_web(procs: Processes, index: int, *, name: str = "", port: int = 0, site=SITE) -> None:
    name, port = name or f"web{index + 1}", port or WEB[index]
    env = {**site_env(site), "METER_BIND_HOST": HOST, "PORT": str(port), "WEB_CONCURRENCY": "2"}
    procs.start(name, procfile()["web"], env=env)
    wait_for(lambda: port_open(port), 90, f"web node {name}", (name,))


def start_worker(procs: Processes, index: int, *, name: str = "", site: str = SITE) -> None:
    procs.start(name or f"worker{index + 1}", procfile()["worker"], env=site_env(site))


def start_scheduler(procs: Processes, index: int) -> None:
    procs.start(f"scheduler{index + 1}", procfile()["scheduler"], env=site_env())


# --- workload -----------------------------------------------------------------------------


def multipart(
    fields: dict, name: str, filename: str, content: bytes, kind: str = "application/pdf"
) -> tuple[bytes, str]:
    """A multipart/form-data body with the fields and one file, and its content type."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
        f"\r\nContent-Type: {kind}\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def scan_pdf(bill_id: str) -> bytes:
    """A small PDF of its own for each filing (the scan check reads the first bytes)."""
    return (
        b"%PDF-1.4\n% scan of the last bill "
        + bill_id.encode()
        + b"\n"
        + os.urandom(2048).hex().encode()
        + b"\n%%EOF\n"
    )


def desk_login(port: int, username: str = "admin", password: str = ADMIN_PASSWORD):
    """A urllib opener signed in to the desk (as the site's admin), through `port`."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://{HOST}:{port}"
    page = opener.open(f"{base}/desk/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(
        f"{base}/desk/login/?next=/desk/", data=form, headers={"Referer": base + "/"}
    )
    opener.open(request, timeout=30).read()
    return opener


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
        self.scans: dict[str, tuple[int, str]] = {}  # code -> (web node index, SHA-256)
        self.scans_sent = 0
        # (start, end, ok) of every request: the seconds of errors around each failover.
        self.outcomes: list[tuple[float, float, bool]] = []
        self.probes = 0
        # Task completions: the claims whose "Schedule the test" step is to be done (filed
        # on the bill, so the step is open at once), and what became of each.
        self.to_schedule: queue.Queue[str] = queue.Queue()
        self.scheduled: set[str] = set()  # acknowledged: the inbox shown after the form
        self.scheduled_unacked: set[str] = set()  # found done after a lost answer
        self.schedule_failed: set[str] = set()
        self.schedule_refused = 0  # "done first" answers to a form sent again
        # Imports: file name -> what the desk answered along the way.
        self.imports: dict[str, dict] = {}
        self.staff_sign_ins = 0  # one a desk session, and again when a session was lost

    def _count(self, kind: str | None, began: float | None = None) -> None:
        with self.lock:
            self.requests += 1
            if kind:
                self.errors[kind] += 1
            if began is not None:
                self.outcomes.append((began, time.monotonic(), not kind))

    def call(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        *,
        port: int = 0,
        scan: bytes | None = None,
    ):
        port = port or WEB_PROXY
        headers = {"Authorization": f"Token {self.token}", "Accept": "application/json"}
        payload = None
        if scan is not None:
            payload, headers["Content-Type"] = multipart(
                body or {}, "last_bill_scan", "bill.pdf", scan
            )
        elif body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        began = time.monotonic()
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self._count(f"no answer ({type(exc).__name__})", began)
            return None, None
        finally:
            conn.close()
        failed = response.status >= 400
        self._count(f"HTTP {response.status} {method}" if failed else None, began)
        try:
            return response.status, json.loads(content) if content else None
        except ValueError:
            return response.status, None

    def file_and_pay(self, walk_in: dict, pay: bool, scan_node: int | None = None) -> None:
        """File a claim through HAProxy; with `scan_node`, with a bill scan, straight to
        that web node (the other one while it is down)."""
        body = {
            **walk_in,
            "reason": "fast",
            "last_reading": "850",
            "last_reading_date": datetime.date.today().isoformat(),
            "payment_method": "gateway" if pay else "next_bill",
        }
        if scan_node is None:
            status, data = self.call("POST", "/api/v1/claims/", body)
        else:
            if not port_open(WEB[scan_node]):
                scan_node = 1 - scan_node
            scan = scan_pdf(walk_in["bill_id"])
            with self.lock:
                self.scans_sent += 1
            status, data = self.call(
                "POST", "/api/v1/claims/", body, port=WEB[scan_node], scan=scan
            )
            if status == 201:
                with self.lock:
                    self.scans[data["tracking_code"]] = (
                        scan_node,
                        hashlib.sha256(scan).hexdigest(),
                    )
        if status != 201:
            with self.lock:
                if status is None or status >= 500:
                    self.unknown.append(walk_in["bill_id"])
            return
        code = data["tracking_code"]
        with self.lock:
            self.filed[walk_in["bill_id"]] = code
        if not pay:
            self.to_schedule.put(code)
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

    def probe_loop(self, stop: threading.Event) -> None:
        """A read through HAProxy every quarter second: when, and how long, clients of the
        site see errors around each failover (with the workload's own requests)."""
        while not stop.wait(0.25):
            self.call("GET", "/api/v1/claims/?page_size=1")
            with self.lock:
                self.probes += 1

    # --- the desk, as the staff user, through HAProxy -----------------------------------

    def desk(self, opener, path: str, data: bytes | None = None, content_type: str = ""):
        """One desk request through HAProxy: (final URL path, page) or (None, None), counted.
        A lost session (Redis failed over) is signed in again by the caller."""
        base = f"http://{HOST}:{WEB_PROXY}"
        headers = {"Referer": base + "/"}
        if content_type:
            headers["Content-Type"] = content_type
        began = time.monotonic()
        try:
            answer = opener.open(urllib.request.Request(base + path, data, headers), timeout=60)
            page = answer.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            self._count(f"HTTP {exc.code} desk {'POST' if data else 'GET'}", began)
            return None, None
        except (OSError, http.client.HTTPException) as exc:
            self._count(f"desk no answer ({type(exc).__name__})", began)
            return None, None
        final = urllib.parse.urlsplit(answer.url).path
        self._count(None, began)
        if final.startswith("/desk/login/"):
            raise PermissionError("signed out")
        return final, page

    def staff_session(self):
        with self.lock:
            self.staff_sign_ins += 1
        for _ in range(30):
            with contextlib.suppress(Exception):
                return desk_login(WEB_PROXY, STAFF_USER, STAFF_PASSWORD)
            self._count("staff sign-in failed")
            time.sleep(1)
        raise Failed("the staff user could not sign in to the desk")

    def schedule_loop(self, done: threading.Event) -> None:
        """Complete "Schedule the test" of each claim put in `to_schedule`, in the desk's
        inbox and task page, until `done` is set and nothing is left."""
        opener = self.staff_session()
        while True:
            try:
                code = self.to_schedule.get(timeout=0.5)
            except queue.Empty:
                if done.is_set():
                    return
                continue
            for _attempt in range(3):
                try:
                    self.schedule(opener, code)
                    break
                except PermissionError:
                    opener = self.staff_session()

    def schedule(self, opener, code: str) -> None:
        inbox = "/desk/meter_service/processtask/"
        task_path = None
        for _try in range(8):
            if task_path is None:
                _path, page = self.desk(opener, f"{inbox}?q={code}")
                found = re.search(r"/desk/meter_service/processtask/(\d+)/change/", page or "")
                if not found:
                    time.sleep(1)
                    continue
                task_path = found.group(0)
            _path, page = self.desk(opener, task_path)
            if page is None:
                time.sleep(1)
                continue
            if 'id="task-closed"' in page:  # done by a form whose answer was lost
                with self.lock:
                    self.scheduled_unacked.add(code)
                return
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            visit = datetime.date.today() + datetime.timedelta(days=3)
            form = {
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "test_type": "field",
                "visit_date": visit.strftime("%Y/%m/%d"),
                "visit_time": "morning",
            }
            final, page = self.desk(opener, task_path, urllib.parse.urlencode(form).encode())
            if final == inbox:
                with self.lock:
                    self.scheduled.add(code)
                return
            if final == task_path and 'id="task-closed"' in (page or ""):
                with self.lock:  # sent again after a lost answer: refused, done once
                    self.schedule_refused += 1
                    self.scheduled_unacked.add(code)
                return
            time.sleep(1)
        with self.lock:
            self.schedule_failed.add(code)

    def import_file(self, name: str, content: bytes) -> None:
        """Upload an import file in the desk, wait for a worker to check it, apply it, wait
        for a worker to import it: through HAProxy, either web node."""
        state = {"sha256": hashlib.sha256(content).hexdigest(), "steps": []}
        with self.lock:
            self.imports[name] = state
        add = "/desk/meter_service/importbatch/add/"
        opener = self.staff_session()
        batch_path = None
        deadline = time.monotonic() + 200
        while time.monotonic() < deadline:
            try:
                if batch_path is None:
                    if state["steps"]:  # an upload whose answer was lost: in the list?
                        _path, page = self.desk(
                            opener, f"/desk/meter_service/importbatch/?q={name}"
                        )
                        found = re.search(
                            r"/desk/meter_service/importbatch/(\d+)/change/", page or ""
                        )
                        if found:
                            batch_path = found.group(0)
                            state["recovered"] = True  # made by the upload, answer lost
                            continue
                        if page is None:
                            time.sleep(1)
                            continue
                    _path, page = self.desk(opener, add)
                    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page or "")
                    if not token:
                        time.sleep(1)
                        continue
                    body, kind = multipart(
                        {"csrfmiddlewaretoken": token.group(1), "target": "subscriber"},
                        "file",
                        name,
                        content,
                        "text/csv",
                    )
                    state["steps"].append("upload sent")
                    final, page = self.desk(opener, add, body, kind)
                    found = re.fullmatch(
                        r"/desk/meter_service/importbatch/(\d+)/change/", final or ""
                    )
                    if found:
                        batch_path = final
                        state["acknowledged"] = True
                    continue
                root = batch_path.removesuffix("change/")
                _path, page = self.desk(opener, root + "progress/")
                status = json.loads(page)["status"] if page else None
                state["status"] = status
                if status == "valid":
                    _path, page = self.desk(opener, batch_path)
                    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page or "")
                    if token:
                        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1)})
                        final, _page = self.desk(opener, root + "start/", form.encode())
                        state["start_acknowledged"] = final == batch_path
                elif status in ("imported", "invalid", "failed"):
                    return
                time.sleep(1)
            except PermissionError:
                opener = self.staff_session()

    def import_loop(self, files: list[bytes], every: float, done: threading.Event) -> None:
        """One import every `every` seconds, each followed to its end in a thread of its own."""
        threads = []
        for index, content in enumerate(files):
            if index:
                done.wait(every)
            name = f"cluster-import-{index + 1:02d}.csv"
            thread = threading.Thread(target=self.import_file, args=(name, content))
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join(300)

    def dashboard_loop(self, stop: threading.Event) -> None:
        base = f"http://{HOST}:{WEB_PROXY}"
        opener = None
        try:
            opener = desk_login(WEB_PROXY)
        except Exception as exc:
            self._count(f"dashboard login ({exc})"[:80])
        while opener is None and not stop.wait(1.0):
            with contextlib.suppress(Exception):
                opener = desk_login(WEB_PROXY)
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


# --- the benchmark (--bench) ----------------------------------------------------------------


def bring_up_single(procs: Processes, folder: Path, count: int) -> dict:
    """The baseline: one MariaDB server (no Galera, the same InnoDB settings) and one web
    node (the same gunicorn) with one worker, for a second site on the same Redis."""
    log(f"Bench: one MariaDB server (port {SINGLE_DB}), one web node (port {SINGLE_WEB})")
    data = folder / "single"
    install_db(data)
    sock = str(folder / "single.sock")
    procs.start(
        "single-db",
        [
            *("/usr/sbin/mariadbd", "--no-defaults", "--user=mysql", f"--datadir={data}"),
            *(f"--port={SINGLE_DB}", f"--bind-address={HOST}", f"--socket={sock}"),
            *(f"--pid-file={folder}/single.pid", f"--log-error={folder}/single-db.err"),
            *SERVER_OPTIONS,
        ],
    )
    wait_for(lambda: galera_query(0, "SELECT 1", sock), 90, "the single MariaDB", ("single-db",))
    root_over_tcp(sock)
    make_site(SINGLE_SITE, SINGLE_DB, redis_db=1)
    seeded = json.loads(
        django_script(
            SEED,
            str(count),
            str(FIRST_NUMBER),
            STAFF_USER,
            STAFF_PASSWORD,
            "0",
            "0",
            "0",
            site=SINGLE_SITE,
        )
    )
    start_web(procs, 0, name="single-web", port=SINGLE_WEB, site=SINGLE_SITE)
    start_worker(procs, 0, name="single-worker", site=SINGLE_SITE)
    return seeded


def bring_up_multi_writer(procs: Processes) -> None:
    """The cluster's site again, as a second site whose database_url names HAProxy's
    galera-all listener, served by 2 web nodes of its own."""
    log(f"Bench: 2 web nodes (ports {MULTI_WEB}) writing to all 3 Galera nodes")
    shutil.rmtree(ROOT / "sites" / MULTI_SITE, ignore_errors=True)
    shutil.copytree(ROOT / "sites" / SITE, ROOT / "sites" / MULTI_SITE)
    path = ROOT / "sites" / MULTI_SITE / "site_config.json"
    config = json.loads(path.read_text())
    config["database_url"] = config["database_url"].replace(f":{DB_PROXY}/", f":{GALERA_ALL}/")
    path.write_text(json.dumps(config, indent=2))
    for index, port in enumerate(MULTI_WEB):
        start_web(procs, index, name=f"multi-web{index + 1}", port=port, site=MULTI_SITE)


def post_claim(port: int, token: str, walk_in: dict) -> int | None:
    body = {
        **walk_in,
        "reason": "fast",
        "last_reading": "850",
        "last_reading_date": datetime.date.today().isoformat(),
        "payment_method": "next_bill",
    }
    headers = {
        "Authorization": f"Token {token}",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request("POST", "/api/v1/claims/", body=json.dumps(body).encode(), headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def filing_run(ports: list[int], token: str, walk_ins: list[dict], concurrency: int) -> dict:
    """File a claim for each walk-in, `concurrency` clients at once, no pause; client i
    sends to ports[i % len(ports)]."""
    latencies: list[float] = []
    failures: collections.Counter = collections.Counter()
    queue = list(walk_ins)
    lock = threading.Lock()

    def client(port: int) -> None:
        while True:
            with lock:
                if not queue:
                    return
                walk_in = queue.pop()
            began = time.perf_counter()
            status = post_claim(port, token, walk_in)
            took = time.perf_counter() - began
            with lock:
                if status == 201:
                    latencies.append(took)
                else:
                    failures[status] += 1

    started = time.perf_counter()
    threads = [
        threading.Thread(target=client, args=(ports[i % len(ports)],)) for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    return {"latencies": latencies, "wall": time.perf_counter() - started, "failures": failures}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def bench(procs: Processes, folder: Path, targets: dict, args) -> list[str]:
    """Filings per second and p95 at `--bench-concurrency`, the targets taking turns, and
    the conflict retries each run made (counted from the web nodes' logs)."""
    concurrency, per_run = args.bench_concurrency, args.bench_claims
    for label, target in targets.items():
        log(f"Bench: warming up {label}")
        warm = target["walk_ins"][: 2 * concurrency]
        del target["walk_ins"][: 2 * concurrency]
        wait_for(
            lambda t=target: all(
                post_claim(port, t["token"], t["walk_ins"].pop()) == 201 for port in t["ports"]
            ),
            120,
            f"a first filing through {label}",
            tuple(t for t in target["logs"]),
        )
        filing_run(target["ports"], target["token"], warm, concurrency)
        target["runs"] = []
    order = list(targets)
    for round_ in range(args.bench_rounds):
        for label in order if round_ % 2 == 0 else order[::-1]:
            target = targets[label]
            walk_ins = target["walk_ins"][:per_run]
            del target["walk_ins"][:per_run]
            # Each run starts on a quiet machine: the last run's SMS sent (both sites).
            wait_for(
                lambda: queues_drained(0) and queues_drained(1),
                600,
                "the bench's jobs to drain",
                ("worker1", "worker2", "single-worker"),
            )
            before = conflict_retries(folder, target["logs"])
            run = filing_run(target["ports"], target["token"], walk_ins, concurrency)
            run["retries"] = conflict_retries(folder, target["logs"]) - before
            target["runs"].append(run)
            rate = len(run["latencies"]) / run["wall"]
            log(
                f"Bench round {round_ + 1}, {label}: {rate:.1f} filings/s, p95 "
                f"{percentile(run['latencies'], 95) * 1000:.0f} ms, failures "
                f"{sum(run['failures'].values())}, conflict retries {run['retries']}"
            )
    lines = [
        f"bench: {per_run} filings a run at concurrency {concurrency}, {args.bench_rounds} "
        f"rounds each, taking turns; everything on this machine ({os.cpu_count()} cores, load "
        f"{os.getloadavg()[0]:.1f}); median of the runs' figures"
    ]
    figures = {}
    for label, target in targets.items():
        runs = target["runs"]
        rate = statistics.median([len(r["latencies"]) / r["wall"] for r in runs])
        p50 = statistics.median([percentile(r["latencies"], 50) for r in runs]) * 1000
        p95 = statistics.median([percentile(r["latencies"], 95) for r in runs]) * 1000
        retries = sum(r["retries"] for r in runs)
        filed = sum(len(r["latencies"]) for r in runs)
        failures = sum(sum(r["failures"].values()) for r in runs)
        figures[label] = (rate, p95)
        lines.append(
            f"  {label:<34} {rate:6.1f} filings/s  p50 {p50:5.0f} ms  p95 {p95:5.0f} ms  "
            f"failures {failures}  conflict retries {retries} ({retries / max(filed, 1) * 1000:.1f}"
            " per 1000 filings)"
        )
    base_rate, base_p95 = next(iter(figures.values()))
    for label, (rate, p95) in list(figures.items())[1:]:
        lines.append(
            f"  {label} / the single node: filings/s x{rate / base_rate:.2f}, "
            f"p95 x{p95 / base_p95:.2f}"
        )
    return lines


# --- checks -------------------------------------------------------------------------------

VERIFY = """
import collections, json, sys
from django.db.models import Count
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.notification.models import SmsMessage
from apps.meter_service.doctype.payment.models import Payment
from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.import_batch.models import ImportBatch
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.engine.models import ProcessTask

asked = json.loads(open(sys.argv[1]).read())
bills = asked["bills"]
claims = Claim.objects.filter(subscriber__bill_id__in=bills)
per_subscriber = claims.values("subscriber_id").annotate(n=Count("id")).filter(n__gt=1)
paid = Payment.objects.filter(claim__in=claims, status="paid")
paid_twice = paid.values("claim_id").annotate(n=Count("id")).filter(n__gt=1)
sms = SmsMessage.objects.filter(claim__in=claims)
sms_twice = sms.values("claim_id", "template_key").annotate(n=Count("id")).filter(n__gt=1)

def tasks_and_imports(claims, asked):
    schedules = ProcessTask.objects.filter(
        instance__claim__in=claims, element_id="Task_schedule", cancelled=False
    ).exclude(completed_at=None)
    codes = schedules.values_list("instance__claim__tracking_code", flat=True)
    by_claim = collections.Counter(codes)
    visits = DocumentEvent.objects.filter(
        event_type="claim_visit_scheduled", object_id__in=[str(c.pk) for c in claims]
    )
    visits_per_claim = collections.Counter(visits.values_list("object_id", flat=True))
    batches = ImportBatch.objects.filter(original_name__in=asked["imports"])
    applied = DocumentEvent.objects.filter(
        event_type="import_applied", object_id__in=[str(b.pk) for b in batches]
    )
    applied_per_batch = collections.Counter(applied.values_list("object_id", flat=True))
    return {
        "scheduled": sorted(by_claim),
        "scheduled_by_staff": schedules.filter(completed_by__username=asked["staff"]).count(),
        "schedule_duplicates": sum(1 for n in by_claim.values() if n > 1),
        "visit_events": visits.count(),
        "visit_event_duplicates": sum(1 for n in visits_per_claim.values() if n > 1),
        "batches": [
            {
                "name": b.original_name, "status": b.status, "file": b.file.name,
                "sha256": b.sha256, "rows": b.total_rows, "created": b.created_rows,
                "applied_events": applied_per_batch[str(b.pk)],
            }
            for b in batches
        ],
        "imported_subscribers": Subscriber.objects.filter(
            subscription_number__in=asked["numbers"]
        ).count(),
    }


print(json.dumps({
    "codes": list(claims.values_list("tracking_code", flat=True)),
    "claim_duplicates": per_subscriber.count(),
    "paid_codes": list(paid.values_list("claim__tracking_code", flat=True)),
    "payment_duplicates": paid_twice.count(),
    "sms": {str(m.local_id): m.status for m in sms},
    "sms_duplicates": sms_twice.count(),
    "sms_templates": dict(collections.Counter(sms.values_list("template_key", flat=True))),
    "scans": dict(claims.exclude(last_bill_scan="").values_list("tracking_code", "last_bill_scan")),
    **tasks_and_imports(claims, asked),
}))
"""


def check_files(work: Workload, scans: dict[str, str]) -> tuple[list[str], list[str]]:
    """Every scan on the S3 server (not on the local disk), and the same bytes read back
    through the authorised view (/files/...) of the web node that did not take the upload.
    Returns the summary lines and the failures."""
    objects = s3_objects()
    local = ROOT / "sites" / SITE / "files"
    on_disk = [p for p in local.rglob("*") if p.is_file()] if local.exists() else []
    openers = {index: desk_login(WEB[index]) for index in (0, 1)}
    missing, unreadable, differ, readable = [], [], [], 0
    through = collections.Counter(node for node, _sha in work.scans.values())
    for code in set(work.scans) - set(scans):
        missing.append(f"{code}: no scan in the database")
    for code, name in sorted(scans.items()):
        node, sha = work.scans.get(code, (0, None))
        key = f"{SITE}/{name}"
        if key not in objects:
            missing.append(f"{code}: {key} not on the S3 server")
            continue
        if sha and objects[key] != sha:
            differ.append(f"{code}: {key} on S3 differs from what was sent")
        other = 1 - node
        try:
            url = f"http://{HOST}:{WEB[other]}/files/{urllib.parse.quote(name)}"
            with openers[other].open(url, timeout=30) as answer:
                body = answer.read()
            if hashlib.sha256(body).hexdigest() != objects[key]:
                differ.append(f"{code}: web{other + 1} sent other bytes for {name}")
            else:
                readable += 1
        except (OSError, urllib.error.HTTPError) as exc:
            unreadable.append(f"{code}: web{other + 1} /files/{name}: {exc}")
    lines = [
        f"files:    scans sent {work.scans_sent}, acknowledged {len(work.scans)} (through web1 "
        f"{through[0]}, web2 {through[1]}), in the database {len(scans)}, on the S3 server "
        f"{sum(1 for name in scans.values() if f'{SITE}/{name}' in objects)} "
        f"({len(objects)} objects in the bucket), on the local disk {len(on_disk)}, readable "
        f"through the other web node {readable}, unreadable {len(unreadable)}, missing "
        f"{len(missing)}, different bytes {len(differ)}"
    ]
    problems = missing + unreadable + differ
    lines += [f"  {problem}" for problem in problems[:20]]
    failures = []
    if problems:
        failures.append(f"{len(problems)} scans missing, unreadable or different")
    if on_disk:
        failures.append(f"{len(on_disk)} files on the local disk instead of the S3 server")
    if not work.scans:
        failures.append("no scan was uploaded")
    return lines, failures


def check_tasks(work: Workload, found: dict) -> tuple[list[str], list[str]]:
    """Every acknowledged "Schedule the test" done in the database, none done twice (the
    step, its audit event; its SMS are counted with the others)."""
    done = set(found["scheduled"])
    lost = work.scheduled - done
    tried = work.scheduled | work.scheduled_unacked | work.schedule_failed
    lines = [
        f"tasks:    scheduling steps to do {len(tried)}, acknowledged {len(work.scheduled)}, "
        f"found done after a lost answer {len(work.scheduled_unacked)} "
        f"({work.schedule_refused} sent again and refused as done), given up "
        f"{len(work.schedule_failed)}; done in the database {len(done)} "
        f"({found['scheduled_by_staff']} by the staff user), lost {len(lost)}, done twice "
        f"{found['schedule_duplicates']}; visit events {found['visit_events']}, twice "
        f"{found['visit_event_duplicates']}"
    ]
    failures = []
    if lost:
        failures.append(f"{len(lost)} acknowledged task completions lost")
    if (work.scheduled | work.scheduled_unacked) - done:
        failures.append("task completions found done are not in the database")
    if found["schedule_duplicates"] or found["visit_event_duplicates"]:
        failures.append("task completions done twice")
    if found["scheduled_by_staff"] != len(done):
        failures.append("scheduling steps done by someone else than the workload")
    if work.schedule_failed:
        failures.append(f"{len(work.schedule_failed)} task completions given up")
    if not work.scheduled:
        failures.append("no task was completed")
    return lines, failures


def check_imports(work: Workload, found: dict, rows: int) -> tuple[list[str], list[str]]:
    """Every acknowledged upload a batch, once; checked and applied by a worker, its rows
    imported once; its file on the S3 server, the bytes sent, read back through both web
    nodes' /files/... as the staff user."""
    objects = s3_objects()
    by_name = collections.defaultdict(list)
    for batch in found["batches"]:
        by_name[batch["name"]].append(batch)
    acked = {name for name, state in work.imports.items() if state.get("acknowledged")}
    recovered = {name for name, state in work.imports.items() if state.get("recovered")}
    lost = acked - set(by_name)
    twice = [name for name, batches in by_name.items() if len(batches) > 1]
    statuses = collections.Counter(b["status"] for b in found["batches"])
    problems = []
    openers = {index: desk_login(WEB[index], STAFF_USER, STAFF_PASSWORD) for index in (0, 1)}
    readable = on_s3 = 0
    for batch in found["batches"]:
        sent = work.imports[batch["name"]]["sha256"]
        key = f"{SITE}/{batch['file']}"
        if batch["status"] != "imported":
            problems.append(f"{batch['name']}: {batch['status']}, not imported")
        if batch["created"] != rows or batch["applied_events"] != 1:
            problems.append(
                f"{batch['name']}: {batch['created']} rows created of {rows}, applied "
                f"{batch['applied_events']} times"
            )
        if objects.get(key) != sent or batch["sha256"] != sent:
            problems.append(f"{batch['name']}: {key} missing on S3 or not the bytes sent")
            continue
        on_s3 += 1
        for index, opener in openers.items():
            try:
                url = f"http://{HOST}:{WEB[index]}/files/{urllib.parse.quote(batch['file'])}"
                with opener.open(url, timeout=30) as answer:
                    body = answer.read()
                if hashlib.sha256(body).hexdigest() != sent:
                    problems.append(f"{batch['name']}: web{index + 1} sent other bytes")
                else:
                    readable += 1
            except (OSError, urllib.error.HTTPError) as exc:
                problems.append(f"{batch['name']}: web{index + 1} /files/...: {exc}")
    expected_rows = rows * statuses["imported"]
    lines = [
        f"imports:  uploaded {len(work.imports)}, acknowledged {len(acked)}, found in the list "
        f"after a lost answer {len(recovered)}, batches found "
        f"{len(found['batches'])} {dict(statuses)}, lost {len(lost)}, twice {len(twice)}; "
        f"subscribers imported {found['imported_subscribers']} (expected {expected_rows}); "
        f"files on the S3 server {on_s3}, read back through web1 and web2 {readable} "
        f"of {2 * len(found['batches'])}"
    ]
    lines += [f"  {problem}" for problem in problems[:20]]
    failures = []
    if lost or twice:
        failures.append(f"imports lost ({len(lost)}) or made twice ({len(twice)})")
    if problems:
        failures.append(f"{len(problems)} imports not applied once, or their files missing")
    if found["imported_subscribers"] != expected_rows:
        failures.append("imported subscribers are not the rows of the imported files")
    never = set(work.imports) - acked - recovered
    if never or not acked:
        failures.append(f"{len(never)} uploads never acknowledged nor found in the list")
    return lines, failures


def error_windows(work: Workload, events: list[tuple[float, str]], end: float) -> list[str]:
    """For each failover (and each return), the requests that ended before the next event
    (one in flight when a node was killed fails just after), the failed ones, for how many
    seconds errors lasted (from the event or the first failure's start, to the last one's
    end) and the slowest answer."""
    lines = []
    for index, (moment, what) in enumerate(events):
        until = events[index + 1][0] if index + 1 < len(events) else end
        window = [o for o in work.outcomes if moment <= o[1] < until]
        failed = [o for o in window if not o[2]]
        seconds = (
            max(o[1] for o in failed) - max(moment, min(o[0] for o in failed)) if failed else 0.0
        )
        slowest = max((o[1] - o[0] for o in window), default=0.0)
        lines.append(
            f"  {what}: {len(failed)} failed of {len(window)} requests in the next "
            f"{until - moment:.0f} s, errors over {seconds:.1f} s, slowest answer {slowest:.1f} s"
        )
    return lines


def queues_drained(db: int = 0) -> bool:
    import redis

    client = redis.Redis(host=HOST, port=master_port(), db=db, socket_timeout=2)
    return all(client.llen(f"rq:queue:{q}") == 0 for q in ("default", "notifications"))


def conflict_retries(folder: Path, names: list[str], text="database conflict: running again"):
    """How often the conflict retry ran a request or job again (its warning, in the logs)."""
    count = 0
    for name in names:
        path = folder / f"{name}.log"
        if path.exists():
            count += path.read_text(errors="replace").count(text)
    return count


def conflicts_not_retried(folder: Path, names: list[str]) -> int:
    """Error log lines of a deadlock or certification failure (1213) that reached the
    caller: the retry did not run (something had committed, or a library wrapped the error)."""
    count = 0
    for name in names:
        path = folder / f"{name}.log"
        if path.exists():
            for line in path.read_text(errors="replace").splitlines():
                count += '"level": "ERROR"' in line and "(1213, 'Deadlock found" in line
    return count


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
    parser.add_argument(
        "--imports", type=int, default=6, help="import files uploaded, checked and applied"
    )
    parser.add_argument("--import-rows", type=int, default=5, help="subscribers in each file")
    parser.add_argument("--keep", action="store_true", help="leave the folder (logs) behind")
    parser.add_argument(
        "--port-base",
        type=int,
        default=PORT_BASE,
        help=f"the first of the 100 loopback ports the run uses (default {PORT_BASE})",
    )
    parser.add_argument(
        "--bench",
        action="store_true",
        help="first measure filings through the Galera cluster's 2 web nodes against one web "
        "node on one MariaDB server (benchmarks/README.md)",
    )
    parser.add_argument("--bench-claims", type=int, default=200, help="filings a bench run")
    parser.add_argument("--bench-rounds", type=int, default=3, help="bench runs of each")
    parser.add_argument("--bench-concurrency", type=int, default=8)
    args = parser.parse_args()
    set_ports(args.port_base)
    bench_seed = (
        2 * args.bench_concurrency + args.bench_rounds * args.bench_claims + 20 if args.bench else 0
    )

    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="meter-cluster-"))
    procs = Processes(folder)
    failures: list[str] = []
    try:
        bring_up_galera(procs, folder)
        bring_up_redis(procs, folder)
        bring_up_s3(procs)
        procs.start("haproxy", ["haproxy", "-f", str(haproxy_config(folder)), "-db"])
        wait_for(lambda: port_open(DB_PROXY) and port_open(WEB_PROXY), 30, "HAProxy", ("haproxy",))
        make_site()
        procs.start("fakes", [PY, "manage.py", "fake_providers", "--port", str(FAKES)], site_env())
        wait_for(lambda: port_open(FAKES), 60, "the fake bank and SMS provider", ("fakes",))
        galera_seed = args.claims + 2 * bench_seed  # the bench's two ways of writing to Galera
        log(f"Seeding {galera_seed} subscribers")
        seeded = json.loads(
            django_script(
                SEED,
                *(str(galera_seed), str(FIRST_NUMBER), STAFF_USER, STAFF_PASSWORD),
                *(str(args.imports), str(args.import_rows), str(FIRST_IMPORTED)),
            )
        )
        bench_walk_ins = seeded["walk_ins"][args.claims : args.claims + bench_seed]
        multi_walk_ins = seeded["walk_ins"][args.claims + bench_seed :]
        seeded["walk_ins"] = seeded["walk_ins"][: args.claims]
        for index in (0, 1):
            start_web(procs, index)
            start_worker(procs, index)
            start_scheduler(procs, index)
        wait_for(
            lambda: urllib.request.urlopen(f"http://{HOST}:{WEB_PROXY}/health/", timeout=5),
            90,
            "HAProxy to see the web nodes",
            ("haproxy", "web1", "web2"),
        )
        log(f"Up after {time.monotonic() - started:.0f} s")
        bench_lines: list[str] = []
        if args.bench:
            single = bring_up_single(procs, folder, bench_seed)
            bring_up_multi_writer(procs)
            targets = {
                "one web node, one MariaDB": {
                    "ports": [SINGLE_WEB],
                    "token": single["token"],
                    "walk_ins": single["walk_ins"],
                    "logs": ["single-web"],
                },
                "2 web nodes, Galera through HAProxy": {
                    "ports": [WEB_PROXY],
                    "token": seeded["token"],
                    "walk_ins": bench_walk_ins,
                    "logs": ["web1", "web2"],
                },
                "2 web nodes, Galera, all 3 nodes written": {
                    "ports": MULTI_WEB,
                    "token": seeded["token"],
                    "walk_ins": multi_walk_ins,
                    "logs": ["multi-web1", "multi-web2"],
                },
            }
            bench_lines = bench(procs, folder, targets, args)
            for line in bench_lines:
                print(line, flush=True)
            for name in ("single-web", "single-worker", "single-db", "multi-web1", "multi-web2"):
                procs.kill(name)
            for site in (SINGLE_SITE, MULTI_SITE):
                shutil.rmtree(ROOT / "sites" / site, ignore_errors=True)
            # The bench's SMS (one a filing) are sent before the failovers begin.
            log("Bench: waiting for the workers to send the bench's SMS")
            wait_for(queues_drained, 900, "the bench's jobs to drain", ("worker1", "worker2"))
        log("The workload starts")

        work = Workload(seeded["token"], seeded["walk_ins"])
        stop = threading.Event()
        dashboards = threading.Thread(target=work.dashboard_loop, args=(stop,))
        dashboards.start()
        prober = threading.Thread(target=work.probe_loop, args=(stop,))
        prober.start()
        queue = list(enumerate(seeded["walk_ins"]))
        queue_lock = threading.Lock()

        def client() -> None:
            while True:
                with queue_lock:
                    if not queue:
                        return
                    index, walk_in = queue.pop(0)
                # Half the claims are paid online; the other half carry a bill scan, sent
                # to web node 1 and web node 2 in turn.
                scan_node = (index // 2) % 2 if index % 2 else None
                work.file_and_pay(walk_in, pay=index % 2 == 0, scan_node=scan_node)
                time.sleep(args.pause)

        clients = [threading.Thread(target=client) for _ in range(args.clients)]
        for thread in clients:
            thread.start()
        # Staff in the desk: two complete the claims' first step as they come; the import
        # files go up one every 12 s, each checked and applied by the workers.
        filed_all = threading.Event()
        schedulers = [
            threading.Thread(target=work.schedule_loop, args=(filed_all,)) for _ in range(2)
        ]
        files = [base64.b64decode(text) for text in seeded["imports"]]
        importer = threading.Thread(target=work.import_loop, args=(files, 12.0, filed_all))
        for thread in (*schedulers, importer):
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
        events: list[tuple[float, str]] = []

        def at(second: float, what: str) -> None:
            time.sleep(max(0.0, begun + second - time.monotonic()))
            log(what)
            events.append((time.monotonic(), what))

        at(15, "Killing Galera node 1 (the one HAProxy writes to)")
        procs.kill("galera1")
        at(35, "Killing the Redis primary")
        procs.kill("redis-primary")
        wait_for(lambda: master_port() == REDIS["replica"], 60, "the Redis failover", sentinels())
        log(f"Sentinels promoted the replica on port {REDIS['replica']}")
        at(55, "Killing web node 1 and worker 1")
        procs.kill("web1")
        procs.kill("worker1")
        at(75, "Bringing back Galera node 1, the old Redis primary (as a replica), web 1, worker 1")
        start_galera(procs, folder, 0)
        start_redis(procs, folder, "primary", REDIS["replica"])
        start_web(procs, 0)
        start_worker(procs, 0)
        for thread in clients:
            thread.join(600)
        filed_all.set()
        for thread in (*schedulers, importer):
            thread.join(400)
        stop.set()
        workload_end = time.monotonic()
        dashboards.join(60)
        prober.join(60)
        log("Workload done; waiting for the workers to drain the queues")

        wait_for(queues_drained, 180, "the queues to drain", ("worker1", "worker2"))
        procs.restart_exited(starters)
        time.sleep(5)  # the last jobs running

        bills_file = folder / "bills.json"
        numbers = range(FIRST_IMPORTED, FIRST_IMPORTED + args.imports * args.import_rows)
        asked = {
            "bills": [w["bill_id"] for w in seeded["walk_ins"]],
            "imports": sorted(work.imports),
            "numbers": [str(n) for n in numbers],
            "staff": STAFF_USER,
        }
        bills_file.write_text(json.dumps(asked))

        def settled():
            # Every acknowledged filing and payment has its SMS, and each is sent: a job lost
            # in a failover comes back from the outbox (handed over again after a minute, or
            # after its lease when its worker died), a lost callback from payments_reconcile.
            # Claims filed without an answer (a web node killed after its commit) count too.
            found = json.loads(django_script(VERIFY, str(bills_file)))
            everything = work.paid <= set(found["paid_codes"]) and len(found["sms"]) >= len(
                set(work.filed.values()) | set(found["codes"])
            ) + len(set(work.paid) | set(found["paid_codes"])) + len(found["scheduled"])
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
        log("Checking the scans on the S3 server and through the other web node")
        file_lines, file_failures = check_files(work, found["scans"])
        failures += file_failures
        task_lines, task_failures = check_tasks(work, found)
        import_lines, import_failures = check_imports(work, found, args.import_rows)
        failures += task_failures + import_failures
        app_logs = ["web1", "web2", "worker1", "worker2"]
        retries = conflict_retries(folder, app_logs)
        not_retried = conflicts_not_retried(folder, app_logs)

        print()
        print(f"run time: {time.monotonic() - started:.0f} s (folder {folder})")
        for line in bench_lines:
            print(line)
        print(
            f"requests: {work.requests} ({work.dashboards} dashboards, {work.probes} probes "
            f"of the claim list every 0.25 s; the staff user signed in {work.staff_sign_ins} "
            f"times for {2 + len(work.imports)} desk sessions)"
        )
        print(
            f"conflict retries (a request or job run again, from the logs): {retries}; "
            f"deadlocks that reached the caller: {not_retried}"
        )
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
        # One SMS when a claim is filed, one when its fee is paid, one when its visit is set.
        sms_expected = len(codes) + len(found["paid_codes"]) + len(found["scheduled"])
        print(
            f"SMS:      expected {sms_expected} (one per filing, payment and visit scheduled), "
            f"logged {len(sms_logged)} {found['sms_templates']}, sent {len(sms_sent)}, "
            f"at the provider "
            f"{len(sms_sent) - len(sms_missing)}, not yet sent {len(sms_unsent)}, duplicates "
            f"{found['sms_duplicates']} logged / {sms_dupes_at_provider} at the provider"
        )
        for line in file_lines + task_lines + import_lines:
            print(line)
        print("failovers (requests that ended before the next event, workload and probes):")
        for line in error_windows(work, events, workload_end):
            print(line)
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
    except BaseException as exc:
        # What did not come up or answer, and whatever ended on its own: their logs.
        names = [*getattr(exc, "logs", ()), *procs.ended()]
        print(f"\nFAILED: {exc!r}", file=sys.stderr)
        for name in dict.fromkeys(names):
            print(procs.tail(name), file=sys.stderr)
        failures.append(f"{type(exc).__name__}: {exc}")
        raise
    finally:
        if failures:
            for name in dict.fromkeys(["web1", "web2", "worker1", "worker2", *procs.ended()]):
                print(procs.tail(name, 25), file=sys.stderr)
        procs.stop_all()
        shutil.rmtree(ROOT / "sites" / SITE, ignore_errors=True)
        shutil.rmtree(ROOT / "sites" / SINGLE_SITE, ignore_errors=True)
        shutil.rmtree(ROOT / "sites" / MULTI_SITE, ignore_errors=True)
        if not args.keep and not failures:
            shutil.rmtree(folder, ignore_errors=True)
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("OK: nothing lost, nothing twice")
    return 0


if __name__ == "__main__":
    sys.exit(main())
