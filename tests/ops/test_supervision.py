"""Production supervision: supervisord, configured by `manage.py supervisor_config` from the
Procfile, restarts the web, the worker or the scheduler when one is killed (SIGKILL), and
leaves the other two alone (honcho stopped all three when one died).

A throwaway site on SQLite and the test run's Redis; its database is not migrated: /health/
reads none of its tables on a site that names its SMS provider and gateway, and the only
periodic job its scheduler enqueues is the heartbeat (tests/ops/process_settings.py)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import xmlrpc.client
from pathlib import Path

import pytest
from django.conf import settings

from apps.meter_service import supervision
from apps.meter_service.integrations.fake import fake_provider_sections
from sites import siteconfig
from tests.ops.conftest import free_port
from tests.ops.processes import alive, children, wait_for

PROCESSES = ("web", "worker", "scheduler")
BIN = Path(sys.executable).parent


def _health(port: int) -> tuple[int, dict] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as answer:
        return answer.code, json.load(answer)
    except OSError:
        return None


def _healthy(port: int) -> dict | None:
    """The health checks when /health/ says everything runs (worker and scheduler too)."""
    answer = _health(port)
    if answer and answer[0] == 200 and answer[1]["status"] == "ok":
        return answer[1]["checks"]
    return None


class Supervisor:
    def __init__(self, conf: Path) -> None:
        self.url = f"unix://{conf.parent / 'run' / 'supervisor.sock'}"
        self.seen: set[int] = set()  # every pid it reported, to clean up after a failure

    def pids(self) -> dict[str, int]:
        """The pid of each process that is RUNNING."""
        from supervisor.xmlrpc import SupervisorTransport

        # A proxy per call: one whose call failed (supervisord not listening yet) is unusable.
        transport = SupervisorTransport(None, None, self.url)
        rpc = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)
        try:
            infos = rpc.supervisor.getAllProcessInfo()
        except (OSError, xmlrpc.client.Fault):
            return {}
        self.seen |= {info["pid"] for info in infos if info["pid"]}
        return {info["name"]: info["pid"] for info in infos if info["statename"] == "RUNNING"}


@pytest.fixture
def supervised_site(redis_url, new_site_name, tmp_path):
    """A site folder with its config, and supervisord.conf written by the command."""
    port = free_port()
    config = {
        **siteconfig.default_config(new_site_name),
        "redis_url": redis_url,
        "secret_key": secrets.token_urlsafe(40),
        **fake_provider_sections(),
        # A killed scheduler's successor takes the lock within a few seconds.
        "meter_service": {"SCHEDULER_LEASE_SECONDS": 8},
    }
    siteconfig.write_config(new_site_name, config)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in siteconfig.ENV_OVERRIDES and key != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env["METER_SITE"] = new_site_name
    # A real site's tables: /health/ reads the outbox's backlog.
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stderr
    written = subprocess.run(
        [
            *(sys.executable, "manage.py", "supervisor_config", "--port", str(port)),
            *("--env", "DJANGO_SETTINGS_MODULE=tests.ops.process_settings"),
            *("--env", "WEB_CONCURRENCY=1"),
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert written.returncode == 0, written.stderr
    conf = siteconfig.site_dir(new_site_name) / "supervisord.conf"
    yield conf, port, env
    import redis

    connection = redis.Redis.from_url(redis_url, socket_timeout=2)
    for key in connection.scan_iter(f"meter:{new_site_name}:*"):
        connection.delete(key)


@pytest.fixture
def supervisord(supervised_site):
    conf, port, env = supervised_site
    process = subprocess.Popen(
        [str(BIN / "supervisord"), "--nodaemon", "--configuration", str(conf)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    supervisor = Supervisor(conf)
    killed: set[int] = set()
    yield supervisor, port, killed, conf
    supervisor.pids()
    seen = supervisor.seen | killed
    process.send_signal(signal.SIGTERM)  # stops the three, then itself
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
    # Whatever outlived supervisord (killed while it was still stopping them, or children
    # left by a killed process) goes too: each program runs in a process group of its own,
    # whose id is the pid supervisord saw.
    for pid in seen:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    _forget_killed_workers(killed)


def _forget_killed_workers(pids: set[int]) -> None:
    """A SIGKILLed worker stays registered with a recent heartbeat for a while: take it out
    of the registry, so no other test counts it alive."""
    import django_rq
    from rq.worker_registration import REDIS_WORKER_KEYS, WORKERS_BY_QUEUE_KEY

    connection = django_rq.get_connection("default")
    for key in connection.smembers(REDIS_WORKER_KEYS):
        pid = connection.hget(key, "pid")
        if pid is not None and int(pid) in pids:
            for queue in settings.RQ_QUEUES:
                connection.srem(WORKERS_BY_QUEUE_KEY % queue, key)
            connection.srem(REDIS_WORKER_KEYS, key)
            connection.delete(key)


def _site(tmp_path, *, has_redis: bool) -> supervision.Site:
    return supervision.Site(
        name="qazvin",
        folder=tmp_path / "sites" / "qazvin",
        base_dir=tmp_path,
        has_redis=has_redis,
        environment={"METER_SITE": "qazvin", "PORT": "8000", "WEB_TIMEOUT": "50%"},
    )


def test_the_config_is_the_procfiles_processes(tmp_path):
    procfile = supervision.read_procfile(Path(settings.BASE_DIR) / "Procfile")
    assert tuple(procfile) == PROCESSES
    assert not any("keep-running" in line for line in procfile.values())
    site = _site(tmp_path, has_redis=True)

    text = supervision.supervisord_conf(site, procfile)

    for name, line in procfile.items():
        assert f"[program:{name}]\ncommand=/bin/sh -c '{line}'\n" in text
        assert f"stdout_logfile={site.folder / 'logs' / name}.log" in text
    assert text.count("autorestart=true") == 3
    assert 'PORT="8000",WEB_TIMEOUT="50%%"' in text  # supervisord's own % escaped
    assert f"file={site.folder / 'run' / 'supervisor.sock'}" in text


def test_a_site_without_redis_runs_only_the_web(tmp_path):
    procfile = supervision.read_procfile(Path(settings.BASE_DIR) / "Procfile")
    site = _site(tmp_path, has_redis=False)
    assert "[program:worker]" not in supervision.supervisord_conf(site, procfile)
    assert "[program:web]" in supervision.supervisord_conf(site, procfile)


def test_systemd_units_come_from_the_same_lines(tmp_path):
    procfile = supervision.read_procfile(Path(settings.BASE_DIR) / "Procfile")
    units = supervision.systemd_units(_site(tmp_path, has_redis=True), procfile, user="meter")

    assert set(units) == {"meter-qazvin.target"} | {
        f"meter-qazvin-{name}.service" for name in PROCESSES
    }
    worker = units["meter-qazvin-worker.service"]
    assert f"ExecStart=/bin/sh -c '{procfile['worker']}'\n" in worker
    assert "Restart=always" in worker and "KillMode=mixed" in worker
    assert 'Environment="WEB_TIMEOUT=50%%"' in worker
    assert "Wants=meter-qazvin-web.service" in units["meter-qazvin.target"]


def test_a_procfile_line_without_a_name_is_refused(tmp_path):
    bad = tmp_path / "Procfile"
    bad.write_text("# comment\nweb: exec gunicorn\njust a command\n")
    with pytest.raises(ValueError, match="Procfile:3"):
        supervision.read_procfile(bad)


def test_a_killed_process_comes_back_and_the_others_keep_running(supervisord, time_limit):
    time_limit(80)
    supervisor, port, killed, conf = supervisord
    assert wait_for(lambda: len(supervisor.pids()) == 3, 40), (conf.parent / "logs").iterdir()
    assert wait_for(lambda: _healthy(port), 30), _health(port)
    assert children(supervisor.pids()["worker"]), "the worker forked no scheduler"

    for name in PROCESSES:
        before = supervisor.pids()
        # The worker's children: RQ's scheduler (and a job's work horse, if one runs).
        orphans = children(before[name]) if name == "worker" else set()
        os.kill(before[name], signal.SIGKILL)
        killed.add(before[name])

        def restarted(name=name, before=before) -> bool:
            now = supervisor.pids()
            return name in now and now[name] != before[name]

        assert wait_for(restarted, 30), f"{name} did not come back"
        after = supervisor.pids()
        assert not alive(before[name])
        # They die with it rather than run on outside supervision (rq_worker.py).
        assert wait_for(lambda orphans=orphans: not any(map(alive, orphans)), 10), orphans
        others = {other: pid for other, pid in before.items() if other != name}
        assert {other: after.get(other) for other in others} == others, name
        # The site answers again, its jobs run: the new process is seen alive by /health/.
        assert wait_for(lambda: _healthy(port), 30), (name, _health(port))
        if name == "scheduler":
            # The new scheduler takes the lock once the killed one's lease has run out.
            def ticks(new=after["scheduler"]) -> bool:
                checks = _healthy(port)
                return bool(checks) and f":{new}:" in (checks["scheduler"]["holder"] or "")

            assert wait_for(ticks, 20), _health(port)

    log = (conf.parent / "logs" / "supervisord.log").read_text()
    for name in PROCESSES:
        assert f"exited: {name} (terminated by SIGKILL; not expected)" in log
