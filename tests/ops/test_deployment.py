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
import shlex
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
