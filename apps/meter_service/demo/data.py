"""Demo data for the embedded site: offices, subscribers, meters, and one user per role.

Everything is created through the services, so demo rows pass the same rules as real ones.
Running it again leaves existing rows as they are.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from apps.meter_service.core import identifiers
from apps.meter_service.core.jalali import format_date
from apps.meter_service.demo import billing as demo_billing
from apps.meter_service.demo import knowledge as demo_knowledge
from apps.meter_service.demo.scale import SERIAL_PREFIX, seed_scale
from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.doctype.bill.models import Bill
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.claim.services import claim_file, claim_mark_paid
from apps.meter_service.doctype.complaint import services as complaints
from apps.meter_service.doctype.complaint.models import Complaint, RatingChannel
from apps.meter_service.doctype.correction import services as corrections
from apps.meter_service.doctype.correction.selectors import decisive_inspection
from apps.meter_service.doctype.counter_office.models import CounterOffice
from apps.meter_service.doctype.counter_office.services import office_create, office_set_operators
from apps.meter_service.doctype.fee_tariff.models import FeeTariff
from apps.meter_service.doctype.fee_tariff.services import fee_tariff_save
from apps.meter_service.doctype.inspection.models import TestEquipment
from apps.meter_service.doctype.inspection.services import equipment_create, inspection_record
from apps.meter_service.doctype.meter.models import Meter, MeterInstallation
from apps.meter_service.doctype.meter.services import meter_create, meter_install
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.doctype.subscriber.services import subscriber_create
from apps.meter_service.doctype.work_order.selectors import live_work_order
from apps.meter_service.doctype.work_order.services import work_order_complete
from apps.meter_service.engine.models import ProcessTask
from apps.meter_service.engine.services import process_complete_task
from apps.meter_service.permissions import DESK_ROLES, Role

DEMO_COMPANY_CODE = "281"

# username, role, first name, last name
DEMO_USERS = [
    ("admin", Role.SYSTEM_ADMIN, "مدیر", "سامانه"),
    ("manager", Role.SERVICE_MANAGER, "مریم", "کاظمی"),
    ("clerk", Role.SERVICE_DESK_CLERK, "علی", "رضایی"),
    ("callcentre", Role.CALL_CENTRE_OPERATOR, "نرگس", "صادقی"),
    ("technician", Role.TECHNICIAN, "حسین", "موسوی"),
    ("crew", Role.EMERGENCY_CREW, "رضا", "احمدی"),
    ("billing", Role.BILLING_OFFICER, "زهرا", "کریمی"),
    ("complaints", Role.COMPLAINTS_OFFICER, "فاطمه", "حسینی"),
    ("operator", Role.COUNTER_OFFICE_OPERATOR, "مهدی", "نوری"),
    ("agency", Role.AGENCY_CLIENT, "سامانه", "دولت همراه"),
    ("national3194", Role.AGENCY_CLIENT, "سامانه", "۳۱۹۴"),
    ("subscriber", Role.SUBSCRIBER, "سارا", "محمدی"),
]

OFFICES = [
    (
        "28110231",
        "دفتر پیشخوان دولت شماره ۲۳۱",
        "قزوین",
        "خیابان فردوسی، نبش کوچه ۱۲",
        "02833350231",
    ),
    (
        "28110418",
        "دفتر پیشخوان دولت شماره ۴۱۸",
        "تاکستان",
        "بلوار امام، روبروی بانک ملی",
        "02835240418",
    ),
    ("28110502", "دفتر پیشخوان دولت شماره ۵۰۲", "آبیک", "خیابان طالقانی، پلاک ۸", "02834220502"),
]


@dataclass(frozen=True)
class DemoSubscriber:
    number: str
    name: str
    city: str
    address: str
    nine: str  # first nine digits of the national id (its check digit is computed)
    mobile: str
    zone: int = 1
    business: bool = False


SUBSCRIBERS = [
    DemoSubscriber(
        "1402001",
        "سارا محمدی",
        "قزوین",
        "خیابان نادری، کوچه لاله، پلاک ۴",
        "438127561",
        "09121234567",
    ),
    DemoSubscriber(
        "1402002", "محمد جعفری", "قزوین", "بلوار شهید باهنر، پلاک ۱۱۲", "438905412", "09127654321"
    ),
    DemoSubscriber(
        "1402003", "نرگس طاهری", "تاکستان", "خیابان معلم، پلاک ۲۲", "439210087", "09357778899", 2
    ),
    DemoSubscriber(
        "1402004", "امیر صادقی", "آبیک", "شهرک صنعتی، خیابان سوم", "438611290", "09191112233", 2
    ),
    DemoSubscriber(
        "1402005", "لیلا قربانی", "قزوین", "مینودر، فاز ۲، پلاک ۹", "438700154", "09015556677"
    ),
    DemoSubscriber(
        "1402006",
        "نانوایی سنگکی برکت",
        "قزوین",
        "خیابان راه‌آهن، پلاک ۳۰",
        "1086016275",
        "09123334455",
        1,
        True,
    ),
]

METERS = [
    ("GT-1400-0001", "Gaz Tajhiz", "G4-R", "G4", 2019),
    ("GT-1400-0002", "Gaz Tajhiz", "G4-R", "G4", 2020),
    ("PK-G25-77310", "Pars Kontor", "PK-2.5", "G2.5", 2018),
    ("EL-BK4-581093", "Elster", "BK-G4", "G4", 2017),
    ("EL-BK6-120044", "Elster", "BK-G6", "G6", 2021),
    ("PK-G4-88102", "Pars Kontor", "PK-4", "G4", 2022),
    ("GT-1402-0107", "Gaz Tajhiz", "G4-R", "G4", 2023),
    ("GT-1402-0108", "Gaz Tajhiz", "G4-R", "G4", 2023),
]


def _national_id(nine: str) -> str:
    return nine + str(identifiers.national_id_check_digit(nine))


def _legal_id(ten: str) -> str:
    return ten + str(identifiers.national_legal_id_check_digit(ten))


def _ensure_user(username: str, role: str, first: str, last: str, password: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(
            username=username,
            password=password,
            first_name=first,
            last_name=last,
            is_staff=role in DESK_ROLES,
            is_superuser=role == Role.SYSTEM_ADMIN,
        )
    user.groups.add(Group.objects.get(name=role))
    return user


# Demo fees. The counter-office fee is the card's figure; the test fee is an example that a
# real site replaces with its approved tariff.
DEMO_TARIFFS: list[dict[str, Any]] = [
    {"kind": "meter_test", "meter_size": "", "amount_rial": 1_500_000},
    {"kind": "meter_test", "meter_size": "G6", "amount_rial": 2_200_000},
    {"kind": "counter_office", "meter_size": "", "amount_rial": 109_000},
]
DEMO_TARIFFS_FROM = datetime.date(2024, 3, 20)  # 1403/01/01


def _ensure_tariffs(admin: User) -> None:

    for tariff in DEMO_TARIFFS:
        if not FeeTariff.objects.filter(**tariff).exists():
            fee_tariff_save(actor=admin, valid_from=DEMO_TARIFFS_FROM, **tariff)


def _ensure_agency(user: User) -> None:

    agency, _ = Agency.objects.get_or_create(code="ivr", defaults={"name": "سامانه پاسخگوی تلفنی"})
    agency.users.add(user)


@transaction.atomic
def load_demo(*, password: str) -> dict[str, int]:
    """Create the demo rows that are missing; return how many of each kind exist."""
    users = {u: _ensure_user(u, role, f, last, password) for u, role, f, last in DEMO_USERS}
    admin = users["admin"]

    for code, name, city, address, phone in OFFICES:
        if not CounterOffice.objects.filter(code=code).exists():
            office_create(
                actor=admin,
                source="demo",
                code=code,
                name=name,
                city=city,
                address=address,
                phone=phone,
            )
    first_office = CounterOffice.objects.get(code=OFFICES[0][0])
    if not first_office.users.exists():
        office_set_operators(office=first_office, users=[users["operator"]], actor=admin)

    for serial, make, model, size, year in METERS:
        if not Meter.objects.filter(serial=serial).exists():
            meter_create(
                actor=admin,
                source="demo",
                serial=serial,
                make=make,
                model=model,
                size=size,
                accuracy_class="1.5",
                manufacture_year=year,
            )

    for index, demo in enumerate(SUBSCRIBERS):
        subscriber = Subscriber.objects.filter(subscription_number=demo.number).first()
        if subscriber is None:
            identity = (
                {"customer_type": "g2b", "national_legal_id": _legal_id(demo.nine)}
                if demo.business
                else {"customer_type": "g2c", "national_id": _national_id(demo.nine)}
            )
            subscriber = subscriber_create(
                actor=admin,
                source="demo",
                subscription_number=demo.number,
                bill_id=identifiers.build_bill_id(demo.number, DEMO_COMPANY_CODE, 3),
                name=demo.name,
                mobile=demo.mobile,
                city=demo.city,
                address=demo.address,
                climate_zone=demo.zone,
                tariff_group="commercial" if demo.business else "household",
                user=users["subscriber"] if index == 0 else None,
                **identity,
            )
        if not MeterInstallation.objects.filter(subscriber=subscriber).exists():
            meter = Meter.objects.get(serial=METERS[index][0])
            meter_install(
                subscriber=subscriber,
                meter=meter,
                installed_on=datetime.date(2019 + index % 4, 3 + index, 10 + index),
                initial_reading=Decimal(index * 12),
                actor=admin,
            )
    _ensure_tariffs(admin)
    _ensure_agency(users["agency"])

    gas_tariffs = demo_billing.ensure_gas_tariffs(actor=admin)
    billed = Subscriber.objects.filter(subscription_number__in=list(DEMO_CLAIMS))
    bills = demo_billing.ensure_bills(
        subscribers=billed.order_by("subscription_number"), actor=admin
    )
    _ensure_test_equipment(admin)
    _ensure_claims(users)
    _ensure_complaints(users)
    articles = demo_knowledge.ensure_knowledge_articles(actor=admin)
    return {
        "users": len(users),
        "counter_offices": CounterOffice.objects.count(),
        "subscribers": Subscriber.objects.count(),
        "meters": Meter.objects.count(),
        "claims": Claim.objects.count(),
        "gas_tariffs": gas_tariffs,
        "bills": bills,
        "complaints": Complaint.objects.count(),
        "help_articles": articles,
    }


# Claims standing at each step of the process, so every desk role finds work in its inbox:
# subscriber number -> the steps done after filing (step id, role, form data).
SCHEDULE = {"test_type": "field", "visit_date": "", "visit_time": "morning"}
DEMO_CLAIMS: dict[str, list[str | tuple[str, str, dict[str, str]]]] = {
    "1402002": [],  # waiting for the online payment
    "1402003": ["paid"],  # the technician schedules the test
    "1402004": ["paid", ("Task_schedule", "technician", SCHEDULE)],
    "1402005": [
        "paid",
        ("Task_schedule", "technician", SCHEDULE),
        ("Task_test", "technician", {"error_percent": "4.5"}),
    ],
    "1402006": [
        "paid",
        ("Task_schedule", "technician", SCHEDULE),
        ("Task_test", "technician", {"error_percent": "-7"}),
        (
            "Task_replace",
            "crew",
            {
                "old_final_reading": "18250",
                "new_serial": "GT-1405-0001",
                "new_initial_reading": "0",
                "seal_numbers": "QZ-55120, QZ-55121",
            },
        ),
        ("Task_correction", "billing", {}),  # computed and submitted: the manager approves
    ],
}


def _ensure_claims(users: dict[str, User]) -> None:
    """File the demo claims that are missing and move each to its step."""

    for number, steps in DEMO_CLAIMS.items():
        subscriber = Subscriber.objects.get(subscription_number=number)
        if Claim.objects.filter(subscriber=subscriber).exists():
            continue
        installation = MeterInstallation.objects.get(subscriber=subscriber, is_current=True)
        today = timezone.localdate()
        # The last settled bill is a bill on file when the demo billed the subscription.
        latest_bill = subscriber.bills.order_by("-period_start").first()
        claim = claim_file(
            subscriber=subscriber,
            channel="web" if not steps else "in_person",
            reason="fast" if number != "1402006" else "slow",
            last_reading=installation.initial_reading + 640,
            last_reading_date=today,
            contact_mobile=subscriber.mobile,
            payment_method="gateway" if not steps else "in_person",
            last_bill_id=subscriber.bill_id,
            last_payment_id=latest_bill.payment_id
            if latest_bill
            else identifiers.build_payment_id(subscriber.bill_id, 2_350_000, 5, 6),
            actor=users["clerk"] if steps else None,
        )
        for step in steps:
            if step == "paid":
                claim = claim_mark_paid(claim=claim, reference="demo-office-cash")
                continue
            assert isinstance(step, tuple)  # any other step is (step id, role, form data)
            element_id, username, data = step
            if "visit_date" in data:
                data = {**data, "visit_date": format_date(today + datetime.timedelta(days=2))}
            if element_id == "Task_replace":
                _replace_meter(claim, users[username], data)
                continue
            if element_id == "Task_test":
                _record_test(claim, users[username], Decimal(data["error_percent"]))
                continue
            if element_id == "Task_correction":
                correction = corrections.correction_compute(claim=claim, actor=users[username])
                corrections.correction_submit(
                    correction=correction, actor=users[username], note="بررسی شد."
                )
                continue
            task = ProcessTask.objects.get(
                instance__claim=claim, element_id=element_id, completed_at__isnull=True
            )
            process_complete_task(task_id=task.task_id, user=users[username], data=data)


def _record_test(claim: Claim, technician: User, error_percent: Decimal) -> None:
    """Record the meter's test as the technician would: two points, the same error."""

    meter_volume = Decimal(100) * (1 + error_percent / 100)
    inspection_record(
        claim=claim,
        technician=technician,
        equipment=TestEquipment.objects.get(identifier="PP-281-07"),
        test_type="field",
        tested_at=timezone.now(),
        serial_seen=claim.meter.serial,
        seal_state="intact",
        points=[
            {"flow_rate_m3h": "6", "reference_volume_m3": "100", "meter_volume_m3": meter_volume},
            {"flow_rate_m3h": "0.6", "reference_volume_m3": "100", "meter_volume_m3": meter_volume},
        ],
        notes="",
        actor=technician,
    )


def _final_reading(claim: Claim, default: Decimal) -> Decimal:
    """The old meter's reading at the change: on from its last bill by what it registered
    since (so the correction covers the days after the last bill), else `default`."""

    last = Bill.objects.filter(subscriber=claim.subscriber).order_by("-period_end").first()
    if last is None:
        return default
    days = (timezone.localdate() - last.period_end).days
    if days <= 0:
        return default
    subscriber = claim.subscriber
    used = demo_billing._volume(
        subscriber.tariff_group, subscriber.climate_zone, last.period_end, days, Decimal(1)
    )

    inspection = decisive_inspection(claim)
    error = inspection.error_percent if inspection and inspection.error_percent else Decimal(0)
    return max(default, last.current_reading + (used * (1 + error / 100)).quantize(Decimal(1)))


def _replace_meter(claim: Claim, crew: User, data: dict) -> None:
    """Complete the claim's work order as the crew would (claim 1402005's is left open)."""

    work_order = live_work_order(claim=claim)
    assert work_order is not None  # the claim reached the replacement: its order is open
    work_order_complete(
        work_order=work_order,
        done_at=timezone.now(),
        old_final_reading=_final_reading(claim, Decimal(data["old_final_reading"])),
        new_serial=data["new_serial"],
        new_initial_reading=Decimal(data["new_initial_reading"]),
        seal_numbers=data.get("seal_numbers", ""),
        crew=[crew],
        actor=crew,
    )


# Benches and provers, calibrated until some days from today (negative: overdue, so the
# desk shows it highlighted and a test on it is refused).
DEMO_EQUIPMENT = [
    ("LB-281-01", "lab_bench", "Elster", "BellProver 4", 180),
    ("PP-281-07", "portable_prover", "Itron", "FieldProve 10", 90),
    ("PP-281-03", "portable_prover", "Itron", "FieldProve 10", -20),
]


def _ensure_test_equipment(admin: User) -> None:

    today = timezone.localdate()
    for identifier, kind, make, model, days in DEMO_EQUIPMENT:
        if not TestEquipment.objects.filter(identifier=identifier).exists():
            equipment_create(
                actor=admin,
                source="demo",
                identifier=identifier,
                kind=kind,
                make=make,
                model=model,
                calibration_due=today + datetime.timedelta(days=days),
            )


# Staff who hear of complaints by email (the embedded site prints mail to its log).
DEMO_STAFF_EMAILS = {"complaints": "complaints@gas.example", "manager": "manager@gas.example"}

# Complaints at each stage: subscriber number, channel, topic, claim?, title, text, then
# what happened: "answered" (resolved by the officer), "open", "overdue" (escalated), or
# "rated" (answered, closed, and rated 4 of 5 by the complainant's SMS reply).
DEMO_COMPLAINTS = [
    (
        "1402001",
        "portal",
        "billing",
        False,
        "مبلغ قبض اسفند بیش از حد معمول است",
        "مصرف ما تغییری نکرده ولی مبلغ قبض اسفند دو برابر شده است. لطفاً بررسی کنید.",
        "answered",
    ),
    (
        "1402004",
        "phone",
        "meter-test",
        True,
        "زمان بازدید مناسب نیست",
        "مشترک تماس گرفت و خواست بازدید به بعدازظهر منتقل شود.",
        "open",
    ),
    (
        "1402003",
        "national_system",
        "meter-test",
        True,
        "تأخیر در رسیدگی به درخواست تست کنتور",
        "شکایت ثبت‌شده در سامانه ۳۱۹۴: با وجود پرداخت هزینه، هنوز برای تست مراجعه نشده است.",
        "overdue",
    ),
    (
        "1402005",
        "in_person",
        "fees",
        False,
        "رسید پرداخت هزینه تست صادر نشد",
        "مشترک در دفتر خدمات مراجعه کرد: پس از پرداخت هزینه تست، رسیدی دریافت نکرده است.",
        "rated",
    ),
]


def _ensure_complaints(users: dict[str, User]) -> None:
    """Complaint topics owned by the officer, and the demo complaints that are missing."""
    from helpdesk.models import Queue

    for username, email in DEMO_STAFF_EMAILS.items():
        User.objects.filter(username=username, email="").update(email=email)
    officer = User.objects.get(username="complaints")
    Queue.objects.filter(default_owner__isnull=True).update(default_owner=officer)
    national, _ = Agency.objects.get_or_create(
        code="3194", defaults={"name": "سامانه ملی رسیدگی به شکایات (۳۱۹۴)"}
    )
    national.users.add(users["national3194"])
    for index, (number, channel, topic, about_claim, title, text, stage) in enumerate(
        DEMO_COMPLAINTS
    ):
        subscriber = Subscriber.objects.get(subscription_number=number)
        if Complaint.objects.filter(subscriber=subscriber).exists():
            continue
        claim = Claim.objects.filter(subscriber=subscriber).first() if about_claim else None
        filed_at = timezone.now() - datetime.timedelta(days=14 if stage == "overdue" else 1)
        complaint = complaints.complaint_file(
            actor={
                "portal": users["subscriber"],
                "phone": users["clerk"],
                "in_person": users["clerk"],
            }.get(channel),
            channel=channel,
            topic=Queue.objects.get(slug=topic),
            title=title,
            description=text,
            subscriber=subscriber,
            claim=claim,
            agency=national if channel == "national_system" else None,
            external_reference=f"3194-{1405_0000 + index}" if channel == "national_system" else "",
            now=filed_at,
        )
        if stage == "rated":
            complaints.complaint_answer(
                complaint=complaint,
                actor=officer,
                text="رسید پرداخت برای شما پیامک شد و در درگاه مشترکان نیز دیده می‌شود.",
                resolve=True,
            )
            complaints.complaint_close(complaint=complaint, actor=officer)
            complaints.complaint_rate(
                complaint=complaint, actor=None, score=4, channel=RatingChannel.SMS
            )
        if stage == "answered":
            complaints.complaint_answer(
                complaint=complaint,
                actor=officer,
                text=(
                    "قبض اسفند دوره‌ای ۶۰ روزه و در پله دوم تعرفه زمستانی بوده است. "
                    "اگر کارکرد کنتور را نادرست می‌دانید، درخواست تست کنتور ثبت کنید."
                ),
                resolve=True,
            )
    complaints.complaints_escalate_overdue()


# The demo's history: a year of claims that have ended, so the service manager's dashboards
# show every figure. They end three weeks before today, so none waits at a step of the
# process (seeded process instances carry no engine state and must not be stepped on).
DEMO_HISTORY_CLAIMS = 600
DEMO_HISTORY_DAYS = 365
DEMO_HISTORY_ENDS_DAYS_AGO = 22


def load_demo_history(*, claims: int = DEMO_HISTORY_CLAIMS) -> int:
    """Seed the history once (with the demo's offices and staff); return the claims added."""

    if Meter.objects.filter(serial__startswith=SERIAL_PREFIX).exists():
        return 0
    until = timezone.localdate() - datetime.timedelta(days=DEMO_HISTORY_ENDS_DAYS_AGO)
    report = seed_scale(claims=claims, days=DEMO_HISTORY_DAYS, until=until, reuse_existing=True)
    # The history's corrections come with totals only: give them their bills and lines, so
    # their statements list what they add up to.

    demo_billing.ensure_correction_lines(actor=User.objects.filter(username="admin").first())
    return report.claims
