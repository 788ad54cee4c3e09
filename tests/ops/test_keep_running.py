"""The job worker and the scheduler are started again when they die: killing the scheduler
made honcho stop the web and the worker, and nothing started them again."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from django.conf import settings

SCRIPT = Path(settings.BASE_DIR) / "scripts" / "keep-running"


def _wait_for(predicate, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_command_that_dies_is_started_again_and_sigterm_stops_both(tmp_path):
    runs = tmp_path / "runs"
    pids = tmp_path / "pids"
    command = f"echo run >> {runs}; echo $$ >> {pids}; exec sleep 30"
    wrapper = subprocess.Popen(
        ["bash", str(SCRIPT), "bash", "-c", command],
        env={**os.environ, "KEEP_RUNNING_DELAY": "0.1"},
        stderr=subprocess.PIPE,
    )
    try:
        assert _wait_for(lambda: pids.exists() and pids.read_text().count("\n") == 1)
        first = int(pids.read_text().split()[0])
        os.kill(first, signal.SIGKILL)  # the worker is killed
        assert _wait_for(lambda: pids.read_text().count("\n") == 2)
        second = int(pids.read_text().split()[1])
        assert second != first

        wrapper.send_signal(signal.SIGTERM)  # honcho stops
        wrapper.wait(timeout=10)
        assert _wait_for(lambda: not _alive(second), 5)
        assert b"starting it again" in wrapper.stderr.read()
    finally:
        if wrapper.poll() is None:
            wrapper.kill()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie of an ended child counts as gone.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())
