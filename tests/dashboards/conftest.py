"""A small data set whose every dashboard figure is worked out by hand in the tests.

All times are Tehran local (UTC+03:30). The reporting range of most tests is
1403/01/01 - 1403/03/31, that is 2024-03-20 - 2024-06-20, three Jalali months:
Farvardin 03-20..04-19, Ordibehesht 04-20..05-20, Khordad 05-21..06-20.

claim channel   office city     filed (local)  status       outcome  verdict  fee     clock (h)
C1    web       -      Qazvin   03-25 10:00    closed       no_fault within   keep    stop 10
C2    office    O1     Qazvin   03-30 09:00    closed       faulty   fast     refund  stop 30 (late)
C3    office    O2     Takestan 04-22 11:00    closed       faulty   slow     waive   stop 20
C4    in_person -      Qazvin   05-01 08:00    closed       tampered tampered keep    stop 6
C13   web       -      Qazvin   04-25 10:00    closed       no_fault within   keep    stop 12
C5    web       -      Qazvin   05-25 12:00    in_progress                            on track 8
C6    office    O1     Qazvin   06-01 10:00    paid                                   at risk
C7    web       -      Takestan 06-10 10:00    awaiting_pay                           paused
C8    phone     -      Qazvin   06-15 09:00    in_progress                            breached
C9    web       -      Qazvin   06-18 10:00    cancelled                              stop 1
C11   web       -      Takestan 06-20 23:30    expired                                stop 0
C10   web       -      Qazvin   2024-02-10     closed       no_fault within   keep    stop 2 (early)
C12   web       -      Takestan 06-21 00:10    awaiting_pay (after: 06-20 20:40 UTC)

"office" is the counter-office channel, "within" the within_tolerance verdict. Open steps:
C5 Task_test and C6 Task_schedule (technician), C8 Task_replace (emergency crew; its Task_test
is done).
Fees: the test fee 1,500,000 + VAT 150,000 = 1,650,000; counter offices add 109,000 (1,759,000).
Paid payments: C1, C5, C13 gateway; C2, C6 counter office; C4 in person; C10 gateway (outside).
C7 has an initiated (unpaid) gateway payment, C9 a failed one; C3's fee is on the next bill.
Meters (make / model / manufacture year): C1 GT G4-R 2020, C2 GT G4-R 2010, C13 GT G4-R 2019,
C3 Elster BK-G4 2003, C4 Elster BK-G4 unknown; the others GT G4-R 2018.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

import pytest
from django.utils import timezone

from apps.meter_service.dashboards.selectors import DashboardFilter
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.payment.models import BillCharge, Payment
from apps.meter_service.doctype.sla.models import SlaClock
from apps.meter_service.engine.models import ProcessInstance, ProcessTask
from apps.meter_service.engine.services import process_version_active

QAZVIN, TAKESTAN = "قزوین", "تاکستان"
TEST_FEE, VAT, OFFICE_FEE = 1_500_000, 150_000, 109_000
HOUR = 3600
THREE_DAYS = datetime.timedelta(days=3)

RANGE = DashboardFilter(date_from=datetime.date(2024, 3, 20), date_to=datetime.date(2024, 6, 20))


# The tests' "now": ten days after the data set, however late the calendar runs. A roll-up
# covers every day from the first claim to today, so with the real clock each rebuild grew
# by a day a day (1,032 days and 22 s in late 2026, against 143 days here).
DATA_SET_NOW = timezone.make_aware(datetime.datetime(2024, 7, 1, 12, 0))


@pytest.fixture(autouse=True)
def _clock_after_the_data_set(monkeypatch):
    """Move the clock back to DATA_SET_NOW; it still runs, so ages and expiries still pass."""
    real_now = timezone.now
    offset = real_now() - DATA_SET_NOW
    monkeypatch.setattr(timezone, "now", lambda: real_now() - offset)


def local(month: int, day: int, hour: int, minute: int = 0, year: int = 2024) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute))


@dataclass
class Spec:
    name: str
    channel: str
    city: str
    filed: datetime.datetime
    status: str
    office: str = ""
    outcome: str = ""
    verdict: str = ""
    fee_outcome: str = ""
    payment: str = ""  # method of the paid payment
    unpaid: str = ""  # status of a payment that did not go through
    on_bill: bool = False
    clock: tuple[str, int] | None = None  # (state, worked hours) of a live clock
    stopped_hours: int | None = None
    open_task: tuple[str, str] | None = None
    done_task: tuple[str, str] | None = None
    meter: tuple[str, str, int | None] = ("Gaz Tajhiz", "G4-R", 2018)


SPECS = [
    Spec("C1", "web", QAZVIN, local(3, 25, 10), "closed", outcome="no_fault",
         verdict="within_tolerance", fee_outcome="keep", payment="gateway", stopped_hours=10,
         meter=("Gaz Tajhiz", "G4-R", 2020)),
    Spec("C2", "counter_office", QAZVIN, local(3, 30, 9), "closed", office="O1", outcome="faulty",
         verdict="fast", fee_outcome="refund", payment="counter_office", stopped_hours=30,
         meter=("Gaz Tajhiz", "G4-R", 2010)),
    Spec("C3", "counter_office", TAKESTAN, local(4, 22, 11), "closed", office="O2",
         outcome="faulty", verdict="slow", fee_outcome="waive", on_bill=True, stopped_hours=20,
         meter=("Elster", "BK-G4", 2003)),
    Spec("C4", "in_person", QAZVIN, local(5, 1, 8), "closed", outcome="tampered",
         verdict="tampered", fee_outcome="keep", payment="in_person", stopped_hours=6,
         meter=("Elster", "BK-G4", None)),
    Spec("C13", "web", QAZVIN, local(4, 25, 10), "closed", outcome="no_fault",
         verdict="within_tolerance", fee_outcome="keep", payment="gateway", stopped_hours=12,
         meter=("Gaz Tajhiz", "G4-R", 2019)),
    Spec("C5", "web", QAZVIN, local(5, 25, 12), "in_progress", payment="gateway",
         clock=("on_track", 8), open_task=("Task_test", "technician")),
    Spec("C6", "counter_office", QAZVIN, local(6, 1, 10), "paid", office="O1",
         payment="counter_office", clock=("at_risk", 19),
         open_task=("Task_schedule", "technician")),
    Spec("C7", "web", TAKESTAN, local(6, 10, 10), "awaiting_payment", unpaid="initiated",
         clock=("on_track", 0)),
    Spec("C8", "phone", QAZVIN, local(6, 15, 9), "in_progress", payment="",
         clock=("breached", 25), open_task=("Task_replace", "emergency_crew"),
         done_task=("Task_test", "technician")),
    Spec("C9", "web", QAZVIN, local(6, 18, 10), "cancelled", unpaid="failed", stopped_hours=1),
    Spec("C11", "web", TAKESTAN, local(6, 20, 23, 30), "expired", stopped_hours=0),
    Spec("C10", "web", QAZVIN, local(2, 10, 10), "closed", outcome="no_fault",
         verdict="within_tolerance", fee_outcome="keep", payment="gateway", stopped_hours=2),
    Spec("C12", "web", TAKESTAN, local(6, 21, 0, 10), "awaiting_payment"),
]  # fmt: skip

TASK_NAMES = {
    "Task_test": "Test the meter",
    "Task_schedule": "Schedule the test",
    "Task_replace": "Replace the meter",
}


@pytest.fixture
def data(db, tariffs, make_subscriber, make_meter, make_office):
    """Create the claims of SPECS with their payments, clocks and tasks; return them by name."""
    offices = {
        "O1": make_office(code="1001", name="دفتر پیشخوان مرکزی", city=QAZVIN),
        "O2": make_office(code="1002", name="دفتر پیشخوان تاکستان", city=TAKESTAN),
    }
    subscribers = {QAZVIN: make_subscriber(city=QAZVIN), TAKESTAN: make_subscriber(city=TAKESTAN)}
    version = process_version_active()
    claims: dict[str, Claim] = {}
    for number, spec in enumerate(SPECS, start=1):
        make, model, year = spec.meter
        meter = make_meter(make=make, model=model, manufacture_year=year)
        office_fee = OFFICE_FEE if spec.office else 0
        paid = bool(spec.payment) or spec.on_bill
        claim = Claim.objects.create(
            tracking_code=f"77000000{number:02d}",
            subscriber=subscribers[spec.city],
            meter=meter,
            channel=spec.channel,
            counter_office=offices.get(spec.office),
            customer_type="g2c",
            reason="fast",
            last_reading=850,
            last_reading_date=spec.filed.date(),
            contact_mobile="09121234567",
            status=spec.status,
            is_open=True if spec.status in ("awaiting_payment", "paid", "in_progress") else None,
            payment_method="next_bill" if spec.on_bill else (spec.payment or "gateway"),
            test_fee=TEST_FEE,
            vat=VAT,
            channel_fee=office_fee,
            total_fee=TEST_FEE + VAT + office_fee,
            fee_tariff=tariffs["test"],
            filed_at=spec.filed,
            paid_at=spec.filed + datetime.timedelta(hours=1) if paid else None,
            closed_at=None if spec.stopped_hours is None else spec.filed + THREE_DAYS,
            outcome=spec.outcome,
            fee_outcome=spec.fee_outcome,
            findings={"verdict": spec.verdict} if spec.verdict else {},
        )  # fmt: skip
        claims[spec.name] = claim
        if spec.payment:
            Payment.objects.create(
                claim=claim,
                method=spec.payment,
                amount_rial=claim.total_fee,
                status="paid",
                is_paid=True,
                authority=f"A{number}" if spec.payment == "gateway" else None,
                paid_at=claim.paid_at,
            )
        if spec.unpaid:
            Payment.objects.create(
                claim=claim,
                method="gateway",
                amount_rial=claim.total_fee,
                status=spec.unpaid,
                authority=f"U{number}",
            )
        if spec.on_bill:
            BillCharge.objects.create(
                claim=claim, bill_id=claim.subscriber.bill_id, amount_rial=claim.total_fee
            )
        if spec.stopped_hours is not None:
            state = "breached" if spec.stopped_hours >= 24 else "on_track"
            SlaClock.objects.create(
                claim=claim,
                target_seconds=24 * HOUR,
                started_at=spec.filed,
                worked_seconds=spec.stopped_hours * HOUR,
                stopped_at=claim.closed_at,
                state=state,
                state_at=claim.closed_at,
            )
        elif spec.clock:
            state, hours = spec.clock
            paused = spec.status == "awaiting_payment"
            SlaClock.objects.create(
                claim=claim,
                target_seconds=24 * HOUR,
                started_at=spec.filed,
                running_since=None if paused else spec.filed + datetime.timedelta(days=1),
                paused=paused,
                worked_seconds=hours * HOUR,
                state=state,
                state_at=spec.filed + datetime.timedelta(days=1),
            )
        instance = ProcessInstance.objects.create(
            claim=claim, version=version, started_at=spec.filed, updated_at=spec.filed
        )
        for task, done in ((spec.open_task, False), (spec.done_task, True)):
            if task is None:
                continue
            element, lane = task
            ProcessTask.objects.create(
                instance=instance,
                task_id=uuid.uuid4(),
                element_id=element,
                name=TASK_NAMES[element],
                lane=lane,
                ready_at=spec.filed + datetime.timedelta(days=2),
                completed_at=spec.filed + datetime.timedelta(days=3) if done else None,
            )
    return {"claims": claims, "offices": offices}
