# ruff: noqa: F811 (the worked example's fixtures, imported from test_services, are arguments here)
"""The billing officer's step when bills are missing: never a dead end.

With no bill inside the window the correction cannot be computed. The step's desk page says
why and offers the ways a real office takes: record the missing bill from the subscriber's
paper bill (and compute), or close the step with "no correction possible" and a reason, which
is kept, audited, shown on the claim and printed on the statement while the process goes on
to its end. The days after the last bill, up to the meter change, are corrected from the old
meter's final reading recorded by the crew; days nothing covers are stated, never hidden.

Figures use the worked example's tariffs (test_services): cold 2,000 Rial/m³ over the last
90 days, warm 1,000 Rial/m³ before; the meter is 4 % fast.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core.identifiers import build_payment_id
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.correction import services
from apps.meter_service.doctype.correction.models import (
    BillCorrection,
    BillingAdjustment,
    CorrectionStatus,
)
from apps.meter_service.doctype.correction.selectors import uncovered_days
from apps.meter_service.doctype.correction.statement import render_statement_html
from apps.meter_service.doctype.work_order.selectors import live_work_order
from apps.meter_service.doctype.work_order.services import work_order_complete
from tests.conftest import PASSWORD
from tests.doctype.correction.test_services import (  # noqa: F401 (fixtures)
    REPLACE,
    _bills,
    _record,
    bench,
    priced,
    today,
)
from tests.engine.conftest import SCHEDULE, open_steps

pytestmark = pytest.mark.django_db
D = datetime.timedelta


def _replace_by_crew(claim, staff, final_reading: str) -> None:
    """The crew completes the work order as on its desk page: the final reading is kept."""
    crew = staff["emergency_crew"]
    work_order_complete(
        work_order=live_work_order(claim=claim),
        done_at=timezone.now(),
        old_final_reading=Decimal(final_reading),
        new_serial="NEW-0001",
        new_initial_reading=Decimal(0),
        seal_numbers="S-1",
        crew=[crew],
        actor=crew,
    )


@pytest.fixture
def no_bills_in_window(paid_claim, step, staff, bench, priced):
    """A claim at the billing officer's step whose subscriber has no bill at all."""
    step(paid_claim, "Task_schedule", **SCHEDULE)
    _record(paid_claim, staff, bench)
    step(paid_claim, "Task_replace", "emergency_crew", **REPLACE)
    assert open_steps(paid_claim) == ["Task_correction"]
    return paid_claim


def _officer_client(client, staff):
    client.login(username=staff["billing_officer"].username, password=PASSWORD)
    return client


def test_the_step_page_offers_a_way_on_instead_of_a_dead_end(no_bills_in_window, staff, client):
    client = _officer_client(client, staff)
    url = reverse("admin:meter_service_billcorrection_for_claim", args=[no_bills_in_window.pk])
    page = client.get(url)
    assert page.status_code == 200  # not sent back to the claim with an error
    html = page.content.decode()
    assert 'id="correction-problem"' in html
    # Said in Persian (the desk's language), the rule's reason too.
    assert "اصلاحیه محاسبه‌پذیر نیست: هیچ قبضی در بازهٔ اصلاح نیست" in html
    assert "no bill falls" not in html
    assert 'id="record-bill-form"' in html and 'id="not-possible-form"' in html
    assert not BillCorrection.objects.exists()


def test_closing_without_a_correction_needs_a_reason_and_ends_the_process(
    no_bills_in_window, staff, client
):
    claim = no_bills_in_window
    client = _officer_client(client, staff)
    close = reverse("admin:meter_service_billcorrection_not_possible", args=[claim.pk])
    refused = client.post(close, {"reason": "   "})
    assert refused.status_code == 400
    assert open_steps(claim) == ["Task_correction"]

    reason = "The bills of the subscription were lost in the 1402 billing migration."
    done = client.post(close, {"reason": reason})
    correction = BillCorrection.objects.get(claim=claim)
    assert done.status_code == 302
    assert done["Location"] == reverse(
        "admin:meter_service_billcorrection_change", args=[correction.pk]
    )
    assert correction.status == CorrectionStatus.NOT_POSSIBLE
    assert correction.not_possible_reason == reason
    assert correction.reviewed_by == staff["billing_officer"]
    assert correction.difference_rial == 0 and not correction.periods.exists()
    # The process went on to its end: no step waits, the claim is closed.
    assert open_steps(claim) == []
    claim.refresh_from_db()
    assert claim.status == "closed"
    assert not BillingAdjustment.objects.filter(claim=claim, kind="correction").exists()
    # Audited, on the correction's page, on the claim's page and on the statement.
    event = DocumentEvent.objects.get(event_type="correction_not_possible")
    assert event.parameters["note"] == reason and event.actor == staff["billing_officer"]
    page = client.get(reverse("admin:meter_service_billcorrection_change", args=[correction.pk]))
    assert reason in page.content.decode()
    claim_page = client.get(reverse("admin:meter_service_claim_change", args=[claim.pk]))
    assert reason in claim_page.content.decode()
    assert reason in render_statement_html(correction, language="en")
    pdf = client.get(reverse("admin:meter_service_billcorrection_statement", args=[correction.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_closing_is_the_billing_officers_and_once(no_bills_in_window, staff):
    claim = no_bills_in_window
    with pytest.raises(PermissionDenied):
        services.correction_close_not_possible(
            claim=claim, actor=staff["technician"], reason="no bills"
        )
    with pytest.raises(ValidationError):
        services.correction_close_not_possible(
            claim=claim, actor=staff["billing_officer"], reason=""
        )
    services.correction_close_not_possible(
        claim=claim, actor=staff["billing_officer"], reason="no bills"
    )
    with pytest.raises(ValidationError):  # the step is closed
        services.correction_close_not_possible(
            claim=claim, actor=staff["billing_officer"], reason="again"
        )
    assert BillCorrection.objects.get(claim=claim).not_possible_reason == "no bills"


def test_recording_the_missing_bill_from_the_page_computes_the_correction(
    no_bills_in_window,
    staff,
    client,
    today,
):
    """The paper bill of the last 60 days: 312 m³ registered, all cold days: 312 → 300 m³,
    624,000 → 600,000 Rial, a credit of 24,000."""
    claim = no_bills_in_window
    client = _officer_client(client, staff)
    bill_id = claim.subscriber.bill_id
    record = reverse("admin:meter_service_billcorrection_record_bill", args=[claim.pk])
    fields = {
        "payment_id": build_payment_id(bill_id, 624_000, 5, 3),
        "period_start": format_date(today - D(days=60)),
        "period_end": format_date(today),
        "previous_reading": "۴۱۲",  # Persian digits, as typed in the Persian desk
        "current_reading": "724",
        "amount_rial": "624000",
    }
    bad = client.post(record, {**fields, "current_reading": "400"})
    assert bad.status_code == 400  # the current reading below the previous one
    assert not claim.subscriber.bills.exists()

    done = client.post(record, fields)
    assert done.status_code == 302
    correction = BillCorrection.objects.get(claim=claim)
    (period,) = correction.periods.all()
    assert period.bill.source == "desk" and period.bill.volume_m3 == Decimal(312)
    assert (period.registered_rial, period.corrected_rial) == (624_000, 600_000)
    assert correction.difference_rial == -24_000
    assert correction.status == CorrectionStatus.DRAFT
    # The same paper bill twice is refused; nothing changes.
    again = client.post(record, fields)
    assert again.status_code == 400
    assert claim.subscriber.bills.count() == 1


def test_recording_a_bill_is_refused_outside_the_step(no_bills_in_window, staff, today):
    claim = no_bills_in_window
    services.correction_close_not_possible(
        claim=claim, actor=staff["billing_officer"], reason="no bills"
    )
    with pytest.raises(ValidationError):
        services.correction_record_bill(
            claim=claim,
            actor=staff["billing_officer"],
            data={
                "payment_id": build_payment_id(claim.subscriber.bill_id, 624_000, 5, 3),
                "period_start": today - D(days=60),
                "period_end": today,
                "previous_reading": Decimal(412),
                "current_reading": Decimal(724),
                "amount_rial": 624_000,
            },
        )
    assert not claim.subscriber.bills.exists()


@pytest.fixture
def billed_to_sixty_days_ago(paid_claim, step, staff, bench, priced, today):
    """Bills P1 [T-180, T-120) 104 m³ and P2 [T-120, T-60) 208 m³ (readings 100 → 412);
    the last 60 days before the test are not billed yet."""
    _bills(paid_claim.subscriber, today, volumes=("104", "208"))
    step(paid_claim, "Task_schedule", **SCHEDULE)
    _record(paid_claim, staff, bench)
    return paid_claim


def test_the_days_after_the_last_bill_are_corrected_from_the_final_reading(
    billed_to_sixty_days_ago,
    staff,
    today,
):
    """The crew read 880 on the old meter at the change today (the claim said 850): 468 m³
    over [T-60, T), all cold days: 468 → 450 m³, 936,000 → 900,000 Rial. With P1 (-4,000)
    and P2 (-12,000) the whole window is corrected: -52,000 Rial."""
    claim = billed_to_sixty_days_ago
    _replace_by_crew(claim, staff, "880")
    correction = services.correction_compute(claim=claim, actor=staff["billing_officer"])
    periods = list(correction.periods.order_by("position"))
    assert [p.difference_rial for p in periods] == [-4_000, -12_000, -36_000]
    tail = periods[-1]
    assert tail.bill is None
    assert (tail.start, tail.end) == (today - D(days=60), today)
    assert (tail.registered_m3, tail.corrected_m3) == (Decimal(468), Decimal(450))
    assert (tail.registered_rial, tail.corrected_rial) == (936_000, 900_000)
    assert tail.billed_rial == 0  # not billed yet
    assert correction.difference_rial == -52_000
    assert correction.rules_used["final_reading"]["final_reading"] == "880.000"

    html = render_statement_html(correction, language="en")
    assert 'id="final-reading"' in html
    # Only the days before the first bill are left (the window reaches back 365 days): the
    # days after the last bill have their line.
    assert uncovered_days(correction) == [
        {"start": today - D(days=365), "last_day": today - D(days=181), "days": 185}
    ]
    assert f"The days {(today - D(days=365)).isoformat()} – " in html
    services.correction_submit(correction=correction, actor=staff["billing_officer"])
    line = BillingAdjustment.objects.get(claim=claim, period_start=today - D(days=60))
    assert (line.amount_rial, line.corrected_payment_id) == (-36_000, "")


def test_days_no_bill_nor_reading_covers_are_stated_on_the_statement(
    billed_to_sixty_days_ago,
    step,
    staff,
    today,
    client,
):
    """Without the final reading (the step done without the work order's page) the last 60
    days have no line, and the page and the statement say exactly which days are left."""
    claim = billed_to_sixty_days_ago
    step(claim, "Task_replace", "emergency_crew", **REPLACE)
    correction = services.correction_compute(claim=claim, actor=staff["billing_officer"])
    assert correction.difference_rial == -16_000
    html = render_statement_html(correction, language="en")
    first, last = (today - D(days=60)).isoformat(), (today - D(days=1)).isoformat()
    stated = f"The days {first} – {last} (60 days) are not corrected"
    assert stated in html
    assert [run["days"] for run in uncovered_days(correction)] == [185, 60]
    page = _officer_client(client, staff).get(
        reverse("admin:meter_service_billcorrection_change", args=[correction.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 200 and "uncovered-days" in page.content.decode()


def test_the_subscriber_reads_why_nothing_was_corrected_in_the_portal(
    no_bills_in_window, staff, client, make_user
):
    claim = no_bills_in_window
    owner = make_user("subscriber")
    claim.subscriber.user = owner
    claim.subscriber.save(update_fields=["user"])
    statement = reverse("portal:claim_correction_statement", args=[claim.tracking_code])
    client.force_login(owner)
    assert client.get(statement).status_code == 404  # nothing decided yet
    services.correction_close_not_possible(
        claim=claim, actor=staff["billing_officer"], reason="no bills"
    )
    detail = client.get(reverse("portal:claim_detail", args=[claim.tracking_code]))
    assert statement in detail.content.decode()
    pdf = client.get(statement)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_bill_recorded_on_the_drafts_page_fills_the_days_it_left(
    billed_to_sixty_days_ago, step, staff, today, client
):
    """The draft says the last 60 days are not corrected; the officer records the bill that
    covers them (312 m³, all cold days: -24,000) and the draft is computed again with it,
    keeping the volume they had set by hand on P1 (101 m³: -3,000 instead of -4,000)."""
    claim = billed_to_sixty_days_ago
    step(claim, "Task_replace", "emergency_crew", **REPLACE)
    officer = staff["billing_officer"]
    first = claim.subscriber.bills.order_by("period_start").first()
    services.correction_compute(
        claim=claim, actor=officer, overrides={first.pk: (Decimal(101), "read again")}
    )
    client = _officer_client(client, staff)
    done = client.post(
        reverse("admin:meter_service_billcorrection_record_bill", args=[claim.pk]),
        {
            "payment_id": build_payment_id(claim.subscriber.bill_id, 624_000, 5, 3),
            "period_start": format_date(today - D(days=60)),
            "period_end": format_date(today),
            "previous_reading": "412",
            "current_reading": "724",
            "amount_rial": "624000",
        },
    )
    assert done.status_code == 302
    correction = BillCorrection.objects.get(claim=claim)
    assert [p.difference_rial for p in correction.periods.order_by("position")] == [
        -3_000,
        -12_000,
        -24_000,
    ]
    assert correction.difference_rial == -39_000
    assert [run["days"] for run in uncovered_days(correction)] == [185]
