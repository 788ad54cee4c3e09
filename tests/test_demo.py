"""The demo data: every desk role finds work in its inbox, and loading twice adds nothing."""

from __future__ import annotations

import pytest

from apps.meter_service.demo.data import DEMO_CLAIMS, load_demo
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.engine.models import ProcessTask
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

    from apps.meter_service.demo.data import DEMO_COMPLAINTS
    from apps.meter_service.doctype.complaint.models import Complaint

    assert load_demo(password="demo-pass")["complaints"] == len(DEMO_COMPLAINTS)
    statuses = dict(Complaint.objects.values_list("channel", "ticket__status"))
    assert statuses == {
        "portal": Ticket.RESOLVED_STATUS,
        "phone": Ticket.OPEN_STATUS,
        "national_system": Ticket.OPEN_STATUS,
        "in_person": Ticket.CLOSED_STATUS,
    }
    overdue = Complaint.objects.get(channel="national_system")
    assert overdue.escalated_at is not None and overdue.external_reference
    assert Complaint.objects.filter(escalated_at__isnull=False).count() == 1
    assert Complaint.objects.get(channel="phone").claim is not None
    # The closed one was rated (CSAT), so the dashboard's figure has a rating to show.
    assert Complaint.objects.get(channel="in_person").rating.score == 4
    assert load_demo(password="demo-pass")["complaints"] == len(DEMO_COMPLAINTS)


def test_the_demo_history_fills_every_dashboard_figure(roles):
    import datetime

    from django.utils import timezone

    from apps.meter_service.dashboards import rollup, selectors
    from apps.meter_service.demo.data import DEMO_USERS, OFFICES, load_demo_history
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


def test_loading_the_demo_again_recomputes_only_the_changed_days(roles, monkeypatch):
    """scripts/serve loads the demo on every start: the second time the roll-up is
    refreshed (today and the days whose claims changed), not rebuilt for a whole year."""
    import datetime
    import io
    import re

    from django.core.management import call_command
    from django.utils import timezone

    from apps.meter_service.dashboards import selectors
    from apps.meter_service.demo import data as demo

    real_history = demo.load_demo_history
    monkeypatch.setattr(demo, "load_demo_history", lambda: real_history(claims=60))

    def dashboard_days() -> int:
        out = io.StringIO()
        call_command("load_demo", password="demo-pass", stdout=out)
        return int(re.search(r"dashboard days: (\d+)", out.getvalue()).group(1))

    first = dashboard_days()
    assert first > 30  # the history's whole span
    assert dashboard_days() <= 2  # today (and yesterday, across midnight)
    today = timezone.localdate()
    year = selectors.DashboardFilter(date_from=today - datetime.timedelta(days=400), date_to=today)
    assert selectors.dashboard(year).figures == selectors.dashboard(year, live=True).figures


def test_the_demo_corrections_print_their_lines(roles):
    """Every seeded correction, the demo claim's and the history's (seeded with totals only),
    has the bills it corrects and its lines: its statement lists what its totals add up to,
    and no day of its window is left without a line."""
    from apps.meter_service.demo.data import load_demo_history
    from apps.meter_service.doctype.correction.models import BillCorrection
    from apps.meter_service.doctype.correction.selectors import uncovered_days
    from apps.meter_service.doctype.correction.statement import render_statement_html

    load_demo(password="demo-pass")
    load_demo_history(claims=150)
    corrections = list(BillCorrection.objects.prefetch_related("periods__bill"))
    assert len(corrections) > 1
    for correction in corrections:
        periods = list(correction.periods.all())
        assert periods, correction.claim.tracking_code
        assert correction.registered_rial == sum(p.registered_rial for p in periods)
        assert correction.corrected_rial == sum(p.corrected_rial for p in periods)
        assert correction.difference_rial == sum(p.difference_rial for p in periods)
        assert uncovered_days(correction, periods) == []
    demo_claim = BillCorrection.objects.get(claim__subscriber__subscription_number="1402006")
    # The days after its last bill come from the old meter's final reading at the change.
    assert demo_claim.periods.filter(bill=None).exists()
    for correction in (demo_claim, corrections[-1]):
        html = render_statement_html(correction, language="en")
        for period in correction.periods.exclude(bill=None):
            assert period.bill.payment_id in html


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
