"""The verdict of a test, from the DMN decision test_verdict of the claim's process version.

The table is not repeated in Python: the version's DMN files are parsed with the process's
own parser and evaluated by SpiffWorkflow's DMN engine in the process's script environment,
so the verdict stored on the test is the one the process reaches from the same inputs.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from types import SimpleNamespace

from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from apps.meter_service.engine import runner
from apps.meter_service.engine.models import ProcessVersion

DECISION_ID = "test_verdict"

_tables: dict[str, DMNEngine] = {}
_lock = threading.Lock()


def verdict_table(dmn_files: dict[str, str], checksum: str) -> DMNEngine:
    """The DMN engine of decision test_verdict in these files (parsed once per checksum)."""
    table = _tables.get(checksum)
    if table is None:
        parser = runner.ProcessParser()
        for name, xml in dmn_files.items():
            parser.add_dmn_str(xml.encode(), filename=name)
        table = parser.get_engine(DECISION_ID, None)
        with _lock:
            if len(_tables) > 32:
                _tables.clear()
            _tables[checksum] = table
    return table


def _number(value: Decimal | None) -> float | None:
    # The process keeps numbers as floats (task data is JSON): decide on the same values.
    return None if value is None else float(value)


def decide_verdict(
    *,
    version: ProcessVersion,
    tampered: bool,
    stopped: bool,
    error_percent: Decimal | None,
    mpe: Decimal | None,
) -> str:
    """Evaluate test_verdict of a process version for these findings; return the verdict."""
    table = verdict_table(version.dmn_files, version.checksum)
    data = {
        "tampered": bool(tampered),
        "stopped": bool(stopped),
        "error_percent": _number(error_percent),
        "mpe": _number(mpe),
    }
    # The DMN engine reads a task's data and its workflow's script engine, nothing else.
    task = SimpleNamespace(
        data=data, workflow=SimpleNamespace(script_engine=runner.script_engine())
    )
    result = table.result(task)
    if "verdict" not in result:
        raise ValueError(f"test_verdict gave no verdict for {data}")
    verdict: str = result["verdict"]
    return verdict
