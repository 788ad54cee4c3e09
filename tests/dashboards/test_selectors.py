"""Every dashboard figure on the small data set of conftest.py, answers worked by hand.

In RANGE (2024-03-20 .. 2024-06-20 local) are C1-C9, C11 and C13: eleven claims. C10 was
filed before it, C12 ten minutes after its last local day ended (06-21 00:10 Tehran, which
is still 06-20 in UTC).
"""

from __future__ import annotations

import dataclasses
import datetime
import math

import pytest
from django.utils import translation

from apps.meter_service.dashboards import selectors
from apps.meter_service.dashboards.selectors import DashboardFilter
from tests.dashboards.conftest import RANGE, TAKESTAN, local

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def counts(rows: list[dict], key: str) -> dict[str, int]:
    return {row[key]: row["count"] for row in rows}


def test_claims_by_channel(data):
    # web C1 C5 C7 C9 C11 C13 = 6; counter office C2 C3 C6 = 3; in person C4; phone C8.
    assert counts(selectors.claims_by_channel(RANGE), "channel") == {
        "web": 6,
        "counter_office": 3,
        "in_person": 1,
        "agency": 0,
        "phone": 1,
    }


def test_claims_by_status(data):
    # closed C1 C2 C3 C4 C13; in progress C5 C8; paid C6; awaiting C7; cancelled C9; expired C11.
    rows = selectors.claims_by_status(RANGE)
    assert counts(rows, "status") == {
        "awaiting_payment": 1,
        "paid": 1,
        "in_progress": 2,
        "closed": 5,
        "cancelled": 1,
        "expired": 1,
    }
    assert sum(r["count"] for r in rows if r["open"]) == 4


def test_the_range_is_whole_local_days(data):
    # C11 (06-20 23:30 Tehran) is in; C12 (06-21 00:10 Tehran = 06-20 20:40 UTC) is out.
    assert sum(r["count"] for r in selectors.claims_by_status(RANGE)) == 11
    wider = dataclasses.replace(RANGE, date_to=datetime.date(2024, 6, 21))
    assert sum(r["count"] for r in selectors.claims_by_status(wider)) == 12
    everything = DashboardFilter(date_to=datetime.date(2024, 6, 21))
    assert sum(r["count"] for r in selectors.claims_by_status(everything)) == 13


def test_claims_by_jalali_month(data):
    # Farvardin: C1 C2, both closed, only C1 (10 h) within 24 h (C2 took 30 h).
    # Ordibehesht: C3 C4 C13, all closed within target (20, 6, 12 h).
    # Khordad: C5 C6 C7 C8 C9 C11, none closed.
    rows = selectors.claims_by_period(RANGE)
    assert [(r["label"], r["filed"], r["closed"], r["met"]) for r in rows] == [
        ("Farvardin 1403", 2, 2, 1),
        ("Ordibehesht 1403", 3, 3, 3),
        ("Khordad 1403", 6, 0, 0),
    ]
    assert rows[0]["start"] == datetime.date(2024, 3, 20)
    assert rows[0]["end"] == datetime.date(2024, 4, 19)
    assert rows[2]["end"] == datetime.date(2024, 6, 20)


def test_claims_by_week_start_on_saturday(data):
    # 2024-06-01 is a Saturday. Week of 06-01: C6; of 06-08: C7 (06-10); of 06-15: C8, C9, C11.
    june = DashboardFilter(
        date_from=datetime.date(2024, 6, 1), date_to=datetime.date(2024, 6, 20), period="week"
    )
    rows = selectors.claims_by_period(june)
    assert [(r["start"], r["filed"]) for r in rows] == [
        (datetime.date(2024, 6, 1), 1),
        (datetime.date(2024, 6, 8), 1),
        (datetime.date(2024, 6, 15), 3),
    ]


def test_claims_by_day(data):
    days = DashboardFilter(
        date_from=datetime.date(2024, 6, 18), date_to=datetime.date(2024, 6, 20), period="day"
    )
    # 06-18 C9; 06-19 none; 06-20 C11 (late evening, local).
    assert [r["filed"] for r in selectors.claims_by_period(days)] == [1, 0, 1]


def test_service_time_average_and_90th_percentile(data):
    # Closed claims' working hours: C4 6, C1 10, C13 12, C3 20, C2 30.
    # Average (6+10+12+20+30)/5 = 15.6 h. Nearest rank of the 90th percentile: ceil(0.9*5) = 5,
    # the 5th smallest = 30 h. Cancelled C9 and expired C11 are not service.
    assert selectors.service_time(RANGE) == {
        "count": 5,
        "average_hours": 15.6,
        "p90_hours": 30.0,
        "target_hours": 24.0,
    }


def test_percentile_reads_the_nearest_rank(data):
    from apps.meter_service.doctype.sla.models import SlaClock

    clocks = SlaClock.objects.filter(stopped_at__isnull=False).order_by()
    # All seven stopped clocks, sorted: 0 1 2 6 10 12 20 30 h -> eight values (C11 0 h).
    hours = sorted(c.worked_seconds // 3600 for c in clocks)
    assert hours == [0, 1, 2, 6, 10, 12, 20, 30]
    # 50th: ceil(4) = 4th = 6 h; 90th: ceil(7.2) = 8th = 30 h; 10th: ceil(0.8) = 1st = 0 h.
    assert selectors.percentile(clocks, "worked_seconds", 50, 8) == 6 * 3600
    assert selectors.percentile(clocks, "worked_seconds", 90, 8) == 30 * 3600
    assert selectors.percentile(clocks, "worked_seconds", 10, 8) == 0
    assert selectors.percentile(clocks.none(), "worked_seconds", 90, 0) is None


def test_percentile_reads_the_same_row_from_either_end(data):
    """Above the median the row is read counting from the top; every rank agrees."""
    from apps.meter_service.doctype.sla.models import SlaClock

    clocks = SlaClock.objects.order_by()  # with ties (several clocks at 0 h)
    values = sorted(clocks.values_list("worked_seconds", flat=True))
    for percent in range(1, 101):
        rank = math.ceil(percent * len(values) / 100)
        got = selectors.percentile(clocks, "worked_seconds", percent, len(values))
        assert got == values[rank - 1], percent


def test_sla_compliance(data):
    # Closed within 24 h: C1 C3 C4 C13 (4 of 5) = 80 %; C2 over. Open clocks by state:
    # on track C5 C7, at risk C6, breached C8. Stopped clocks of C9 and C11 count nowhere.
    assert selectors.sla_compliance(RANGE) == {
        "closed": 5,
        "met": 4,
        "breached": 1,
        "percent": 80.0,
        "open_on_track": 2,
        "open_at_risk": 1,
        "open_breached": 1,
    }


def test_backlog_by_step_and_role(data):
    # Open: C5 Task_test, C6 Task_schedule (technician), C8 Task_replace (crew); C8's
    # completed Task_test does not count.
    steps = selectors.backlog_by_step(RANGE)
    assert [(s["step"], s["lane"], s["count"]) for s in steps] == [
        ("Task_replace", "emergency_crew", 1),
        ("Task_schedule", "technician", 1),
        ("Task_test", "technician", 1),
    ]
    assert steps[0]["name"] == "Replace the meter"
    assert steps[0]["oldest"] == data["claims"]["C8"].filed_at + datetime.timedelta(days=2)
    roles = selectors.backlog_by_role(RANGE)
    assert [(r["lane"], r["count"]) for r in roles] == [("technician", 2), ("emergency_crew", 1)]
    assert [str(x) for x in roles[0]["roles"]] == ["Meter technician"]


def test_verdict_mix(data):
    # Tested: C1 and C13 within tolerance, C2 fast, C3 slow, C4 tampered: 2/5 = 40 %, 1/5 = 20 %.
    rows = selectors.verdict_mix(RANGE)
    assert [(r["verdict"], r["count"], r["percent"]) for r in rows] == [
        ("within_tolerance", 2, 40.0),
        ("fast", 1, 20.0),
        ("slow", 1, 20.0),
        ("tampered", 1, 20.0),
    ]
    assert str(rows[0]["label"]) == "Within tolerance"


def test_fault_rate_by_make_and_model(data):
    # Gaz Tajhiz G4-R: C1, C2, C13 tested, C2 faulty: 1/3 = 33.3 %.
    # Elster BK-G4: C3 faulty, C4 tampered: 1/2 = 50 %.
    assert [
        (r["make"], r["model"], r["tested"], r["faulty"], r["tampered"], r["rate"])
        for r in selectors.fault_rate_by_model(RANGE)
    ] == [
        ("Gaz Tajhiz", "G4-R", 3, 1, 0, 33.3),
        ("Elster", "BK-G4", 2, 1, 1, 50.0),
    ]


def test_fault_rate_by_age(data):
    # Ages at 2024: C1 2020 -> 4 (under 5), C13 2019 -> 5 (5-9), C2 2010 -> 14 (10-14, faulty),
    # C3 2003 -> 21 (20+, faulty), C4 unknown year (tampered).
    rows = selectors.fault_rate_by_age(RANGE)
    assert [(r["band"], r["tested"], r["faulty"], r["tampered"], r["rate"]) for r in rows] == [
        (0, 1, 0, 0, 0.0),
        (1, 1, 0, 0, 0.0),
        (2, 1, 1, 0, 100.0),
        (4, 1, 1, 0, 100.0),
        (5, 1, 0, 1, 0.0),
    ]
    assert [str(r["label"]) for r in rows][-1] == "Year not known"


def test_fees(data):
    # Paid: gateway C1 C5 C13 = 3 x 1,650,000 = 4,950,000; counter office C2 C6 = 2 x 1,759,000
    # = 3,518,000; in person C4 1,650,000. Total 10,118,000 from 6 payments (C7's initiated
    # and C9's failed payment and C10, outside the range, do not count).
    # Next bill: C3 1,759,000. Refunded: C2's test fee with VAT 1,650,000 (the office's
    # 109,000 is the office's). Waived: C3's 1,650,000. Net 10,118,000 - 1,650,000.
    fees = selectors.fees(RANGE)
    assert [(m["method"], m["count"], m["amount"]) for m in fees["by_method"]] == [
        ("gateway", 3, 4_950_000),
        ("counter_office", 2, 3_518_000),
        ("in_person", 1, 1_650_000),
    ]
    assert {k: v for k, v in fees.items() if k != "by_method"} == {
        "collected": 10_118_000,
        "collected_count": 6,
        "on_bill": 1_759_000,
        "on_bill_count": 1,
        "refunded": 1_650_000,
        "refunded_count": 1,
        "waived": 1_650_000,
        "waived_count": 1,
        "net": 8_468_000,
    }


def test_office_performance(data):
    # O1: C2 (closed, 30 h, over) and C6 (paid, open): 2 claims, 2 paid, 1 closed,
    # office fees 2 x 109,000, average 30 h, 0 % within target.
    # O2: C3 (closed, 20 h, fee on the next bill so not paid at the office): 100 %.
    rows = selectors.office_performance(RANGE)
    assert [
        (
            r["code"],
            r["claims"],
            r["paid"],
            r["closed"],
            r["office_fees"],
            r["average_hours"],
            r["sla_percent"],
        )
        for r in rows
    ] == [
        ("1001", 2, 2, 1, 218_000, 30.0, 0.0),
        ("1002", 1, 0, 1, 0, 20.0, 100.0),
    ]


def _correction(claim, difference: int, *, approved: bool):
    from apps.meter_service.doctype.correction.models import BillCorrection

    day = datetime.date(2024, 5, 1)
    return BillCorrection.objects.create(
        claim=claim,
        status="approved" if approved else "draft",
        verdict="fast" if difference < 0 else "slow",
        test_date=day,
        last_test_date=day - datetime.timedelta(days=300),
        max_window_days=365,
        window_start=day - datetime.timedelta(days=300),
        window_end=day,
        registered_rial=1_000_000,
        corrected_rial=1_000_000 + difference,
        difference_rial=difference,
        computed_at=local(5, 2, 10),
        approved_at=local(5, 3, 10) if approved else None,
    )


def test_correction_credits_and_debits(data):
    claims = data["claims"]
    # Approved in range: C1 a credit of 40,000 and C4 a debit of 25,000. C2's draft and
    # C10's (filed before the range) do not count.
    _correction(claims["C1"], -40_000, approved=True)
    _correction(claims["C4"], 25_000, approved=True)
    _correction(claims["C2"], 99_000, approved=False)
    _correction(claims["C10"], -7_000, approved=True)
    assert selectors.correction_totals(RANGE) == {
        "credits": 40_000,
        "credit_count": 1,
        "debits": 25_000,
        "debit_count": 1,
        "net": -15_000,
    }


def _complaint(claim=None):
    from helpdesk.models import Queue

    from apps.meter_service.doctype.complaint.services import complaint_file

    return complaint_file(
        actor=None,
        channel="phone",
        topic=Queue.objects.get(slug="meter-test" if claim else "general"),
        title="شکایت",
        description="متن شکایت",
        claim=claim,
        complainant_name="مشترک",
        contact_mobile="09121234567",
    )


def test_complaints_per_thousand_claims(data, roles):
    assert selectors.complaints_per_thousand(RANGE) == {
        "complaints": 0,
        "claims": 11,
        "per_thousand": 0.0,
    }
    claims = data["claims"]
    # Two about C1, one about C2 (office O1), one about C10 (filed before the range), one
    # about no claim: three are about the range's eleven claims, 1000 * 3 / 11 = 272.7.
    for name in ("C1", "C1", "C2", "C10"):
        _complaint(claims[name])
    _complaint()
    assert selectors.complaints_per_thousand(RANGE) == {
        "complaints": 3,
        "claims": 11,
        "per_thousand": 272.7,
    }
    office = dataclasses.replace(RANGE, office_id=data["offices"]["O1"].pk)
    # O1's claims in the range: C2 and C6; one complaint, 1000 * 1 / 2 = 500.
    assert selectors.complaints_per_thousand(office) == {
        "complaints": 1,
        "claims": 2,
        "per_thousand": 500.0,
    }


def test_office_filter(data):
    office = dataclasses.replace(RANGE, office_id=data["offices"]["O1"].pk)
    # O1's claims: C2 and C6.
    assert counts(selectors.claims_by_channel(office), "channel")["counter_office"] == 2
    assert selectors.service_time(office)["average_hours"] == 30.0
    assert selectors.sla_compliance(office)["percent"] == 0.0
    assert [s["step"] for s in selectors.backlog_by_step(office)] == ["Task_schedule"]
    assert selectors.fees(office)["collected"] == 2 * 1_759_000


def test_city_filter(data):
    takestan = dataclasses.replace(RANGE, city=TAKESTAN)
    # Takestan's claims in the range: C3 (closed), C7 (awaiting payment), C11 (expired).
    assert {
        k: v for k, v in counts(selectors.claims_by_status(takestan), "status").items() if v
    } == {
        "closed": 1,
        "awaiting_payment": 1,
        "expired": 1,
    }
    assert [(r["verdict"], r["count"]) for r in selectors.verdict_mix(takestan)] == [("slow", 1)]
    assert selectors.fees(takestan)["collected"] == 0
    assert selectors.fees(takestan)["on_bill"] == 1_759_000


def test_an_empty_selection_gives_zeros_not_errors(data):
    nothing = DashboardFilter(
        date_from=datetime.date(2020, 1, 1), date_to=datetime.date(2020, 1, 31)
    )
    d = selectors.dashboard(nothing)
    assert sum(r["count"] for r in d.figures["claims_by_channel"]) == 0
    assert d.figures["service_time"]["average_hours"] is None
    assert d.figures["service_time"]["p90_hours"] is None
    assert d.figures["sla_compliance"]["percent"] is None
    assert d.figures["verdict_mix"] == []
    assert d.figures["fees"]["net"] == 0
    assert [r["filed"] for r in d.figures["claims_by_period"]] == [0, 0]  # Dey and Bahman 1398
