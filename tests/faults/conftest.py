"""The fault-injection suite runs on MariaDB + Redis only, on servers of its own.

On SQLite (no METER_DATABASE_URL=mysql://...) its tests are deselected, and the summary
says why; CI's MariaDB + Redis suite runs them. They never touch the MariaDB or Redis the
rest of the suite uses: the `stack` fixture starts its own mariadbd and redis-server
(METER_FAULTS_PORT_BASE, 20800 by default, and the next four ports), so they can be killed,
frozen and restarted. METER_FAULTS_KEEP=1 keeps the servers' folder (logs) afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest

from tests.faults.stack import FIGURES, Figures, Stack, make_workdir

HERE = Path(__file__).resolve().parent
DESELECTED_REASON = (
    "tests/faults deselected: the fault-injection suite needs MariaDB + Redis "
    "(METER_DATABASE_URL=mysql://..., METER_REDIS_URL); it starts its own mariadbd and "
    "redis-server and runs in CI's MariaDB + Redis suite"
)
# Subscribers seeded for all the scenarios (each claim needs a subscriber of its own).
SUBSCRIBERS = 90
_deselected: list = []


def on_mariadb() -> bool:
    return os.environ.get("METER_DATABASE_URL", "").startswith("mysql://")


def pytest_collection_modifyitems(config, items):
    mine = [item for item in items if Path(str(item.path)).resolve().is_relative_to(HERE)]
    if on_mariadb():
        # Under pytest-xdist (scripts/test --dist loadgroup) one worker runs them all: the
        # stack's servers are on fixed ports and started once.
        for item in mine:
            item.add_marker(pytest.mark.xdist_group("faults"))
        return
    if mine:
        items[:] = [item for item in items if item not in mine]
        config.hook.pytest_deselected(items=mine)
        _deselected.extend(mine)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _deselected:
        terminalreporter.write_line(f"{len(_deselected)} {DESELECTED_REASON}")
    if FIGURES:
        terminalreporter.section("fault injection: figures")
        for figures in FIGURES:
            terminalreporter.write_line(figures.line())


@pytest.fixture(scope="session")
def stack():
    workdir = make_workdir()
    servers = Stack(workdir, int(os.environ.get("METER_FAULTS_PORT_BASE", "20800")))
    failed = False
    try:
        servers.start(subscribers=SUBSCRIBERS)
        FIGURES.append(
            Figures("stack set-up", {"seconds": round(servers.setup_seconds), **servers.phases})
        )
        yield servers
    except BaseException:
        failed = True
        for process in servers.processes.values():
            print(f"--- {process.name} ({process.log}) ---\n{process.tail()}")
        for name in ("web", "worker", "scheduler", "supervisord"):
            log = servers.log_of(name)
            with contextlib.suppress(OSError):
                print(f"--- {name} ({log}) ---\n" + "\n".join(log.read_text().splitlines()[-40:]))
        raise
    finally:
        servers.stop()
        if not failed and os.environ.get("METER_FAULTS_KEEP") != "1":
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def figures_of(stack, request):
    """Print a scenario's figures even when it fails, and keep them for the summary."""
    figures = Figures(request.node.name)
    yield figures
    FIGURES.append(figures)
    print(figures.line())
