"""Check a BPMN file and its DMN files before they may become a version of the process.

Beyond the BPMN and DMN schemas and SpiffWorkflow's own parsing, the file must keep to what
this application can run: lanes named by a known role, user tasks only in people's lanes,
service tasks with a known topic, no script tasks (an uploaded file must not run code),
expressions that call only the allowed functions, forms (form-js schemas, or Camunda
formData in older files) of known components, keeping the fields the application reads, and
only the messages the application sends.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.dmn.parser.DMNParser import DMNParser

from apps.meter_service import permissions
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.engine import expressions, handlers, runner
from apps.meter_service.engine.error_codes import ProcessErrorCode
from apps.meter_service.engine.form_schema import (
    Schema,
    check_forms,
    missing_domain_fields,
    schema_fields,
    start_form_key,
)
from apps.meter_service.engine.forms import CONSTRAINTS, FIELD_TYPES, form_key, version_forms
from apps.meter_service.engine.runner import TopicServiceTask

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
# Messages the application sends into the process (claim services).
APP_MESSAGES = {"fee_paid", "claim_cancelled"}
# Lanes that hold automatic steps only.
SYSTEM_LANES = {"system"}
MAX_FILE_BYTES = 2 * 1024 * 1024


def _fail(message: str) -> ValidationError:
    return ValidationError(message, code=ProcessErrorCode.INVALID_PROCESS)


def _check_expression(text: str, where: str) -> None:
    """Refuse what the expression language (expressions.py) refuses, naming the element."""
    try:
        expressions.check(text)
    except expressions.ExpressionError as exc:
        raise _fail(
            _("%(where)s: the expression %(text)s is not allowed: %(error)s")
            % {"where": where, "text": text.strip()[:200], "error": exc}
        ) from exc


# --- XML --------------------------------------------------------------------------------------
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']""", re.I)


def parse_xml(text: str, name: str) -> etree._Element:
    """Parse an uploaded BPMN or DMN file safely, or refuse it.

    No DOCTYPE in any encoding (entities are how XML attacks a parser; modelers never write
    one), UTF-8 only (a UTF-7 declaration hid a DOCTYPE from a text search), no entities,
    no network, no huge trees. Every other parse of the file (SpiffWorkflow's) comes after.
    """
    data = text.encode("utf-8")
    declared = _DECLARED_ENCODING.match(data)
    if declared and declared.group(1).decode("ascii", "replace").lower() not in (
        "utf-8",
        "utf8",
    ):
        raise _fail(_("%(file)s must be encoded in UTF-8.") % {"file": name})
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise _fail(
            _("%(file)s is not well-formed XML: %(error)s") % {"file": name, "error": exc}
        ) from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _fail(
            _("%(file)s declares a DOCTYPE, which BPMN and DMN files never need.") % {"file": name}
        )
    return root


# --- where the files hold expressions, read from the BPMN 2.0 and DMN 1.3 schemas ------------
_XSD = "{http://www.w3.org/2001/XMLSchema}"


def _elements_of_types(schema: Path, base_types: set[str]) -> set[str]:
    """Names of the elements whose type is one of base_types or derives from one."""
    root = etree.parse(str(schema)).getroot()
    types = set(base_types)
    changed = True
    while changed:  # the types that extend or restrict those found so far
        changed = False
        for complex_type in root.iter(f"{_XSD}complexType"):
            name = complex_type.get("name")
            for derivation in complex_type.iter(f"{_XSD}extension", f"{_XSD}restriction"):
                if name and name not in types and derivation.get("base") in types:
                    types.add(name)
                    changed = True
    return {
        element.get("name")
        for element in root.iter(f"{_XSD}element")
        if element.get("name") and (element.get("type") or "").split(":")[-1] in types
    }


@functools.cache
def bpmn_expression_elements() -> frozenset[str]:
    """BPMN elements whose text is an expression or a script (conditions, timers, loop
    cardinalities and conditions, completion conditions, message paths, assignments...)."""
    schema = Path(inspect.getfile(BpmnValidator)).parent / "schema"
    names = _elements_of_types(
        schema / "Semantic.xsd", {"tExpression", "tFormalExpression", "tScript"}
    )
    return frozenset(names)


@functools.cache
def dmn_expression_elements() -> tuple[frozenset[str], frozenset[str]]:
    """DMN 1.3 elements holding expressions: (literal expressions, unary tests)."""
    schema = Path(inspect.getfile(DMNParser)).parent / "schema" / "DMN13.xsd"
    literal = _elements_of_types(schema, {"tLiteralExpression"})
    unary = _elements_of_types(schema, {"tUnaryTests"})
    return frozenset(literal), frozenset(unary)


def _owner_id(element: etree._Element) -> str:
    """The id of the element or of its nearest ancestor that has one."""
    while element is not None:
        element_id = element.get("id")
        if element_id:
            return str(element_id)
        element = element.getparent()
    return "?"


def _check_xml(bpmn: str, roles: set[str]) -> None:
    root = parse_xml(bpmn, _("The BPMN file"))
    ns = {"bpmn": BPMN_NS}
    if root.xpath("//bpmn:scriptTask | //bpmn:script", namespaces=ns):
        raise _fail(_("Script tasks are not allowed; use a service task with a topic."))
    for lane in root.xpath("//bpmn:lane", namespaces=ns):
        name = lane.get("name") or ""
        if name not in roles and name not in SYSTEM_LANES:
            raise _fail(
                _("Lane %(lane)s is not a role; name lanes by role code (%(roles)s).")
                % {"lane": name, "roles": ", ".join(sorted(roles | SYSTEM_LANES))}
            )
    expression_elements = bpmn_expression_elements()
    for element in root.iter(etree.Element):
        qname = etree.QName(element)
        formal = element.get(f"{{{XSI_NS}}}type", "").split(":")[-1] == "tFormalExpression"
        if (qname.namespace == BPMN_NS and qname.localname in expression_elements) or formal:
            label = f"{_owner_id(element)} ({qname.localname})"
            _check_expression(element.text or "", label)
    for message in root.xpath("//bpmn:message", namespaces=ns):
        if message.get("name") not in APP_MESSAGES:
            raise _fail(
                _("Message %(name)s is never sent by the application (known: %(known)s).")
                % {"name": message.get("name"), "known": ", ".join(sorted(APP_MESSAGES))}
            )


# A unary test's input, as SpiffWorkflow's DMN engine names it.
_DMN_INPUT = "dmninputexpr"
_QUESTION_MARK = re.compile(r"""(\?)(?=(?:[^'"]|['"][^'"]*['"])*$)""")


def _unary_test_expression(entry: str) -> str:
    """The expression SpiffWorkflow's DMN engine evaluates for an input entry."""
    if _QUESTION_MARK.search(entry):
        return _QUESTION_MARK.sub(_DMN_INPUT, entry)
    try:
        ast.parse(entry.strip(), mode="eval")
    except SyntaxError:
        return f"{_DMN_INPUT} {entry}"
    return f"({_DMN_INPUT}) == ({entry})"


def _check_dmn(dmn_files: dict[str, str]) -> None:
    literal, unary = dmn_expression_elements()
    for name, xml in dmn_files.items():
        root = parse_xml(xml, name)
        for text in root.iter("{*}text"):
            entry = (text.text or "").strip()
            owner = text.getparent()
            kind = etree.QName(owner).localname if owner is not None else ""
            where = f"{name}: {_owner_id(text)} ({kind})"
            if kind in unary:
                if entry in ("", "-"):  # an empty test matches anything
                    continue
                _check_expression(_unary_test_expression(entry), where)
            elif kind in literal or entry:
                _check_expression(entry, where)


def validate_files(
    bpmn: str,
    dmn_files: dict[str, str],
    process_id: str,
    *,
    forms: Mapping[str, Schema] | None = None,
) -> BpmnProcessSpec:
    """Return the parsed spec, or raise ValidationError saying what is wrong, translated.

    `forms` are the version's form-js schemas by formKey (engine/form_schema.py)."""
    if len(bpmn.encode()) > MAX_FILE_BYTES:
        raise _fail(_("The BPMN file is too large."))
    roles = {role.value for role in permissions.Role}
    _check_xml(bpmn, roles)
    _check_dmn(dmn_files)
    check_forms(dict(forms or {}))
    try:
        spec, _subprocesses, _parser = runner.parse(bpmn, dmn_files, process_id)
    except ValidationException as exc:
        raise _fail(_("The process does not validate: %(error)s") % {"error": exc}) from exc
    except Exception as exc:  # SpiffWorkflow raises plain errors for some broken files
        raise _fail(_("The process cannot be read: %(error)s") % {"error": exc}) from exc

    all_forms = version_forms(bpmn, forms)
    _check_claim_form(start_form_key(bpmn), all_forms)
    for task_spec in spec.task_specs.values():
        where = task_spec.bpmn_id or task_spec.name
        if isinstance(task_spec, TopicServiceTask) and task_spec.topic not in handlers.TOPICS:
            raise _fail(
                _("Service task %(task)s names an unknown topic %(topic)s.")
                % {"task": where, "topic": task_spec.topic}
            )
        if isinstance(task_spec, UserTask):
            if not task_spec.lane or task_spec.lane in SYSTEM_LANES:
                raise _fail(_("User task %(task)s must be in a role's lane.") % {"task": where})
            if task_spec.lane not in permissions.lane_roles():
                # Nobody could ever complete it: PROCESS_LANE_ROLES names who works each lane.
                raise _fail(
                    _("User task %(task)s is in lane %(lane)s, which no role works (%(lanes)s).")
                    % {
                        "task": where,
                        "lane": task_spec.lane,
                        "lanes": ", ".join(sorted(permissions.lane_roles())),
                    }
                )
            for field in task_spec.form.fields:
                if field.type not in FIELD_TYPES:
                    raise _fail(
                        _("Field %(field)s of %(task)s has an unknown type %(type)s.")
                        % {"field": field.id, "task": where, "type": field.type}
                    )
                for rule in field.validation:
                    if rule.name not in CONSTRAINTS:
                        raise _fail(
                            _("Field %(field)s of %(task)s has an unknown rule %(rule)s.")
                            % {"field": field.id, "task": where, "rule": rule.name}
                        )
            _check_task_form(task_spec, where, all_forms)
    return spec


def _check_claim_form(key: str, all_forms: Mapping[str, Schema]) -> None:
    """The start event's form (more details asked when a claim is filed) exists, and its
    keys are none the claim or the process already has."""
    if not key:
        return
    schema = all_forms.get(key)
    if schema is None:
        raise _fail(
            _("The start event names the form %(key)s, which the version does not have.")
            % {"key": key}
        )
    reserved = {f.name for f in Claim._meta.get_fields()} | {
        "claim_id",
        "tracking_code",
        "payment_due",
        *(name for fields in handlers.FORM_FIELDS_NEEDED.values() for name in fields),
        *handlers.CLOSING_FINDINGS,
    }
    taken = sorted(f.key for f in schema_fields(schema, key) if f.key in reserved)
    if taken:
        raise _fail(
            _("The claim form %(key)s may not use the names %(fields)s: the claim has them.")
            % {"key": key, "fields": ", ".join(taken)}
        )


def _check_task_form(task_spec: UserTask, where: str, all_forms: Mapping[str, Schema]) -> None:
    """The task's form exists, reads, and keeps the fields the application needs of it."""
    key = form_key(task_spec)
    schema = all_forms.get(key) if key else None
    if getattr(task_spec.form, "key", None) and schema is None:
        raise _fail(
            _("User task %(task)s names the form %(key)s, which the version does not have.")
            % {"task": where, "key": key}
        )
    fields = schema_fields(schema, key) if schema is not None else []
    needed = handlers.FORM_FIELDS_NEEDED.get(task_spec.bpmn_id or "", {})
    problems = missing_domain_fields(fields, needed)
    if task_spec.bpmn_id in handlers.STEPS_COMPLETED_BY_SERVICES:
        problems += [
            _("%(field)s is required, but the step's own page never asks for it") % {"field": f.key}
            for f in fields
            if (f.required or f.required_if) and f.key not in needed
        ]
    if problems:
        raise _fail(
            _("The form of %(task)s cannot be used: %(problems)s.")
            % {"task": where, "problems": "; ".join(problems)}
        )
