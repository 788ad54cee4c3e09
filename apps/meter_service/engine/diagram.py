"""The process drawn for people: the BPMN file in the reader's language, and a claim's progress.

bpmn-js draws the version's own BPMN file in the browser (static/meter_service/js/
process-diagram.js). Before it leaves the server every name it shows is translated through
the catalogue (workflows/labels.py lists the file's strings for makemessages) and each lane,
named in the file by a role code, gets the role's label. A claim's progress is read from its
engine state: the steps, events, gateways and sequence flows it has passed, and where it
waits now.
"""

from __future__ import annotations

import functools
from typing import Any

from django.utils.translation import get_language, gettext
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState

from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.engine import runner
from apps.meter_service.engine.models import ProcessInstance
from apps.meter_service.engine.selectors import lane_label
from apps.meter_service.engine.services import process_version_active

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"

# Elements whose `name` the diagram shows: flow nodes, sequence flows, pools and lanes (and
# data objects, should a version draw any). Messages, signals and errors are matched by name
# inside the engine and never shown: their names stay as they are.
FLOW_NODES = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "task",
        "userTask",
        "serviceTask",
        "scriptTask",
        "businessRuleTask",
        "sendTask",
        "receiveTask",
        "manualTask",
        "callActivity",
        "subProcess",
        "transaction",
        "adHocSubProcess",
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "eventBasedGateway",
        "complexGateway",
    }
)
SHOWN_ELEMENTS = FLOW_NODES | {
    "sequenceFlow",
    "participant",
    "process",
    "dataObjectReference",
    "dataStoreReference",
}
LANE = "lane"

# Task states that mean "the process is here now" (a user task to do, a timer or message to
# wait for). Predicted states (MAYBE, LIKELY, FUTURE) are paths not taken yet.
CURRENT_STATES = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def _parser() -> etree.XMLParser:
    # Versions are uploaded in the desk: no entities, no network, no huge trees.
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _parse(xml: str) -> etree._Element:
    return etree.fromstring(xml.encode("utf-8"), _parser())


def _local(element: etree._Element) -> tuple[str | None, str]:
    qname = etree.QName(element)
    return qname.namespace, qname.localname


def translatable_names(xml: str) -> list[str]:
    """Every string of the BPMN file that people read, in file order, without repeats.

    Names of flow nodes, sequence flows, the pool and the process, and the labels and
    choices of user tasks' form fields (Camunda formData). Lanes are role codes: they are
    shown as the role's label and are not listed.
    """
    names: dict[str, None] = {}
    for element in _parse(xml).iter(etree.Element):
        namespace, tag = _local(element)
        if namespace == BPMN_NS and tag in SHOWN_ELEMENTS:
            value = element.get("name")
        elif namespace == CAMUNDA_NS and tag == "formField":
            value = element.get("label")
        elif namespace == CAMUNDA_NS and tag == "value":
            value = element.get("name")
        else:
            continue
        if value and value.strip():
            names.setdefault(value, None)
    return list(names)


def lane_names(xml: str) -> list[tuple[str, str]]:
    """The lanes of the file, top to bottom as drawn in the file: (id, role code)."""
    return [
        (element.get("id", ""), element.get("name", ""))
        for element in _parse(xml).iter(f"{{{BPMN_NS}}}{LANE}")
    ]


@functools.lru_cache(maxsize=32)
def _translated(xml: str, language: str | None) -> str:
    root = _parse(xml)
    for element in root.iter(etree.Element):
        namespace, tag = _local(element)
        if namespace != BPMN_NS:
            continue
        name = element.get("name")
        if not name:
            continue
        if tag == LANE:
            element.set("name", lane_label(name))
        elif tag in SHOWN_ELEMENTS:
            element.set("name", gettext(name))
    xml_bytes: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    return xml_bytes.decode("utf-8")


def translated_bpmn(xml: str) -> str:
    """The BPMN file with every name the diagram shows in the active language.

    Lanes, named by role code (`technician`, `system`, ...), get the role's label. Ids,
    messages and expressions are untouched, so the result is the same process.
    """
    return _translated(xml, get_language())


# --- a claim's progress -----------------------------------------------------------------------
def _flows(xml: str) -> dict[tuple[str, str], list[str]]:
    """Sequence flows by (source, target) element ids."""
    flows: dict[tuple[str, str], list[str]] = {}
    for element in _parse(xml).iter(f"{{{BPMN_NS}}}sequenceFlow"):
        key = (element.get("sourceRef", ""), element.get("targetRef", ""))
        flows.setdefault(key, []).append(element.get("id", ""))
    return flows


def _bpmn_parent(task: SpiffTask) -> SpiffTask | None:
    """The nearest ancestor that is a BPMN element (the engine adds splits and joins)."""
    parent = task.parent
    while parent is not None and not parent.task_spec.bpmn_id:
        parent = parent.parent
    return parent


def workflow_progress(workflow: BpmnWorkflow, xml: str) -> tuple[list[str], list[str]]:
    """(completed, current) element ids of a loaded workflow, in the order the engine has them.

    Completed: the BPMN elements whose tasks completed, and the sequence flows between a
    completed element and the next element reached. Current: elements waiting now (ready
    user tasks, armed timers, awaited messages). An element passed before and waiting again
    (a loop) is current only.
    """
    flows = _flows(xml)
    completed: dict[str, None] = {}
    current: dict[str, None] = {}
    for task in workflow.get_tasks():
        bpmn_id = task.task_spec.bpmn_id
        if not bpmn_id:
            continue
        if task.has_state(TaskState.COMPLETED):
            completed.setdefault(bpmn_id, None)
        elif task.has_state(CURRENT_STATES):
            current.setdefault(bpmn_id, None)
        else:
            continue
        source = _bpmn_parent(task)
        if source is not None and source.has_state(TaskState.COMPLETED):
            for flow_id in flows.get((source.task_spec.bpmn_id, bpmn_id), []):
                completed.setdefault(flow_id, None)
    return [i for i in completed if i not in current], list(current)


def claim_diagram_state(claim: Claim) -> dict[str, Any] | None:
    """What the diagram of one claim shows, or None for a claim without a process.

    {"xml": the instance's version's BPMN, translated; "completed": element ids passed;
    "current": element ids the process waits at; "ended": the end event reached, or ""}.
    """

    try:
        instance = ProcessInstance.objects.select_related("version").get(claim_id=claim.pk)
    except ProcessInstance.DoesNotExist:
        return None
    xml = instance.version.bpmn
    completed: list[str] = []
    current: list[str] = []
    if instance.state:
        workflow = runner.load(instance.version, instance.state)
        completed, current = workflow_progress(workflow, xml)
    return {
        "xml": translated_bpmn(xml),
        "completed": completed,
        "current": current,
        "ended": instance.end_event or "",
    }


def public_diagram_xml() -> str:
    """The process new claims follow (the active version), translated."""
    return translated_bpmn(process_version_active().bpmn)
