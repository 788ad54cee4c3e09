"""Bill corrections end to end: a test recorded, the meter replaced, the bills corrected.

The worked example (class 1.5 meter, 4 % fast, three 60-day periods across a season change)
uses two one-block tariffs, so every figure can be checked by hand. T is the test date.

    warm tariff: 1,000 Rial/m³ until T-90; cold tariff: 2,000 Rial/m³ from T-90
    P1 [T-180, T-120) registered 104 m³   P2 [T-120, T-60) 208 m³   P3 [T-60, T) 312 m³
    window: last test = installation (2022-03-21), capped at 365 days: all three inside
    corrected = registered / 1.04: 100, 200, 300 m³

    P1 all warm:  104 × 1,000 = 104,000   100 × 1,000 = 100,000   difference  -4,000
    P2 30 warm days + 30 cold days (split by days, 104 + 104 registered, 100 + 100 corrected):
                  104,000 + 208,000 = 312,000   100,000 + 200,000 = 300,000   -12,000
    P3 all cold:  312 × 2,000 = 624,000   300 × 2,000 = 600,000   difference -24,000
    total: 1,040,000 registered, 1,000,000 corrected, -40,000 Rial (a credit)
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from apps.meter_service.core.identifiers import build_payment_id
from apps.meter_service.doctype.bill.services import bill_upsert
from apps.meter_service.doctype.correction import services
from apps.meter_service.doctype.correction.models import (
    BillCorrection,
    BillingAdjustment,
    CorrectionStatus,
)
from apps.meter_service.doctype.gas_tariff.services import gas_tariff_create
from apps.meter_service.doctype.inspection.services import equipment_create, inspection_record
from tests.conftest import PASSWORD
from tests.engine.conftest import SCHEDULE, open_steps

pytestmark = pytest.mark.django_db
D = datetime.timedelta
REPLACE = {
    "old_final_reading": "900",
    "new_serial": "NEW-0001",
    "new_initial_reading": "0",
    "seal_numbers": "S-1",
}


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def bench(today):
    return equipment_create(
        kind="portable_prover",
        identifier="PR-100",
        make="Elster",
        calibration_due=today + D(days=200),
    )


def _tariff(name: str, start, end, price: int, season: str):
    return gas_tariff_create(
        name=name,
        tariff_group="household",
        season=season,
        climate_zone=None,
        effective_from=start,
        effective_to=end,
        pricing_method="slab",
        blocks=[{"from_m3": Decimal(0), "to_m3": None, "rial_per_m3": price}],
    )


@pytest.fixture
def priced(today):
    """The two one-block tariffs of the worked example, around the test date T = today."""
    warm = _tariff("warm", today - D(days=400), today - D(days=91), 1_000, "warm")
    cold = _tariff("cold", today - D(days=90), today + D(days=30), 2_000, "cold")
    return warm, cold


def _bills(subscriber, today, volumes=("104", "208", "312"), first_start=None):
    start = first_start or today - D(days=180)
    reading = Decimal("100")
    bills = []
    for number, volume in enumerate(volumes, start=1):
        amount = int(Decimal(volume) * 1_000)
        data = {
            "bill_id": subscriber.bill_id,
            "payment_id": build_payment_id(
                subscriber.bill_id, max(amount // 1000, 1) * 1000, 5, number
            ),
            "period_start": start,
            "period_end": start + D(days=60),
            "previous_reading": reading,
            "current_reading": reading + Decimal(volume),
            "volume_m3": Decimal(volume),
            "amount_rial": amount,
        }
        bills.append(bill_upsert(data=data, source="api")[0])
        reading += Decimal(volume)
        start += D(days=60)
    return bills


def _record(claim, staff, bench, *, error: str = "4", stopped=False, tampering=False):
    points = []
    if not (stopped or tampering):
        meter_volume = Decimal(100) * (1 + Decimal(error) / 100)
        points = [
            {"flow_rate_m3h": "6", "reference_volume_m3": "100", "meter_volume_m3": meter_volume},
            {"flow_rate_m3h": "1", "reference_volume_m3": "100", "meter_volume_m3": meter_volume},
        ]
    return inspection_record(
        claim=claim,
        technician=staff["technician"],
        equipment=bench,
        test_type="field",
        tested_at=timezone.now(),
        serial_seen=claim.meter.serial,
        seal_state="intact",
        stopped=stopped,
        tampering=tampering,
        points=points,
        actor=staff["technician"],
    )


@pytest.fixture
def at_correction(paid_claim, step, staff, bench, priced, today):
    """A claim whose meter tested 4 % fast and was replaced: the billing officer's step."""
    claim = paid_claim
    _bills(claim.subscriber, today)
    step(claim, "Task_schedule", **SCHEDULE)
    _record(claim, staff, bench)
    step(claim, "Task_replace", "emergency_crew", **REPLACE)
    assert open_steps(claim) == ["Task_correction"]
    return claim


def test_worked_example_four_percent_fast_across_a_season_change(at_correction, staff, today):
    correction = services.correction_compute(claim=at_correction, actor=staff["billing_officer"])

    assert correction.verdict == "fast"
    assert correction.error_percent == Decimal("4.00")
    assert correction.window_start == today - D(days=365)
    assert correction.window_end == today
    periods = list(correction.periods.order_by("position"))
    assert [p.corrected_m3 for p in periods] == [Decimal("100"), Decimal("200"), Decimal("300")]
    assert [p.registered_rial for p in periods] == [104_000, 312_000, 624_000]
    assert [p.corrected_rial for p in periods] == [100_000, 300_000, 600_000]
    assert [p.difference_rial for p in periods] == [-4_000, -12_000, -24_000]
    assert [p.method for p in periods] == ["scaled"] * 3
    # P2 is split where the cold tariff starts: 30 warm days and 30 cold days.
    pieces = list(periods[1].pieces.order_by("start"))
    assert [(p.days, p.registered_m3, p.corrected_m3) for p in pieces] == [
        (30, Decimal("104"), Decimal("100")),
        (30, Decimal("104"), Decimal("100")),
    ]
    assert [p.tariff.name for p in pieces] == ["warm", "cold"]
    assert (correction.registered_rial, correction.corrected_rial) == (1_040_000, 1_000_000)
    assert correction.difference_rial == -40_000
    assert correction.rules_used["CORRECTION_MAX_WINDOW_DAYS"] == 365


def test_within_the_limit_the_officer_signs_and_it_is_posted_once(at_correction, staff):
    correction = services.correction_compute(claim=at_correction, actor=staff["billing_officer"])
    services.correction_submit(correction=correction, actor=staff["billing_officer"], note="ok")

    correction.refresh_from_db()
    assert correction.status == CorrectionStatus.APPROVED
    assert correction.approved_by is None and correction.reviewed_by == staff["billing_officer"]
    at_correction.refresh_from_db()
    assert at_correction.status == "closed"
    lines = BillingAdjustment.objects.filter(claim=at_correction)
    # Three corrected bills, and the fee refunded (paid in money, meter faulty).
    assert sorted((line.kind, line.amount_rial) for line in lines) == [
        ("correction", -24_000),
        ("correction", -12_000),
        ("correction", -4_000),
        ("fee_refund", -at_correction.total_fee),
    ]
    with pytest.raises(ValidationError):
        services.correction_submit(correction=correction, actor=staff["billing_officer"])
    assert BillingAdjustment.objects.filter(claim=at_correction).count() == 4


@override_settings()
def test_above_the_limit_the_manager_returns_then_approves(at_correction, staff, settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "CORRECTION_APPROVAL_LIMIT_RIAL": 10_000}
    officer, manager = staff["billing_officer"], staff["service_manager"]
    correction = services.correction_compute(claim=at_correction, actor=officer)
    services.correction_submit(correction=correction, actor=officer)
    correction.refresh_from_db()
    assert correction.status == CorrectionStatus.AWAITING_APPROVAL
    assert open_steps(at_correction) == ["Task_approve"]
    assert not BillingAdjustment.objects.filter(claim=at_correction).exists()

    with pytest.raises(ValidationError):  # a return needs its reason
        services.correction_decide(correction=correction, actor=manager, decision="return")
    with pytest.raises(PermissionDenied):  # the officer cannot approve their own
        services.correction_decide(correction=correction, actor=officer, decision="approve")
    services.correction_decide(
        correction=correction, actor=manager, decision="return", note="check P1"
    )
    correction.refresh_from_db()
    assert correction.status == CorrectionStatus.DRAFT
    assert open_steps(at_correction) == ["Task_correction"]

    first = correction.periods.order_by("position").first()
    services.correction_compute(
        claim=at_correction,
        actor=officer,
        overrides={first.bill_id: (Decimal("101"), "read again on site")},
    )
    correction.refresh_from_db()
    first = correction.periods.order_by("position").first()
    assert (first.method, first.corrected_m3, first.note) == (
        "override",
        Decimal("101"),
        "read again on site",
    )
    assert first.difference_rial == -3_000
    assert correction.difference_rial == -39_000
    services.correction_submit(correction=correction, actor=officer)
    services.correction_decide(correction=correction, actor=manager, decision="approve")
    correction.refresh_from_db()
    assert correction.status == CorrectionStatus.APPROVED and correction.approved_by == manager
    assert BillingAdjustment.objects.filter(claim=at_correction, kind="correction").count() == 3


def test_bad_requests_change_nothing(at_correction, staff, today):
    officer = staff["billing_officer"]
    with pytest.raises(PermissionDenied):
        services.correction_compute(claim=at_correction, actor=staff["technician"])
    with pytest.raises(ValidationError) as caught:
        services.correction_compute(
            claim=at_correction, actor=officer, last_verified_reading_date=today - D(days=100)
        )
    assert "window_note" in caught.value.message_dict
    assert not BillCorrection.objects.exists()
    correction = services.correction_compute(claim=at_correction, actor=officer)
    with pytest.raises(ValidationError):
        services.correction_compute(
            claim=at_correction,
            actor=officer,
            overrides={correction.periods.first().bill_id: (Decimal("1"), "  ")},
        )
    assert correction.periods.filter(method="override").count() == 0


def test_a_later_verified_reading_shortens_the_window(at_correction, staff, today):
    correction = services.correction_compute(
        claim=at_correction,
        actor=staff["billing_officer"],
        last_verified_reading_date=today - D(days=60),
        window_note="reading checked by the inspector",
    )
    # Only P3 is left: 312 → 300 m³ at 2,000 Rial.
    assert correction.window_start == today - D(days=60)
    assert [p.difference_rial for p in correction.periods.all()] == [-24_000]


def test_a_claim_not_at_the_correction_step_is_refused(paid_claim, staff, priced):
    with pytest.raises(ValidationError):
        services.correction_compute(claim=paid_claim, actor=staff["billing_officer"])


def test_stopped_meter_estimated_from_the_same_days_a_year_earlier(
    paid_claim, step, staff, bench, priced, today
):
    """A stopped meter registered 0 in P (the last 60 days); a year earlier the same days
    were billed 120 m³, two years earlier 180 m³: 150 m³ on average, all cold days at 2,000
    Rial, so 300,000 Rial is owed (a debit) and nothing had been billed."""
    claim = paid_claim
    # Earlier years' bills also need tariffs for nothing here: only P is re-priced.
    _bills(claim.subscriber, today, volumes=("180",), first_start=today - D(days=60 + 730))
    bill_two = _bills(claim.subscriber, today, volumes=("120",), first_start=today - D(days=425))
    assert bill_two  # one year and 60 days back: a 60-day bill over the same days
    last = _bills(claim.subscriber, today, volumes=("0",), first_start=today - D(days=60))
    step(claim, "Task_schedule", **SCHEDULE)
    _record(claim, staff, bench, stopped=True)
    step(claim, "Task_replace", "emergency_crew", **REPLACE)
    correction = services.correction_compute(claim=claim, actor=staff["billing_officer"])
    (period,) = correction.periods.all()
    assert period.bill == last[0]
    assert period.method == "same_days_earlier_years"
    assert period.corrected_m3 == Decimal("150")
    assert period.difference_rial == 300_000


def test_tampering_charges_the_damage_once(paid_claim, step, staff, bench):
    claim = paid_claim
    step(claim, "Task_schedule", **SCHEDULE)
    _record(claim, staff, bench, tampering=True)
    assert open_steps(claim) == ["Task_tamper_charge"]
    step(claim, "Task_tamper_charge", "billing_officer", damage_rial="2500000")
    (line,) = BillingAdjustment.objects.filter(claim=claim)
    assert (line.kind, line.amount_rial, line.bill_id) == (
        "damage",
        2_500_000,
        claim.subscriber.bill_id,
    )
    assert services.adjustment_for_damage(claim=claim, damage_rial=2_500_000) is None


def test_export_hands_each_line_over_once(at_correction, staff):
    correction = services.correction_compute(claim=at_correction, actor=staff["billing_officer"])
    services.correction_submit(correction=correction, actor=staff["billing_officer"])
    batch, text = services.adjustments_export(actor=staff["billing_officer"])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert batch and sorted(int(r["amount_rial"]) for r in rows if r["kind"] == "correction") == [
        -24_000,
        -12_000,
        -4_000,
    ]
    assert services.adjustments_export(actor=staff["billing_officer"])[0] == ""
    with pytest.raises(PermissionDenied):
        services.adjustments_export(actor=staff["technician"])


def test_statement_pdf_for_the_owner_only_once_approved(
    at_correction, staff, client, make_subscriber, make_user
):
    owner = at_correction.subscriber.user
    url = reverse("portal:claim_correction_statement", args=[at_correction.tracking_code])
    correction = services.correction_compute(claim=at_correction, actor=staff["billing_officer"])
    if owner is not None:
        client.force_login(owner)
        assert client.get(url).status_code == 404  # not approved yet
    services.correction_submit(correction=correction, actor=staff["billing_officer"])
    client.force_login(staff["billing_officer"])
    desk = client.get(reverse("admin:meter_service_billcorrection_statement", args=[correction.pk]))
    assert desk.status_code == 200 and desk.content.startswith(b"%PDF")
    other = make_user("subscriber")
    client.force_login(other)
    assert client.get(url).status_code == 404


def test_the_job_prints_the_approved_statement_ahead(at_correction, staff):
    from apps.meter_service import jobs
    from apps.meter_service.doctype.printout.models import PrintoutKind, StoredPrintout

    kind = PrintoutKind.CORRECTION_STATEMENT
    correction = services.correction_compute(claim=at_correction, actor=staff["billing_officer"])
    assert jobs.printout_prepare(at_correction.pk, kind) == 0  # not approved: no statement
    services.correction_submit(correction=correction, actor=staff["billing_officer"])

    assert jobs.printout_prepare(at_correction.pk, kind) == 1

    stored = StoredPrintout.objects.get(kind=kind, object_id=correction.pk)
    with stored.file.open("rb") as file:
        assert file.read().startswith(b"%PDF")


def test_statement_keeps_codes_in_reading_order(at_correction, staff):
    from apps.meter_service.core import tracking
    from apps.meter_service.core.identifiers import normalize_digits, to_persian_digits
    from apps.meter_service.doctype.correction.statement import (
        render_statement_html,
        render_statement_pdf,
    )
    from tests.portal.pdf_text import pdf_texts

    correction = services.correction_compute(claim=at_correction, actor=staff["billing_officer"])
    services.correction_submit(correction=correction, actor=staff["billing_officer"])
    correction.refresh_from_db()
    code = tracking.display(at_correction.tracking_code)  # 934-557-8690

    html = render_statement_html(correction)
    # in a left-to-right isolate: the Persian header sentence keeps the groups in order
    assert f"\u2066{to_persian_digits(code)}\u2069" in html
    assert f"\u2066{to_persian_digits(at_correction.subscriber.bill_id)}\u2069" in html
    # the PDF's text, in the order it is drawn: 934-557-8690, not 8690-557-934
    text = normalize_digits(" ".join(pdf_texts(render_statement_pdf(correction))))
    assert code in text
    assert "-".join(reversed(code.split("-"))) not in text


def test_desk_page_lets_the_officer_recompute_and_submit(at_correction, staff, client):
    officer = staff["billing_officer"]
    client.login(username=officer.username, password=PASSWORD)
    start = client.get(
        reverse("admin:meter_service_billcorrection_for_claim", args=[at_correction.pk])
    )
    correction = BillCorrection.objects.get(claim=at_correction)
    assert start.status_code == 302
    page = client.get(reverse("admin:meter_service_billcorrection_change", args=[correction.pk]))
    assert page.status_code == 200
    assert "Task_correction" not in page.content.decode()
    first = correction.periods.order_by("position").first()
    bad = client.post(
        reverse("admin:meter_service_billcorrection_compute", args=[correction.pk]),
        {f"volume_{first.bill_id}": "۱۰۱", f"reason_{first.bill_id}": ""},
    )
    assert bad.status_code == 400
    good = client.post(
        reverse("admin:meter_service_billcorrection_compute", args=[correction.pk]),
        {f"volume_{first.bill_id}": "۱۰۱", f"reason_{first.bill_id}": "read again"},
    )
    assert good.status_code == 302
    assert correction.periods.get(bill_id=first.bill_id).corrected_m3 == Decimal("101")
    client.post(reverse("admin:meter_service_billcorrection_submit", args=[correction.pk]))
    correction.refresh_from_db()
    assert correction.status == CorrectionStatus.APPROVED
    technician = staff["technician"]
    client.login(username=technician.username, password=PASSWORD)
    assert (
        client.get(
            reverse("admin:meter_service_billcorrection_change", args=[correction.pk])
        ).status_code
        == 403
    )
