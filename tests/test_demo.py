"""The demo data: every desk role finds work in its inbox, and loading twice adds nothing."""

from __future__ import annotations

import pytest

from apps.meter_service.demo import DEMO_CLAIMS, load_demo
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.process.models import ProcessTask
from tests.integrations.sms_fake import fake_sms, sms_fake_server  # noqa: F401

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


def test_the_demo_history_fills_every_dashboard_figure(roles):
    import datetime

    from django.utils import timezone

    from apps.meter_service.dashboards import rollup, selectors
    from apps.meter_service.demo import DEMO_USERS, OFFICES, load_demo_history
    from apps.meter_service.doctype.claim.models import OPEN_STATUSES
    from apps.meter_service.doctype.inspection.models import Inspection

    load_demo(password="demo-pass")
    assert load_demo_history(claims=300) == 300
    assert load_demo_history(claims=300) == 0  # once only
    history = Claim.objects.filter(meter__serial__startswith="SC-")
    assert history.count() == 300
    # All ended: nothing waits at a step (their process instances carry no engine state).
    assert not history.filter(status__in=OPEN_STATUSES).exists()
    assert not ProcessTask.objects.filter(
        instance__claim__in=history, completed_at__isnull=True
    ).exists()
    # Served by the demo's offices and technicians, not made-up ones.
    offices = set(
        history.exclude(counter_office=None).values_list("counter_office__code", flat=True)
    )
    assert offices and offices <= {code for code, *_rest in OFFICES}
    technicians = {username for username, role, *_rest in DEMO_USERS if role == "technician"}
    tested_by = set(Inspection.objects.values_list("technician__username", flat=True))
    assert tested_by and tested_by <= technicians

    rollup.rebuild()
    today = timezone.localdate()
    year = selectors.DashboardFilter(date_from=today - datetime.timedelta(days=400), date_to=today)
    d = selectors.dashboard(year)
    assert d.from_rollup
    figures = d.figures
    assert figures["service_time"]["count"] > 0 and figures["service_time"]["p90_hours"]
    assert figures["sla_compliance"]["closed"] > 0
    assert figures["verdict_mix"] and figures["fault_rate_by_model"]
    assert figures["fault_rate_by_age"]
    assert figures["fees"]["collected"] > 0 and figures["fees"]["on_bill"] > 0
    corrections = figures["correction_totals"]
    assert corrections["credit_count"] + corrections["debit_count"] > 0
    assert figures["office_performance"]
    assert sum(p["filed"] for p in figures["claims_by_period"]) >= 300
    assert d.figures == selectors.dashboard(year, live=True).figures


def test_demo_claims_have_the_texts_of_their_steps(
    roles,
    fake_sms,  # noqa: F811 (the fixture imported above)
    django_capture_on_commit_callbacks,
):
    from apps.meter_service.doctype.notification.models import SmsMessage

    with django_capture_on_commit_callbacks(execute=True):
        load_demo(password="demo-pass")

    sent = {
        claim.subscriber.subscription_number: list(
            SmsMessage.objects.filter(claim=claim)
            .exclude(template_key__startswith="complaint_")
            .order_by("id")
            .values_list("template_key", flat=True)
        )
        for claim in Claim.objects.select_related("subscriber")
    }
    paid = ["claim_filed", "claim_paid"]
    assert sent == {
        "1402002": ["claim_filed"],
        "1402003": paid,
        "1402004": [*paid, "visit_scheduled"],
        "1402005": [*paid, "visit_scheduled", "test_result"],
        "1402006": [*paid, "visit_scheduled", "test_result", "meter_replaced"],
    }
    assert len(fake_sms.messages()) >= sum(len(keys) for keys in sent.values())
