"""The engine state stored for a claim: SpiffWorkflow's own serialization less the spec (the
version's files hold it), and it loads back to the same state."""

from __future__ import annotations

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.util.task import TaskState

from apps.meter_service.engine import runner

pytestmark = pytest.mark.django_db


def test_the_state_is_spiffworkflows_serialization_less_the_spec_and_loads_back(make_claim):
    claim = make_claim(payment_method="next_bill")  # started and given fee_paid at filing
    instance = claim.process
    workflow = runner.load(instance.version, instance.state)
    assert runner.dump(workflow) == instance.state

    converter = runner._SpeclessWorkflowConverter(BpmnWorkflow, runner.spec_registry())
    ours = converter.to_dict(workflow)
    theirs = BpmnWorkflowConverter.to_dict(converter, workflow)
    assert {"spec", "subprocess_specs"} <= set(theirs)
    del theirs["spec"], theirs["subprocess_specs"]
    assert ours == theirs
    waiting = workflow.get_tasks(manual=True, state=TaskState.READY)
    assert [task.task_spec.bpmn_id for task in waiting] == ["Task_schedule"]
