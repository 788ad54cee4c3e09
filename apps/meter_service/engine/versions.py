"""Selectors of process versions: how many claims run on each, and what changed between two.

The comparison is SpiffWorkflow's own (`SpecDiff`), the same alignment of steps that moving a
running claim to another version relies on: steps are matched by their BPMN id first, then
by their place in the flow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.util.diff import SpecDiff
from SpiffWorkflow.specs.base import TaskSpec

from apps.meter_service.engine import runner
from apps.meter_service.engine.forms import forms_of
from apps.meter_service.engine.models import (
    InstanceStatus,
    ProcessInstance,
    ProcessVersion,
)

if TYPE_CHECKING:  # django-stubs' helper, installed with the stubs (a dev dependency) only
    from django_stubs_ext import WithAnnotations

# What a changed attribute of a step is called in the desk (serializer keys of a task spec).
ATTRIBUTE_LABELS = {
    "bpmn_id": _("id"),
    "name": _("id"),
    "bpmn_name": _("name"),
    "typename": _("kind of step"),
    "lane": _("lane"),
    "inputs": _("incoming flows"),
    "outputs": _("outgoing flows"),
    "cond_task_specs": _("conditions of the outgoing flows"),
    "default_task_spec": _("default flow"),
    "form": _("form fields"),
    "topic": _("service topic"),
    "event_definition": _("event (timer or message)"),
    "decision_table": _("decision table"),
    "documentation": _("documentation"),
}
# Lists whose order means nothing: a flow redrawn in the modeler may list them anew.
_UNORDERED = {"inputs", "outputs"}


@dataclass(frozen=True)
class Step:
    """A step of the process as people know it: its BPMN id, name and lane."""

    bpmn_id: str
    name: str
    lane: str = ""


@dataclass(frozen=True)
class StepChange:
    bpmn_id: str
    name: str
    old_name: str
    old_bpmn_id: str
    attributes: tuple[str, ...]

    @property
    def renamed(self) -> bool:
        return self.name != self.old_name

    @property
    def labels(self) -> list[str]:
        """The changed attributes, named for people (each once, in a stable order)."""
        seen: list[str] = []
        for key in self.attributes:
            label = str(ATTRIBUTE_LABELS.get(key, _("other settings")))
            if label not in seen:
                seen.append(label)
        return seen


@dataclass
class VersionDiff:
    """What a version changes against another: steps, decision tables, called processes."""

    old: ProcessVersion | None
    new: ProcessVersion
    added: list[Step] = field(default_factory=list)
    removed: list[Step] = field(default_factory=list)
    changed: list[StepChange] = field(default_factory=list)
    dmn_added: list[str] = field(default_factory=list)
    dmn_removed: list[str] = field(default_factory=list)
    dmn_changed: list[str] = field(default_factory=list)
    # The user tasks' forms by formKey.
    forms_added: list[str] = field(default_factory=list)
    forms_removed: list[str] = field(default_factory=list)
    forms_changed: list[str] = field(default_factory=list)

    @property
    def same_files(self) -> bool:
        return self.old is not None and self.old.checksum == self.new.checksum

    @property
    def is_empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.dmn_added
            or self.dmn_removed
            or self.dmn_changed
            or self.forms_added
            or self.forms_removed
            or self.forms_changed
        )


# --- counts -----------------------------------------------------------------------------------
class VersionCounts(TypedDict):
    running: int
    completed: int


# A version with `running` and `completed` (process_versions_with_counts).
VersionWithCounts: TypeAlias = "WithAnnotations[ProcessVersion, VersionCounts]"


def process_versions_with_counts(
    queryset: QuerySet[ProcessVersion] | None = None,
) -> QuerySet[VersionWithCounts]:
    """Versions, each with `running` and `completed`: how many claims run or ran on it."""
    queryset = ProcessVersion.objects.all() if queryset is None else queryset
    return queryset.annotate(
        running=Count("instances", filter=Q(instances__status=InstanceStatus.RUNNING)),
        completed=Count("instances", filter=Q(instances__status=InstanceStatus.COMPLETED)),
    )


def process_version_counts(version: ProcessVersion) -> dict[str, int]:
    """{"running": n, "completed": n} for one version."""
    rows = (
        ProcessInstance.objects.filter(version=version)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    counts = dict(rows)
    return {
        "running": counts.get(InstanceStatus.RUNNING, 0),
        "completed": counts.get(InstanceStatus.COMPLETED, 0),
    }


# --- comparing ------------------------------------------------------------------------------
def process_version_compare_target(version: ProcessVersion) -> ProcessVersion | None:
    """The version to compare with by default: the active one, or for the active one the
    version before it."""
    siblings = ProcessVersion.objects.filter(process_id=version.process_id, is_draft=False).exclude(
        pk=version.pk
    )
    if not version.is_active:
        active = siblings.filter(is_active=True).first()
        if active is not None:
            return active
    return siblings.filter(number__lt=version.number).order_by("-number").first()


def _step(spec: TaskSpec) -> Step:
    return Step(bpmn_id=spec.bpmn_id, name=spec.bpmn_name or "", lane=spec.lane or "")


def _shown(spec: TaskSpec) -> bool:
    # Steps drawn in the diagram; the engine's own joins and splits have no BPMN id.
    return bool(getattr(spec, "bpmn_id", None))


def _changed_attributes(
    registry: DefaultRegistry, old_spec: TaskSpec, new_spec: TaskSpec, keys: list[str]
) -> tuple[str, ...]:
    old: dict[str, Any] = registry.convert(old_spec)
    new: dict[str, Any] = registry.convert(new_spec)
    kept = []
    for key in keys:
        if key in _UNORDERED and sorted(old.get(key) or []) == sorted(new.get(key) or []):
            continue
        kept.append(key)
    return tuple(kept)


def _spec_diff(
    old_spec: BpmnProcessSpec, new_spec: BpmnProcessSpec
) -> tuple[list[Step], list[Step], list[StepChange]]:
    registry = runner.spec_registry()
    diff = SpecDiff(registry, old_spec, new_spec)
    added = sorted((_step(s) for s in diff.added if _shown(s)), key=lambda s: s.bpmn_id)
    removed = sorted((_step(s) for s in diff.removed if _shown(s)), key=lambda s: s.bpmn_id)
    changed = []
    for old, keys in diff.changed.items():
        new = diff.alignment.get(old)
        if new is None or not (_shown(old) or _shown(new)):
            continue
        attributes = _changed_attributes(registry, old, new, keys)
        if not attributes:
            continue
        changed.append(
            StepChange(
                bpmn_id=new.bpmn_id or new.name,
                name=new.bpmn_name or "",
                old_name=old.bpmn_name or "",
                old_bpmn_id=old.bpmn_id or old.name,
                attributes=attributes,
            )
        )
    changed.sort(key=lambda c: c.bpmn_id)
    return added, removed, changed


def process_version_diff(old: ProcessVersion | None, new: ProcessVersion) -> VersionDiff:
    """What `new` adds, removes and changes against `old` (None: everything is added)."""
    new_spec, new_subprocesses = runner.version_spec(new)
    result = VersionDiff(old=old, new=new)
    if old is None:
        result.added = sorted(
            (_step(s) for s in new_spec.task_specs.values() if _shown(s)),
            key=lambda s: s.bpmn_id,
        )
        result.dmn_added = sorted(new.dmn_files)
        result.forms_added = sorted(forms_of(new))
        return result
    old_spec, old_subprocesses = runner.version_spec(old)
    result.added, result.removed, result.changed = _spec_diff(old_spec, new_spec)
    # Processes the main one calls (call activities), compared the same way.
    for name, old_sub in old_subprocesses.items():
        new_sub = new_subprocesses.get(name)
        if new_sub is None:
            result.removed.extend(_step(s) for s in old_sub.task_specs.values() if _shown(s))
            continue
        added, removed, changed = _spec_diff(old_sub, new_sub)
        result.added += added
        result.removed += removed
        result.changed += changed
    for name, new_sub in new_subprocesses.items():
        if name not in old_subprocesses:
            result.added.extend(_step(s) for s in new_sub.task_specs.values() if _shown(s))

    old_dmn, new_dmn = old.dmn_files or {}, new.dmn_files or {}
    result.dmn_added = sorted(set(new_dmn) - set(old_dmn))
    result.dmn_removed = sorted(set(old_dmn) - set(new_dmn))
    result.dmn_changed = sorted(n for n in set(old_dmn) & set(new_dmn) if old_dmn[n] != new_dmn[n])
    old_forms, new_forms = forms_of(old), forms_of(new)
    result.forms_added = sorted(set(new_forms) - set(old_forms))
    result.forms_removed = sorted(set(old_forms) - set(new_forms))
    result.forms_changed = sorted(
        k for k in set(old_forms) & set(new_forms) if old_forms[k] != new_forms[k]
    )
    return result


# --- files ------------------------------------------------------------------------------------
def process_version_files(version: ProcessVersion) -> list[tuple[str, str]]:
    """The version's files as (file name, text): the BPMN file first, then the DMN files,
    then the forms (`<formKey>.form`, form-js schemas)."""
    files = [(f"{version.process_id}.bpmn", version.bpmn)]
    files += sorted((version.dmn_files or {}).items())
    files += [
        (f"{key}.form", json.dumps(schema, ensure_ascii=False, indent=2) + "\n")
        for key, schema in sorted((version.forms or {}).items())
    ]
    return files
