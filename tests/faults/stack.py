"""The fault-injection stack: a MariaDB server and a Redis server of its own, a site made with
`manage.py new_site`, the site's production processes (gunicorn, the RQ worker and the
scheduler) under supervisord as production runs them (its configuration written by
`manage.py supervisor_config` from the Procfile), and the fake SMS provider and bank gateway
served from this process. The scenarios kill, freeze or stop any of
them; the shared MariaDB and Redis of the machine are never touched.

Ports: METER_FAULTS_PORT_BASE (20800) + 0 MariaDB, + 1 Redis, + 2 the site, + 3 the SMS
provider, + 4 the gateway.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from apps.meter_service.integrations.fake import (
    FAKE_MERCHANT_ID,
    FAKE_SMS_API_KEY,
    FAKE_SMS_SENDER,
    FakeServer,
    serve,
)
from apps.meter_service.integrations.gateway.fake_server import FakeZarinpal
from apps.meter_service.integrations.sms.fake_server import FakeKavenegar
from tests.ops.processes import children

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# A request that has not been answered in this long hangs (the site gives up on a frozen
# database after database_read_timeout below, and gunicorn after its own timeout).
CLIENT_TIMEOUT = 45.0
DATABASE_READ_TIMEOUT = 8  # seconds; the site's database_read_timeout / write_timeout


def _binary(name: str) -> str:
    for folder in ("", "/usr/sbin", "/usr/local/sbin", "/usr/bin"):
        found = shutil.which(name, path=folder or None)
        if found:
            return found
    raise RuntimeError(f"{name} is not installed: the fault-injection suite needs it")


def wait_until(what: str, check, timeout: float, every: float = 0.2):
    """Return check()'s first true value; raise after `timeout` seconds without one."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except Exception:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)


def fast_periodic_jobs() -> dict[str, int]:
    """The intervals of the site's periodic jobs that recover texts and payments (whatever
    their names: any job about SMS, payments or an outbox), shortened to seconds."""
    from django.conf import settings

    fast = {"heartbeat": 3}
    for job in settings.METER_PERIODIC_JOBS:
        name = job["path"].rsplit(".", 1)[1]
        if any(word in name for word in ("sms", "payment", "outbox")):
            fast[name] = 5
    return fast


def _port_open(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def descendants(pid: int) -> list[int]:
    result = []
    for child in sorted(children(pid)):
        result.extend([child, *descendants(child)])
    return result


class Process:
    """One server or program of the stack, in a process group of its own."""

    def __init__(self, name: str, argv: list[str], *, log: Path, env: dict | None = None):
        self.name, self.argv, self.log, self.env = name, argv, log, env
        self.popen: subprocess.Popen | None = None

    def start(self) -> Process:
        out = self.log.open("ab")
        self.popen = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def kill_hard(self) -> None:
        """SIGKILL the process and everything it started (a crash, the OOM killer)."""
        with_children = [*descendants(self.pid), self.pid]
        for pid in with_children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if not self.running():
            return
        try:
            os.kill(self.pid, signal.SIGCONT)  # a frozen server must be able to stop
            os.killpg(self.pid, signal.SIGTERM)
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        except ProcessLookupError:
            pass

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Answer:
    """One request's outcome: its HTTP status, or "timeout" / "refused"."""

    index: int
    status: int | str
    seconds: float
    body: object = None

    @property
    def ok(self) -> bool:
        return isinstance(self.status, int) and 200 <= self.status < 300

    @property
    def server_error(self) -> bool:
        return isinstance(self.status, int) and self.status >= 500


@dataclass
class Figures:
    """What a scenario prints, and what the suite's summary repeats."""

    scenario: str
    values: dict = field(default_factory=dict)

    def line(self) -> str:
        return f"{self.scenario}: " + ", ".join(f"{k} {v}" for k, v in self.values.items())


# Every scenario's figures, printed again at the end of the run (conftest.py).
FIGURES: list[Figures] = []


class Stack:
    def __init__(self, workdir: Path, port_base: int):
        self.workdir = workdir
        self.ports = {
            name: port_base + offset
            for offset, name in enumerate(("mariadb", "redis", "web", "sms", "gateway"))
        }
        self.site = f"faults_{uuid.uuid4().hex[:8]}"
        self.database = f"meter_{self.site}"
        self.socket = str(workdir / "mariadb.sock")
        self.processes: dict[str, Process] = {}
        self.sms = FakeKavenegar(api_key=FAKE_SMS_API_KEY, senders=[FAKE_SMS_SENDER])
        self.gateway = FakeZarinpal(merchant_ids={FAKE_MERCHANT_ID})
        self._fake_servers: dict[str, FakeServer] = {}
        self.walk_ins: list[dict] = []
        self.token = ""
        self._next_walk_in = 0
        self._lock = threading.Lock()
        self.figures: list[Figures] = []
        self._seen_pids: set[int] = set()  # every pid supervisord reported, for the clean-up

    # --- set-up -------------------------------------------------------------------------

    @property
    def site_dir(self) -> Path:
        return ROOT / "sites" / self.site

    def env(self, **extra: str) -> dict:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("METER_", "PYTEST", "DJANGO_"))
        }
        env.update(
            METER_SITE=self.site,
            DJANGO_SETTINGS_MODULE="sites.settings",
            PORT=str(self.ports["web"]),
            WEB_CONCURRENCY="2",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def _phase(self, name: str) -> None:
        now = time.monotonic()
        self.phases[name] = round(now - self._phase_start, 1)
        self._phase_start = now

    def start(self, subscribers: int) -> None:
        started = self._phase_start = time.monotonic()
        self.phases: dict[str, float] = {}
        self._start_mariadb(initialise=True)
        self._phase("mariadb")
        self._start_redis()
        self.start_sms_provider()
        self._fake_servers["gateway"] = serve({"/": self.gateway}, port=self.ports["gateway"])
        self._new_site()
        self._phase("new_site")
        seeded = self._run("seeding", [PYTHON, "-m", "tests.faults.seed", str(subscribers)])
        data = json.loads(seeded.strip().splitlines()[-1])
        self.token, self.walk_ins = data["token"], data["walk_ins"]
        self._phase("seed")
        self._start_supervisord()
        wait_until("the site answers", lambda: self.get("/health/").status_code, 60)
        self._phase("web")
        wait_until("a worker runs jobs", self.heartbeat, 60)
        self._phase("worker")
        self.setup_seconds = time.monotonic() - started

    def _run(self, what: str, argv: list[str]) -> str:
        """Run a command of the site to its end; its output, or an error saying why not."""
        done = subprocess.run(
            argv,
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"{what} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        return done.stdout

    def _start_mariadb(self, *, initialise: bool) -> None:
        datadir = self.workdir / "mariadb"
        user = ["--user=root"] if os.geteuid() == 0 else []
        if initialise:
            subprocess.run(
                [
                    _binary("mariadb-install-db"),
                    "--no-defaults",
                    f"--datadir={datadir}",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                    *user,
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
        argv = [
            _binary("mariadbd"),
            "--no-defaults",
            f"--datadir={datadir}",
            f"--socket={self.socket}",
            f"--port={self.ports['mariadb']}",
            f"--bind-address={HOST}",
            f"--pid-file={self.workdir / 'mariadb.pid'}",
            f"--log-error={self.workdir / 'mariadb.err'}",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=64M",
            "--innodb-log-file-size=16M",
            # A server never crashed by the scenarios (SIGSTOP loses nothing): no fsync, so
            # that new_site's migrations take seconds, not a minute.
            "--innodb-flush-log-at-trx-commit=0",
            "--innodb-doublewrite=0",
            "--innodb-flush-method=nosync",
            "--sync-binlog=0",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
            *user,
        ]
        self.processes["mariadb"] = Process(
            "mariadb", argv, log=self.workdir / "mariadb.out"
        ).start()
        wait_until("MariaDB answers", lambda: self.sql("SELECT 1", database="mysql"), 60)
        if initialise:
            # The site's time zone, for Django's date lookups in Asia/Tehran on MariaDB.
            zones = subprocess.run(
                [
                    _binary("mariadb-tzinfo-to-sql"),
                    "/usr/share/zoneinfo/Asia/Tehran",
                    "Asia/Tehran",
                ],
                capture_output=True,
                check=True,
                timeout=120,
            ).stdout
            subprocess.run(
                [_binary("mariadb"), f"--socket={self.socket}", "-uroot", "mysql"],
                input=zones,
                check=True,
                capture_output=True,
                timeout=120,
            )

    def _start_redis(self) -> None:
        # Persistence as the README asks of production (appendonly), so queued jobs outlive
        # a restart; what the last second before a SIGKILL wrote may still be lost.
        argv = [
            _binary("redis-server"),
            "--bind",
            HOST,
            "--port",
            str(self.ports["redis"]),
            "--dir",
            str(self.workdir),
            "--save",
            "",
            "--appendonly",
            "yes",
            "--logfile",
            str(self.workdir / "redis.log"),
        ]
        self.processes["redis"] = Process("redis", argv, log=self.workdir / "redis.out").start()
        wait_until("Redis answers", lambda: self.redis().ping(), 30)

    def redis(self):
        import redis

        return redis.Redis(host=HOST, port=self.ports["redis"], socket_timeout=2)

    def _new_site(self) -> None:
        created = subprocess.run(
            [
                PYTHON,
                "manage.py",
                "new_site",
                self.site,
                "--db-url",
                f"mysql://root@{HOST}:{self.ports['mariadb']}/",
                "--redis-url",
                f"redis://{HOST}:{self.ports['redis']}/0",
                "--admin-user",
                "admin",
                "--admin-email",
                "it@example.ir",
                "--no-input",
            ],
            cwd=ROOT,
            # Run from another site: the new one's folder must not exist yet.
            env=self.env(METER_SITE="test"),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if created.returncode:
            raise RuntimeError(
                f"new_site failed:\n{created.stdout[-2000:]}{created.stderr[-4000:]}"
            )
        path = self.site_dir / "site_config.json"
        config = json.loads(path.read_text())
        config.update(
            {
                "sms": {
                    "BASE_URL": f"http://{HOST}:{self.ports['sms']}",
                    "API_KEY": FAKE_SMS_API_KEY,
                    "SENDER": FAKE_SMS_SENDER,
                    "TIMEOUT": 5,
                    "BACKOFF_SECONDS": 1,
                    "MAX_BACKOFF_SECONDS": 4,
                },
                "gateway": {
                    "BASE_URL": f"http://{HOST}:{self.ports['gateway']}",
                    "MERCHANT_ID": FAKE_MERCHANT_ID,
                    "TIMEOUT": 5,
                },
                "database_connect_timeout": 3,
                "database_read_timeout": DATABASE_READ_TIMEOUT,
                "database_write_timeout": DATABASE_READ_TIMEOUT,
                # The recovery jobs run often, and act at once, so that a scenario sees in
                # seconds what production does within minutes.
                "periodic_jobs": fast_periodic_jobs(),
                "meter_service": {
                    # Not 0: a payment the payer is still paying at the bank would be
                    # settled as unpaid.
                    "PAYMENT_RECONCILE_MINUTES": 1,
                    "SMS_PER_MOBILE_PER_HOUR": 1000,
                    # The outbox tries a failed text again within seconds, not minutes, so
                    # that a text waits at most a few seconds after an outage ends.
                    "OUTBOX_RETRY_FIRST_SECONDS": 1,
                    "OUTBOX_RETRY_MAX_SECONDS": 4,
                    # A job whose worker was killed is run again soon (an SMS's own lease
                    # is its provider time-out plus a grace, see notification services).
                    "OUTBOX_LEASE_SECONDS": 20,
                    # A killed scheduler's successor takes the lock within seconds.
                    "SCHEDULER_LEASE_SECONDS": 8,
                },
            }
        )
        path.write_text(json.dumps(config, indent=2))

    def _start_supervisord(self) -> None:
        """supervisord for the site, configured as production's: `manage.py
        supervisor_config` writes it from the Procfile; it starts web, worker and scheduler
        and restarts whichever dies."""
        self._run(
            "supervisor_config",
            [
                *(PYTHON, "manage.py", "supervisor_config", "--port", str(self.ports["web"])),
                *("--env", "WEB_CONCURRENCY=2"),
                *("--env", "PYTHONUNBUFFERED=1"),
            ],
        )
        conf = self.site_dir / "supervisord.conf"
        self.processes["supervisord"] = Process(
            "supervisord",
            [str(ROOT / ".venv" / "bin" / "supervisord"), "--nodaemon", "-c", str(conf)],
            log=self.workdir / "supervisord.out",
            env=self.env(),
        ).start()
        wait_until(
            "supervisord runs web, worker and scheduler",
            lambda: len(self.supervised()) == 3,
            60,
        )

    def supervised(self) -> dict[str, int]:
        """The pid of each supervised process that is RUNNING, by name (supervisord's RPC)."""
        import xmlrpc.client

        from supervisor.xmlrpc import SupervisorTransport

        url = f"unix://{self.site_dir / 'run' / 'supervisor.sock'}"
        rpc = xmlrpc.client.ServerProxy(
            "http://127.0.0.1", transport=SupervisorTransport(None, None, url)
        )
        try:
            infos = rpc.supervisor.getAllProcessInfo()
        except (OSError, xmlrpc.client.Fault):
            return {}
        pids = {info["name"]: info["pid"] for info in infos if info["statename"] == "RUNNING"}
        self._seen_pids |= set(pids.values())
        return pids

    def log_of(self, name: str) -> Path:
        return self.site_dir / "logs" / f"{name}.log"

    def _stop_supervisord(self) -> None:
        """supervisord stops the three (TERM, a warm stop), then itself; whatever is left
        (a process killed by a scenario leaves its children) is killed by process group."""
        process = self.processes.get("supervisord")
        if process is None or not process.running():
            return
        self.supervised()
        process.signal(signal.SIGTERM)
        try:
            process.popen.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill_hard()
        for pid in self._seen_pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)

    def start_sms_provider(self) -> None:
        self._fake_servers["sms"] = serve({"/": self.sms}, port=self.ports["sms"])

    def stop_sms_provider(self) -> None:
        """The provider goes down: connections to it are refused (its memory is kept)."""
        self._fake_servers.pop("sms").stop()

    def restart_redis(self) -> None:
        self._start_redis()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._stop_supervisord()
        for name in ("redis", "mariadb"):
            process = self.processes.get(name)
            if process is not None:
                process.stop()
        for server in self._fake_servers.values():
            server.stop()
        shutil.rmtree(self.site_dir, ignore_errors=True)

    # --- the site's state ------------------------------------------------------------

    def sql(self, query: str, params: tuple = (), *, database: str | None = None) -> list:
        """Rows of one query, on a connection of its own (the server may have been frozen)."""
        import MySQLdb

        connection = MySQLdb.connect(
            host=HOST,
            port=self.ports["mariadb"],
            user="root",
            database=database or self.database,
            connect_timeout=5,
            read_timeout=20,
            charset="utf8mb4",
        )
        try:
            cursor = connection.cursor()
            cursor.execute(query, params)
            return list(cursor.fetchall())
        finally:
            connection.close()

    def heartbeat(self) -> str | None:
        """The last heartbeat job a worker ran, as /health/ shows it to a local probe."""
        data = self.get("/health/").json()
        return (data.get("checks", {}).get("worker") or {}).get("last_heartbeat_job")

    def child_pid(self, name: str) -> int | None:
        """The pid of a supervised process (web, worker, scheduler) while it runs."""
        return self.supervised().get(name)

    # --- HTTP -------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.ports['web']}{path}"

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url(path), timeout=CLIENT_TIMEOUT, **kwargs)

    def take_walk_ins(self, count: int) -> list[dict]:
        with self._lock:
            taken = self.walk_ins[self._next_walk_in : self._next_walk_in + count]
            self._next_walk_in += count
        assert len(taken) == count, "seed more subscribers for the scenarios"
        return taken

    def file_claim(self, index: int, walk_in: dict, payment_method: str = "next_bill") -> Answer:
        body = {
            **walk_in,
            "reason": "fast",
            "last_reading": "850",
            "last_reading_date": time.strftime("%Y-%m-%d"),
            "payment_method": payment_method,
        }
        started = time.monotonic()
        try:
            response = requests.post(
                self.url("/api/v1/claims/"),
                json=body,
                headers={"Authorization": f"Token {self.token}", "Accept": "application/json"},
                timeout=CLIENT_TIMEOUT,
            )
        except requests.Timeout:
            return Answer(index, "timeout", time.monotonic() - started)
        except requests.ConnectionError:
            return Answer(index, "refused", time.monotonic() - started)
        try:
            data = response.json()
        except ValueError:
            data = response.text[:300]
        return Answer(index, response.status_code, time.monotonic() - started, data)

    def burst(
        self,
        walk_ins: list[dict],
        *,
        concurrency: int = 3,
        gap: float = 0.0,
        payment_method: str = "next_bill",
    ) -> list[Answer]:
        """File a claim for each walk-in, `concurrency` at a time, each sender waiting `gap`
        seconds between its requests, so that a fault lands in the middle of the burst."""

        def one(index: int) -> Answer:
            answer = self.file_claim(index, walk_ins[index], payment_method)
            time.sleep(gap)
            return answer

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            return list(pool.map(one, range(len(walk_ins))))

    # --- what reached the subscribers ---------------------------------------------------

    def claims_of(self, walk_ins: list[dict]) -> dict[str, dict]:
        """The committed claims of these walk-ins' subscribers, by contact mobile."""
        mobiles = tuple(w["contact_mobile"] for w in walk_ins)
        marks = ",".join(["%s"] * len(mobiles))
        rows = self.sql(
            "SELECT c.id, c.tracking_code, c.contact_mobile, c.status FROM meter_service_claim c"
            f" WHERE c.contact_mobile IN ({marks})",
            mobiles,
        )
        return {
            mobile: {"id": pk, "tracking_code": code, "status": status}
            for pk, code, mobile, status in rows
        }

    def texts_by_mobile(self, mobiles) -> dict[str, Counter]:
        """How many times each text reached each mobile at the provider."""
        wanted = set(mobiles)
        texts: dict[str, Counter] = {mobile: Counter() for mobile in wanted}
        for message in self.sms.messages():
            if message["receptor"] in wanted:
                texts[message["receptor"]][message["message"]] += 1
        return texts

    def sms_rows(self, claim_ids) -> list[tuple]:
        ids = tuple(claim_ids)
        if not ids:
            return []
        marks = ",".join(["%s"] * len(ids))
        return self.sql(
            f"SELECT claim_id, status, template_key FROM meter_service_smsmessage "
            f"WHERE claim_id IN ({marks})",
            ids,
        )

    def await_texts(self, mobiles, expected: int, timeout: float) -> dict[str, Counter]:
        """Wait until each mobile has `expected` distinct texts (or the time is up)."""
        deadline = time.monotonic() + timeout
        while True:
            texts = self.texts_by_mobile(mobiles)
            if all(len(t) >= expected for t in texts.values()) or time.monotonic() > deadline:
                return texts
            time.sleep(0.5)


def make_workdir() -> Path:
    # Short: a Unix socket's path is limited to about 100 characters.
    return Path(tempfile.mkdtemp(prefix="meter-faults-"))
