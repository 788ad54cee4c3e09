"""deploy/compose.yaml stays in step with the Procfile and with scripts/cluster.

The compose file describes for several hosts the topology scripts/cluster proves on one
machine; nothing builds or runs it in the test suite (no container engine in CI). So that it
cannot drift from what is proved, its web, worker and scheduler commands must be the
Procfile's (which scripts/cluster runs too), its services the ones scripts/cluster starts,
and its HAProxy the same write-to-one-node Galera listener.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from apps.meter_service import supervision

ROOT = Path(settings.BASE_DIR)
APP_KINDS = ("web", "worker", "scheduler")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def cluster():
    spec = importlib.util.spec_from_file_location("cluster_script", ROOT / "scripts" / "cluster.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _procfile() -> dict[str, list[str]]:
    commands = {}
    for kind, line in supervision.read_procfile(ROOT / "Procfile").items():
        words = shlex.split(line)
        commands[kind] = words[1:] if words[0] == "exec" else words
    return commands


def _words(command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(word) for word in command]


def test_the_compose_services_are_the_cluster_scripts(compose, cluster):
    assert list(compose["services"]) == list(cluster.SERVICES)


def test_web_worker_and_scheduler_run_the_procfiles_commands(compose):
    procfile = _procfile()
    assert set(APP_KINDS) <= set(procfile)
    seen = set()
    for name, service in compose["services"].items():
        kind = name.rstrip("0123456789")
        if kind in APP_KINDS:
            assert _words(service["command"]) == procfile[kind], name
            seen.add(kind)
    assert seen == set(APP_KINDS)


def test_the_cluster_script_runs_the_procfiles_commands(cluster):
    assert cluster.procfile() == _procfile()


def test_every_app_service_runs_the_one_image(compose):
    images = {
        (service.get("image"), str(service.get("build")))
        for name, service in compose["services"].items()
        if name.rstrip("0123456789") in APP_KINDS
    }
    assert len(images) == 1
    ((_image, build),) = images
    assert "target': 'app'" in build, "the app services build the Containerfile's app stage"
    containerfile = (ROOT / "Containerfile").read_text()
    assert "FROM docker.io/library/debian:12-slim AS app" in containerfile
    assert "scripts/setup" in containerfile
    app_stage = containerfile.split(" AS app", 1)[1].split("\nFROM ", 1)[0]
    command = next(line for line in app_stage.splitlines() if line.startswith("CMD "))
    assert json.loads(command[4:]) == _procfile()["web"]


def test_haproxy_writes_to_one_galera_node_as_the_cluster_script_does(compose, cluster, tmp_path):
    deployed = (ROOT / "deploy" / "haproxy.cfg").read_text()
    proved = cluster.haproxy_config(tmp_path).read_text()
    for text in (deployed, proved):
        assert "option mysql-check user haproxy" in text
        assert "on-marked-down shutdown-sessions" in text
        assert "retry-on conn-failure empty-response 503" in text
        assert "http-request disable-l7-retry unless METH_GET || METH_HEAD" in text
    galera = [line.split()[1] for line in deployed.splitlines() if "server galera" in line]
    backups = [
        line.split()[1] for line in deployed.splitlines() if line.rstrip().endswith("backup")
    ]
    nodes = [name for name in compose["services"] if name.startswith("galera")]
    assert galera == nodes
    assert backups == nodes[1:]
    webs = [
        line.split()[1] for line in deployed.splitlines() if line.strip().startswith("server web")
    ]
    assert webs == [name for name in compose["services"] if name.startswith("web")]


# --- HAProxy's web listener, run for real ---------------------------------------------------


class _DyingNode:
    """A web node that reads each request and dies before it answers (a node killed after
    its commit), counting the requests it took by method."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.methods: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                request = conn.recv(65536)
                if request:
                    self.methods.append(request.split(b" ", 1)[0].decode())


def _web_listener(port: int, node_port: int) -> str:
    """deploy/haproxy.cfg's defaults and web listener, on loopback ports."""
    deployed = (ROOT / "deploy" / "haproxy.cfg").read_text()
    defaults = re.search(r"^defaults\n(?:    .*\n)+", deployed, re.M).group(0)
    web = re.search(r"^listen web\n(?:    .*\n)+", deployed, re.M).group(0)
    web = re.sub(r"    bind .*", f"    bind 127.0.0.1:{port}", web)
    web = re.sub(r"    default-server .*\n", "", web)
    web = re.sub(r"    server web1 .*", f"    server web1 127.0.0.1:{node_port}", web)
    web = re.sub(r"    server web2 .*", f"    server web2 127.0.0.1:{node_port}", web)
    return f"global\n    maxconn 100\n\n{defaults}\n{web}"


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def test_haproxy_sends_a_post_once_when_its_node_dies_before_answering(tmp_path):
    """In scripts/cluster, a claim filed on a web node killed before it answered was sent
    again to the other node, refused there as a repeat, and its client told it was not
    filed. A GET may be sent again; a POST may have committed, so it is not."""
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        pytest.fail("haproxy is not installed (Debian's haproxy; .ci/run installs it)")
    node = _DyingNode()
    port = _free_port()
    config = tmp_path / "haproxy.cfg"
    config.write_text(_web_listener(port, node.port))
    checked = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    proxy = subprocess.Popen([haproxy, "-db", "-f", str(config)], stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)

        def send(method: str) -> bytes:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
                body = b"{}" if method == "POST" else b""
                conn.sendall(
                    f"{method} /api/v1/claims/ HTTP/1.1\r\nHost: meter\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                    + body
                )
                return conn.recv(65536)

        assert send("POST").startswith(b"HTTP/1.1 502")
        assert node.methods == ["POST"]
        node.methods.clear()
        assert send("GET").startswith(b"HTTP/1.1 502")
        assert node.methods.count("GET") > 1  # a read is tried again
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
        node.listener.close()
