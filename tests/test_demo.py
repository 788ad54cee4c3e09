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


def test_demo_complaints_stand_at_each_stage(roles):
    from helpdesk.models import Ticket

    from apps.meter_service.demo import DEMO_COMPLAINTS
    from apps.meter_service.doctype.complaint.models import Complaint

    assert load_demo(password="demo-pass")["complaints"] == len(DEMO_COMPLAINTS)
    statuses = dict(Complaint.objects.values_list("channel", "ticket__status"))
    assert statuses == {
        "portal": Ticket.RESOLVED_STATUS,
        "phone": Ticket.OPEN_STATUS,
        "national_system": Ticket.OPEN_STATUS,
    }
    overdue = Complaint.objects.get(channel="national_system")
    assert overdue.escalated_at is not None and overdue.external_reference
    assert Complaint.objects.filter(escalated_at__isnull=False).count() == 1
    assert Complaint.objects.get(channel="phone").claim is not None
    assert load_demo(password="demo-pass")["complaints"] == len(DEMO_COMPLAINTS)
