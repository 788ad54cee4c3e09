"""scripts/system-packages: what the tests and PDFs need from the system, never skipped silently."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from django.conf import settings

SCRIPT = Path(settings.BASE_DIR) / "scripts" / "system-packages"


def _run(**env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "METER_INSTALL_SYSTEM_PACKAGES": "0", **env}
    environment.pop("METER_SKIP_SYSTEM_PACKAGES", None)
    return subprocess.run(
        ["bash", str(SCRIPT), "test"], env=environment, capture_output=True, text=True
    )


def test_a_machine_with_everything_passes():
    result = _run()
    assert result.returncode == 0, result.stderr


def test_a_missing_browser_is_named_in_one_line_with_its_package():
    result = _run(METER_CHROMIUM="/nonexistent/chromium")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    # Whatever else this machine lacks, the browser is named in the one install line.
    assert "apt-get install " in lines[0]
    assert "chromium" in lines[0].split("apt-get install ", 1)[1].split()
