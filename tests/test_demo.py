"""The demo data: every desk role finds work in its inbox, and loading twice adds nothing."""

from __future__ import annotations

import pytest

from apps.meter_service.demo import DEMO_CLAIMS, load_demo
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.process.models import ProcessTask

pytestmark = pytest.mark.django_db


def test_demo_claims_stand_at_each_step(roles):
    counts = load_demo(password="demo-pass")
    assert counts["claims"] == len(DEMO_CLAIMS)
    open_steps = set(
        ProcessTask.objects.filter(completed_at__isnull=True).values_list("element_id", "lane")
    )
    assert open_steps == {
        ("Task_schedule", "technician"),
        ("Task_test", "technician"),
        ("Task_replace", "emergency_crew"),
        ("Task_approve", "service_manager"),
    }
    assert load_demo(password="demo-pass")["claims"] == len(DEMO_CLAIMS)
    assert Claim.objects.filter(status="awaiting_payment").count() == 1
