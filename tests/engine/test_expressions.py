"""The process's expression language refuses every known way out of a Python sandbox: at
upload, in every element of BPMN and DMN that holds an expression, and again when the
engine evaluates (a version that reached the database some other way runs nothing).

A service manager once uploaded a BPMN whose loopCardinality held
`().__class__.__base__.__subclasses__()`; the engine evaluated it with Python's eval.
"""

from __future__ import annotations

import re
from html import escape

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException

from apps.meter_service.engine import expressions, runner, services, validation

# Each would, under eval, reach Python objects (and from there the file system).
ESCAPES = {
    "attribute chain": "().__class__.__base__.__subclasses__()",
    "__import__": "__import__('os').system('id')",
    "dunder name": "__builtins__",
    "format string": "'{0.__class__.__mro__}'.format(claim_id)",
    "percent format width": "'%*d' % (100000000, 1)",
    "getattr on a string": "getattr('', '__class__')",
    "generator frame": "(x for x in ()).gi_frame.f_globals",
    "comprehension": "[c for c in ().__class__.__bases__]",
    "lambda": "(lambda: 1)()",
    "walrus": "(x := 1)",
    "f-string": "f'{claim_id!r}'",
    "eval": "eval('1')",
    "exec": "exec('import os')",
    "open": "open('/etc/passwd').read()",
    "globals": "globals()",
    "type()": "type(claim_id)",
    "fullwidth eval (NFKC lookalike)": "\uff45\uff56\uff41\uff4c('1')",
    "fullwidth dunder (NFKC lookalike)": "\uff3f\uff3fimport\uff3f\uff3f('os')",
    "attribute of a function": "setting.__globals__",
    "subscript of a call": "setting('X')['__class__']",
    "starred call": "max(*[1, 2])",
    "keyword splat": "round(**{'number': 1})",
    "power bomb": "9 ** 9 ** 9",
    "bytes literal": "b'x'",
}
# Allowed by the grammar, refused by the interpreter for what the values turn out to be.
AT_EVALUATION = {
    "string bomb": "'x' * 100000000",
    "list bomb": "items * 100000000",
    "percent format of data": "template % (100000000, 1)",
    "subscript of a number": "claim_id[0]",
}


@pytest.mark.parametrize("name", sorted(AT_EVALUATION))
def test_the_interpreter_refuses_by_value(name):
    data = {"claim_id": 1, "items": [1, 2], "template": "%*d"}
    with pytest.raises(expressions.ExpressionError):
        expressions.evaluate(AT_EVALUATION[name], data)


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_the_language_refuses_each_escape(name):
    with pytest.raises(expressions.ExpressionError):
        expressions.check(ESCAPES[name])


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_the_engine_refuses_each_escape_when_it_evaluates(name):
    environment = runner.script_engine().environment
    data = {"claim_id": 1, "items": [1, 2]}
    with pytest.raises((expressions.ExpressionError, NameError)):
        environment.evaluate(ESCAPES[name], dict(data))


def test_the_language_evaluates_what_the_process_uses(settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "CORRECTION_APPROVAL_LIMIT_RIAL": 100}
    data = {"verdict": "fast", "correction_rial": -250, "rows": [{"x": 3}], "sla_warned": False}
    cases = {
        "verdict in ('fast', 'slow', 'stopped')": True,
        "abs(correction_rial) > setting('CORRECTION_APPROVAL_LIMIT_RIAL')": True,
        "not sla_warned": True,
        "-2 <= rows[0]['x'] <= 5": True,
        "'a' if verdict == 'slow' else 'b'": "b",
        "max(1, 2) + len(rows) * 3 // 2 % 5": 3,
        "round(10 / 4, ndigits=1)": 2.5,
        "{'k': rows[-1:]}": {"k": [{"x": 3}]},
    }
    for text, expected in cases.items():
        assert expressions.evaluate(text, data) == expected, text


def test_a_name_the_data_lacks_is_an_error_not_a_builtin():
    with pytest.raises(NameError):
        expressions.evaluate("len", {})


# --- at upload: every expression-bearing element of BPMN and DMN ---------------------------
def _insert_after(text: str, anchor: str, fragment: str) -> str:
    index = text.index(anchor)
    end = text.index(">", index) + 1
    return text[:end] + fragment + text[end:]


def _bpmn_cases(expression: str) -> dict[str, str]:
    x = escape(expression)
    loop = "bpmn:multiInstanceLoopCharacteristics"
    return {
        "conditionExpression": f'<bpmn:sequenceFlow id="Flow_x" sourceRef="a" targetRef="b">'
        f"<bpmn:conditionExpression>{x}</bpmn:conditionExpression></bpmn:sequenceFlow>",
        "timeDuration": f'<bpmn:boundaryEvent id="Timer_x" attachedToRef="a">'
        f"<bpmn:timerEventDefinition><bpmn:timeDuration>{x}</bpmn:timeDuration>"
        f"</bpmn:timerEventDefinition></bpmn:boundaryEvent>",
        "loopCardinality": f'<bpmn:userTask id="Loop_x"><{loop}>'
        f"<bpmn:loopCardinality>{x}</bpmn:loopCardinality></{loop}></bpmn:userTask>",
        "completionCondition": f'<bpmn:userTask id="Loop_y"><{loop}>'
        f"<bpmn:completionCondition>{x}</bpmn:completionCondition></{loop}></bpmn:userTask>",
        "loopCondition": f'<bpmn:userTask id="Loop_z"><bpmn:standardLoopCharacteristics>'
        f"<bpmn:loopCondition>{x}</bpmn:loopCondition>"
        f"</bpmn:standardLoopCharacteristics></bpmn:userTask>",
        "condition": f'<bpmn:intermediateCatchEvent id="Conditional_x">'
        f"<bpmn:conditionalEventDefinition><bpmn:condition>{x}</bpmn:condition>"
        f"</bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>",
        "messagePath": f'<bpmn:correlationProperty id="Property_x">'
        f'<bpmn:correlationPropertyRetrievalExpression messageRef="m">'
        f"<bpmn:messagePath>{x}</bpmn:messagePath>"
        f"</bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>",
    }


UPLOAD_ESCAPES = ["attribute chain", "__import__", "format string", "generator frame", "lambda"]


@pytest.mark.parametrize("name", UPLOAD_ESCAPES)
@pytest.mark.parametrize(
    "element",
    [
        "conditionExpression",
        "timeDuration",
        "loopCardinality",
        "completionCondition",
        "loopCondition",
        "condition",
        "messagePath",
    ],
)
def test_the_upload_refuses_an_escape_in_each_bpmn_element(db, name, element):
    bpmn, dmn = services.workflow_files()
    fragment = _bpmn_cases(ESCAPES[name])[element]
    changed = _insert_after(bpmn, "<bpmn:process ", fragment)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validation.validate_files(changed, dmn, "meter_test")
    message = " ".join(refused.value.messages)
    assert f"({element})" in message and "is not allowed" in message


@pytest.mark.parametrize("name", UPLOAD_ESCAPES)
@pytest.mark.parametrize(
    "anchor,element",
    [
        ('<inputEntry id="Entry_tampered_1"><text>', "inputEntry"),
        ('<inputExpression id="InputExpression_error" typeRef="number">\n', "inputExpression"),
        ("<outputEntry", "outputEntry"),
    ],
)
def test_the_upload_refuses_an_escape_in_each_dmn_element(db, name, anchor, element):
    bpmn, dmn = services.workflow_files()
    table = dmn["test_verdict.dmn"]
    start = table.index(anchor)
    text_start = table.index("<text>", start) + len("<text>")
    text_end = table.index("</text>", text_start)
    changed = table[:text_start] + escape(ESCAPES[name]) + table[text_end:]
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validation.validate_files(bpmn, {**dmn, "test_verdict.dmn": changed}, "meter_test")
    message = " ".join(refused.value.messages)
    assert f"({element})" in message and "is not allowed" in message


def test_the_shipped_files_hold_only_allowed_expressions(db):
    bpmn, dmn = services.workflow_files()
    validation.validate_files(bpmn, dmn, "meter_test")


# --- XML tricks ----------------------------------------------------------------------------
ENTITY = '<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>'


def _with_prolog(xml: str, prolog: str) -> str:
    body = re.sub(r"^<\?xml[^>]*\?>\s*", "", xml)
    return prolog + body


@pytest.mark.parametrize(
    "prolog",
    [
        '<?xml version="1.0" encoding="UTF-8"?>' + ENTITY,
        # UTF-7: "<!DOCTYPE" written as +ADwAIQ-DOCTYPE slips past a search for "<!DOCTYPE".
        '<?xml version="1.0" encoding="UTF-7"?>+ADwAIQ-DOCTYPE d +AFs-+AF0APg-',
        '<?xml version="1.0" encoding="utf-16"?>',
    ],
)
def test_a_doctype_or_another_encoding_is_refused(db, prolog):
    bpmn, dmn = services.workflow_files()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validation.validate_files(_with_prolog(bpmn, prolog), dmn, "meter_test")
    message = " ".join(refused.value.messages)
    assert "DOCTYPE" in message or "UTF-8" in message


def test_a_dmn_with_a_doctype_is_refused(db):
    bpmn, dmn = services.workflow_files()
    changed = _with_prolog(dmn["fee_refund.dmn"], '<?xml version="1.0"?>' + ENTITY)
    with translation.override("en"), pytest.raises(ValidationError, match="DOCTYPE"):
        validation.validate_files(bpmn, {**dmn, "fee_refund.dmn": changed}, "meter_test")


# --- at evaluation: a process that skipped the upload check still runs nothing ------------
def _minimal_process(condition: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="gw" default="f3">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="end_a"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_b"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw" />
    <bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="end_a">
      <bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="end_b" />
  </bpmn:process>
</bpmn:definitions>"""


def test_the_engine_runs_nothing_from_a_process_that_skipped_the_check(tmp_path):
    marker = tmp_path / "written"
    attack = (
        "().__class__.__base__.__subclasses__() and "
        f"__import__('pathlib').Path({str(marker)!r}).write_text('x')"
    )
    spec, subprocesses, _parser = runner.parse(_minimal_process(attack), {}, "p")
    workflow = BpmnWorkflow(spec, subprocesses, script_engine=runner.script_engine())
    with pytest.raises(SpiffWorkflowException):
        workflow.do_engine_steps()
    assert not marker.exists()


def test_the_engine_still_takes_a_plain_condition():
    spec, subprocesses, _parser = runner.parse(_minimal_process("1 < 2"), {}, "p")
    workflow = BpmnWorkflow(spec, subprocesses, script_engine=runner.script_engine())
    workflow.do_engine_steps()
    assert workflow.is_completed()
    ended = [t.task_spec.bpmn_id for t in workflow.get_tasks() if t.task_spec.bpmn_id]
    assert "end_a" in ended and "end_b" not in ended
