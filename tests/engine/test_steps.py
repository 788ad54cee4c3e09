"""The doctypes' process port: the engine is plugged in when the app is ready, and a site
without it fails loudly instead of filing claims that no process runs."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.meter_service.doctype import process_steps
from apps.meter_service.engine.steps import EngineSteps


def test_the_engine_is_registered_when_the_app_is_ready():
    assert isinstance(process_steps.process(), EngineSteps)


def test_without_an_engine_the_port_refuses(monkeypatch):
    monkeypatch.setattr(process_steps, "_engine", None)
    with pytest.raises(ImproperlyConfigured):
        process_steps.process()


@pytest.mark.django_db
def test_a_filed_claim_runs_its_process_through_the_port(make_claim):
    claim = make_claim()
    step = process_steps.process().open_step(claim_id=claim.pk, element_id="Task_test")
    assert step is None  # unpaid: the process waits for the fee, not at the test
    assert claim.process.status == "running"
