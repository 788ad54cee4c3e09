"""SpiffWorkflow wired to this application: the parser, the script environment, the clock
and the serializer. Nothing here knows the meter test; the BPMN file does.

BPMN files use Camunda's extensions, so they open in Camunda Modeler and bpmn.io: user tasks
carry `camunda:formData` fields; service tasks are `camunda:type="external"` with a
`camunda:topic` naming one of the application's handlers (handlers.py); business rule tasks
name a DMN decision with `camunda:decisionRef`. Lanes are named by role code.
"""

# SpiffWorkflow ships no type information (its classes are Any), and this module extends
# them: the one check of --strict it cannot meet.
# mypy: allow-subclassing-any

from __future__ import annotations

import contextlib
import copy
import datetime
import functools
import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any, TypeAlias

from django.utils import timezone
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator, full_tag
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.task import Task as SpiffTask

from apps.meter_service.engine import expressions, handlers
from apps.meter_service.engine.models import ProcessVersion

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"

# SpiffWorkflow ships no type information: its classes are Any to mypy. The aliases say
# which of its objects a value is.
SubprocessSpecs: TypeAlias = dict[str, BpmnProcessSpec]
# A version's parsed process: its spec and the specs of the processes it calls.
ParsedSpecs: TypeAlias = tuple[BpmnProcessSpec, SubprocessSpecs]


# --- the clock ------------------------------------------------------------------------------
# SpiffWorkflow's timers compare with datetime.now(); they read the application's clock
# instead, so a test (or a replay) can move time and the timers follow.
_clock = threading.local()


def now() -> datetime.datetime:
    return getattr(_clock, "at", None) or timezone.now()


@contextlib.contextmanager
def clock_at(moment: datetime.datetime | None) -> Iterator[None]:
    """Run the engine as if it were `moment` (timers, SLA, handlers); None is real time."""
    previous = getattr(_clock, "at", None)
    _clock.at = moment
    try:
        yield
    finally:
        _clock.at = previous


class _ClockDatetime(datetime.datetime):
    @classmethod
    # The application's clock gives a plain datetime, not this class (typeshed says Self).
    def now(cls, tz: datetime.tzinfo | None = None) -> datetime.datetime:  # type: ignore[override]
        current = now()
        return current.astimezone(tz) if tz else current.replace(tzinfo=None)


spiff_timer.datetime = _ClockDatetime


# --- service tasks --------------------------------------------------------------------------
class TopicServiceTask(ServiceTask):
    """A service task that calls the application's handler registered for its topic."""

    def __init__(self, wf_spec: BpmnProcessSpec, bpmn_id: str, topic: str, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.topic = topic

    def _execute(self, task: SpiffTask) -> bool:
        result = handlers.run_topic(self.topic, task.data)
        if result:
            task.data.update(result)
        return True


class TopicServiceTaskParser(TaskParser):
    def create_task(self) -> TopicServiceTask:
        topic = self.node.get(f"{{{CAMUNDA_NS}}}topic") or ""
        if not topic:
            self.raise_validation_exception("A service task needs a camunda:topic.")
        task_spec: TopicServiceTask = self.spec_class(
            self.spec, self.bpmn_id, topic=topic, **self.bpmn_attributes
        )
        return task_spec


class TopicServiceTaskConverter(BpmnTaskSpecConverter):
    def to_dict(self, spec: TopicServiceTask) -> dict[str, Any]:
        dct: dict[str, Any] = self.get_default_attributes(spec)
        dct["topic"] = spec.topic
        return dct


class ProcessParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (TopicServiceTaskParser, TopicServiceTask),
    }


# --- the script environment -----------------------------------------------------------------
# Every expression SpiffWorkflow evaluates (conditions, timers, loops, conditional events,
# message correlations, DMN entries) goes through the process's expression language
# (expressions.py), which interprets a checked AST: Python's eval is never called, and no
# script is ever run.
class _Environment(TaskDataEnvironment):
    def __init__(self) -> None:
        super().__init__({})

    def evaluate(
        self,
        expression: str,
        context: dict[str, Any],
        external_context: dict[str, Any] | None = None,
    ) -> Any:
        # As SpiffWorkflow's own environment: the task's data wins over outside names.
        return expressions.evaluate(expression, {**(external_context or {}), **context})

    def execute(
        self,
        script: str,
        context: dict[str, Any],
        external_context: dict[str, Any] | None = None,
    ) -> bool:
        raise expressions.ExpressionError("processes may not run scripts")

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise expressions.ExpressionError("processes call services through service tasks")


@functools.cache
def script_engine() -> PythonScriptEngine:
    return PythonScriptEngine(environment=_Environment())


# --- parsing --------------------------------------------------------------------------------
@functools.cache
def _validator() -> BpmnValidator:
    return BpmnValidator()


def parse(
    bpmn: str, dmn_files: dict[str, str], process_id: str
) -> tuple[BpmnProcessSpec, SubprocessSpecs, ProcessParser]:
    """Parse and validate the files; return (spec, subprocess specs, parser).

    Raises SpiffWorkflow's ValidationException for a file that does not follow the BPMN or
    DMN schema or cannot be executed.
    """
    parser = ProcessParser(validator=_validator())
    for name, xml in dmn_files.items():
        parser.add_dmn_str(xml.encode(), filename=name)
    parser.add_bpmn_str(bpmn.encode(), filename=f"{process_id}.bpmn")
    spec = parser.get_spec(process_id)
    return spec, parser.get_subprocess_specs(process_id), parser


# Parsed specs by the checksum of their files: a version never changes, and equal files
# parse to equal specs, so a worker parses each version once (or at start, see warm()).
_specs: dict[str, ParsedSpecs] = {}
_specs_lock = threading.Lock()


def version_spec(version: ProcessVersion) -> ParsedSpecs:
    """The parsed (spec, subprocess specs) of a version."""
    found = _specs.get(version.checksum)
    if found is None:
        spec, subprocess_specs, _parser = parse(version.bpmn, version.dmn_files, version.process_id)
        found = (spec, subprocess_specs)
        with _specs_lock:
            if len(_specs) > 32:  # old versions nobody runs any more
                _specs.clear()
            _specs[version.checksum] = found
    return found


def warm() -> None:
    """Parse the process as the repository ships it, before the first request needs it."""
    # Local: the engine's services run the workflows this module loads.
    from apps.meter_service.engine.services import (
        PROCESS_ID,
        files_checksum,
        workflow_files,
    )

    bpmn, dmn = workflow_files()
    checksum = files_checksum(bpmn, dmn)
    if checksum not in _specs:
        spec, subprocess_specs, _parser = parse(bpmn, dmn, PROCESS_ID)
        _specs[checksum] = (spec, subprocess_specs)


# --- serialization --------------------------------------------------------------------------
_restoring = threading.local()


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Store the workflow's state only: its spec is the version's files, parsed once."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        # BpmnWorkflowConverter.to_dict less the spec and the subprocess specs, which it
        # would convert (a third of the dump's time) only for them to be dropped here.
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        spec, subprocess_specs = _restoring.spec
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], _uuid, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(_uuid(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)


@functools.cache
def _serializer() -> BpmnWorkflowSerializer:
    config = dict(CAMUNDA_CONFIG)
    config[TopicServiceTask] = TopicServiceTaskConverter
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config)
    return BpmnWorkflowSerializer(registry)


def spec_registry() -> DefaultRegistry:
    """The serializer's registry: SpiffWorkflow compares specs through it."""
    return _serializer().registry


def new_workflow(version: ProcessVersion) -> BpmnWorkflow:
    spec, subprocess_specs = version_spec(version)
    return BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine())


def dump(workflow: BpmnWorkflow) -> dict[str, Any]:
    serializer = _serializer()
    # Through JSON once so dates and decimals in task data become plain values the database
    # JSON column accepts, exactly as they will be read back.
    state: dict[str, Any] = json.loads(serializer.serialize_json(workflow))
    return state


def load(version: ProcessVersion, state: dict[str, Any]) -> BpmnWorkflow:
    serializer = _serializer()
    _restoring.spec = version_spec(version)
    try:
        # A copy: restoring pops keys, and the caller's dict is the model's field.
        dct = copy.deepcopy(state)
        serializer.migrate(dct)  # a state saved by an older SpiffWorkflow
        workflow = serializer.from_dict(dct)
    finally:
        _restoring.spec = None
    workflow.script_engine = script_engine()
    return workflow
