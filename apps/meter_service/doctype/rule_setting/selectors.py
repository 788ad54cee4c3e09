"""Reads of rule settings: the value in force on a day (rule_value, read by all the code
that reads a rule), and what the desk lists.

Every process keeps the changes it read: the table is small and a rule is read on hot paths
(each filing, each masked mobile, each request's idle check), so a read must not cost a
query. With a cache every worker shares (METER_REFERENCE_CACHE) the copy is checked against
the reference generation, which a change replaces (reference_data.py), at most once every
SHARED_KEEP_SECONDS: every worker sees a change within a second. Without one (the embedded
site) the copy is read again after KEEP_SECONDS, and at once in the worker that made the
change. A transaction that changed a rule reads the table until it ends and keeps nothing.
The copy holds future changes too, so a change comes into force at midnight of its date
without anyone telling the workers.
"""

from __future__ import annotations

import copy
import datetime
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from apps.meter_service.core.rule_settings import RULES
from apps.meter_service.core.types import StrOrPromise
from apps.meter_service.doctype.rule_setting import rules
from apps.meter_service.doctype.rule_setting.models import RuleSettingChange
from apps.meter_service.reference_data import reference

# Without a shared cache, how long a worker keeps the changes it read (seconds).
KEEP_SECONDS = 30.0
# With one, how long a worker uses its copy before it checks the generation again: a page
# that masks fifty mobiles asks the cache once, not fifty times (seconds).
SHARED_KEEP_SECONDS = 1.0

# name -> (effective_from, id, value) of each change, oldest first
Changes = dict[str, tuple[tuple[datetime.date, int, Any], ...]]

_kept: tuple[float, Changes] | None = None
_kept_lock = threading.Lock()
_NONE = object()


def _load() -> Changes:
    by_name: dict[str, list[tuple[datetime.date, int, Any]]] = {}
    rows = RuleSettingChange.objects.order_by("effective_from", "id").values_list(
        "name", "effective_from", "id", "value"
    )
    for name, effective_from, pk, value in rows:
        by_name.setdefault(name, []).append((effective_from, pk, value))
    return {name: tuple(changes) for name, changes in by_name.items()}


def _changed_in_this_transaction() -> bool:
    """True while a change of a rule made on this connection is not committed."""
    return connection.in_atomic_block and any(
        getattr(entry[1], "forgets_rule_settings", False) for entry in connection.run_on_commit
    )


def _changes() -> Changes:
    global _kept
    if _changed_in_this_transaction():
        return _load()
    shared = bool(getattr(settings, "METER_REFERENCE_CACHE", False))
    kept = _kept
    now = time.monotonic()
    if kept is not None and now - kept[0] < (SHARED_KEEP_SECONDS if shared else KEEP_SECONDS):
        return kept[1]
    changes = reference("rule_setting_changes", _load) if shared else _load()
    with _kept_lock:
        _kept = (now, changes)
    return changes


def forget_kept_rules() -> None:
    """Drop this worker's copy of the changes (a change was made; tests)."""
    global _kept
    with _kept_lock:
        _kept = None


def _in_force(changes: tuple[tuple[datetime.date, int, Any], ...], day: datetime.date) -> Any:
    found: Any = _NONE
    for effective_from, _pk, value in changes:
        if effective_from > day:
            break
        found = value
    return found


def rule_value(name: str, on: datetime.date | None = None) -> Any:
    """The value of rule setting `name` in force on a day (today in Tehran by default): the
    latest change effective on or before it, or with none the site's settings.METER_SERVICE
    (site_config.json over the RULES default), read at call time."""
    day = on or timezone.localdate()
    value = _in_force(_changes().get(name, ()), day)
    if value is _NONE:
        return settings.METER_SERVICE[name]
    return copy.deepcopy(value) if isinstance(value, list | dict) else value


def rule_value_stored(name: str, on: datetime.date) -> Any:
    """rule_value read from the database, nothing kept (for a change being made)."""
    changes = tuple(
        RuleSettingChange.objects.filter(name=name)
        .order_by("effective_from", "id")
        .values_list("effective_from", "id", "value")
    )
    value = _in_force(changes, on)
    return settings.METER_SERVICE[name] if value is _NONE else value


@dataclass(frozen=True)
class PendingChange:
    effective_from: datetime.date
    value: Any
    display: str


@dataclass(frozen=True)
class RuleRow:
    """A rule setting as the desk lists it."""

    name: str
    meaning: StrOrPromise
    editable: bool
    value: Any
    display: str
    changed: bool  # a desk change is in force (not the site's default)
    pending: list[PendingChange] = field(default_factory=list)


def rules_overview(on: datetime.date | None = None) -> list[RuleRow]:
    """Every rule setting (RULES' order) with its value in force and its future changes."""
    day = on or timezone.localdate()
    changes = _load()
    result = []
    for name, rule in RULES.items():
        rows = changes.get(name, ())
        stored = _in_force(rows, day)
        value = settings.METER_SERVICE[name] if stored is _NONE else stored
        pending = [
            PendingChange(effective_from, future, rules.value_display(name, future))
            for effective_from, _pk, future in rows
            if effective_from > day
        ]
        result.append(
            RuleRow(
                name=name,
                meaning=rule.meaning,
                editable=rules.editable(name),
                value=value,
                display=rules.value_display(name, value),
                changed=stored is not _NONE,
                pending=pending,
            )
        )
    return result


def rule_history(name: str | None = None) -> QuerySet[RuleSettingChange]:
    """The changes of one rule setting (or of all), newest first, with who made them."""
    changes = RuleSettingChange.objects.select_related("changed_by").order_by("-changed_at", "-id")
    return changes.filter(name=name) if name else changes
