"""Check a BPMN file and its DMN files before they may become a version of the process.

Beyond the BPMN and DMN schemas and SpiffWorkflow's own parsing, the file must keep to what
this application can run: lanes named by a known role, user tasks only in people's lanes,
service tasks with a known topic, no script tasks (an uploaded file must not run code),
expressions that call only the allowed functions, form fields of known types, and only the
messages the application sends.
"""

from __future__ import annotations

import ast

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.camunda.specs.user_task import UserTask

from apps.meter_service import permissions
from apps.meter_service.doctype.process import engine, handlers
from apps.meter_service.doctype.process.engine import TopicServiceTask
from apps.meter_service.doctype.process.forms import CONSTRAINTS, FIELD_TYPES

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# Messages the application sends into the process (claim services).
APP_MESSAGES = {"fee_paid", "claim_cancelled"}
# Lanes that hold automatic steps only.
SYSTEM_LANES = {"system"}
MAX_FILE_BYTES = 2 * 1024 * 1024


def _fail(message: str) -> ValidationError:
    return ValidationError(message, code="invalid_process")


def _check_expression(text: str, where: str) -> None:
    """Allow names, literals, operators and calls of the expression functions only."""
    allowed_calls = set(handlers.EXPRESSION_FUNCTIONS) | set(engine.SAFE_BUILTINS)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise _fail(
            _("%(where)s: the expression %(text)s is not valid: %(error)s")
            % {"where": where, "text": text, "error": exc.msg}
        ) from exc
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute | ast.Lambda | ast.NamedExpr) or (
            isinstance(node, ast.Name) and node.id.startswith("_")
        ):
            raise _fail(
                _("%(where)s: the expression %(text)s uses what processes may not use.")
                % {"where": where, "text": text}
            )
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in allowed_calls
        ):
            raise _fail(
                _("%(where)s: the expression %(text)s calls an unknown function.")
                % {"where": where, "text": text}
            )


def _check_xml(bpmn: str, roles: set[str]) -> None:
    try:
        root = etree.fromstring(bpmn.encode())
    except etree.XMLSyntaxError as exc:
        raise _fail(_("The BPMN file is not well-formed XML: %(error)s") % {"error": exc}) from exc
    ns = {"bpmn": BPMN_NS}
    if root.xpath("//bpmn:scriptTask", namespaces=ns):
        raise _fail(_("Script tasks are not allowed; use a service task with a topic."))
    for lane in root.xpath("//bpmn:lane", namespaces=ns):
        name = lane.get("name") or ""
        if name not in roles and name not in SYSTEM_LANES:
            raise _fail(
                _("Lane %(lane)s is not a role; name lanes by role code (%(roles)s).")
                % {"lane": name, "roles": ", ".join(sorted(roles | SYSTEM_LANES))}
            )
    for element in root.xpath(
        "//bpmn:conditionExpression | //bpmn:timeDate | //bpmn:timeDuration | //bpmn:timeCycle",
        namespaces=ns,
    ):
        owner = element.getparent()
        owner = owner if owner.get("id") else owner.getparent()
        _check_expression(element.text or "", owner.get("id", "?"))
    for message in root.xpath("//bpmn:message", namespaces=ns):
        if message.get("name") not in APP_MESSAGES:
            raise _fail(
                _("Message %(name)s is never sent by the application (known: %(known)s).")
                % {"name": message.get("name"), "known": ", ".join(sorted(APP_MESSAGES))}
            )


def _check_dmn(dmn_files: dict[str, str]) -> None:
    for name, xml in dmn_files.items():
        try:
            root = etree.fromstring(xml.encode())
        except etree.XMLSyntaxError as exc:
            raise _fail(
                _("%(file)s is not well-formed XML: %(error)s") % {"file": name, "error": exc}
            ) from exc
        for text in root.iter("{*}text"):
            entry = (text.text or "").strip()
            if entry in ("", "-"):
                continue
            # Entries may be comparisons ("> mpe"), ranges with "?" or plain values.
            candidate = entry.replace("?", "dmn_input")
            try:
                ast.parse(candidate, mode="eval")
            except SyntaxError:
                candidate = f"dmn_input {candidate}"
            _check_expression(candidate, name)


def validate_files(bpmn: str, dmn_files: dict[str, str], process_id: str):
    """Return the parsed spec, or raise ValidationError saying what is wrong, translated."""
    from apps.meter_service.permissions import Role

    if len(bpmn.encode()) > MAX_FILE_BYTES:
        raise _fail(_("The BPMN file is too large."))
    roles = {role.value for role in Role}
    _check_xml(bpmn, roles)
    _check_dmn(dmn_files)
    try:
        spec, _subprocesses, _parser = engine.parse(bpmn, dmn_files, process_id)
    except ValidationException as exc:
        raise _fail(_("The process does not validate: %(error)s") % {"error": exc}) from exc
    except Exception as exc:  # SpiffWorkflow raises plain errors for some broken files
        raise _fail(_("The process cannot be read: %(error)s") % {"error": exc}) from exc

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
    return spec
