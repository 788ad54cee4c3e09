"""A large, realistic, reproducible data set for measuring the dashboards (seed_scale).

Claims are spread over the last `days` days (fewer on Fridays, office hours mostly), through
every channel and counter office; the older ones ended (mostly closed with a verdict, some
cancelled or expired), the recent ones are still open at some step. Each claim gets its
subscriber and meter, its payment or charge to the next bill, its service-level clock, its
process instance and the process steps done or waiting. Each tested claim gets its meter test
(two test points, none for a stopped or tampered meter) with the claim's verdict; a faulty
meter's claim that reached the bill correction gets it (approved when the claim is closed,
a draft or awaiting the manager's approval while it waits at those steps). About 1.5 % of the
claims draw a complaint (a helpdesk ticket in a topic queue, its complaint and the filing and
answer follow-ups), and a few complaints are about no claim. Meters fail more often with age
and for some makes. The same seed and end day give the same rows (but for the claims of the
last three weeks, whose status follows their age at the time of the run, and when the end
day is today, for that day's claims, which are all filed before the run).

Rows are written in batches, one transaction per batch, with the primary keys given here
(the database is not written by anyone else meanwhile), by core.bulk_sql: multi-row INSERTs
of up to 1 MB on MariaDB, executemany on SQLite. Django's bulk_create spends ten times longer
compiling the SQL than the database spends inserting; every constraint stays on. On MariaDB
outside a transaction (the command), each row is written as SQL as it is built and a writer
thread with its own connection inserts a batch while the next one is built.
The values go through the backend's own adapters, so SQLite and MariaDB store what the ORM
would. The engine state of the seeded process instances is left empty (they are for
reports, not to be stepped on).
"""

from __future__ import annotations

import datetime
import json
import math
import random
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _t
from helpdesk.models import FollowUp, Queue, Ticket

from apps.meter_service.core import identifiers
from apps.meter_service.core.bulk_sql import (
    BackgroundWriter,
    insert_rows,
    joined_statements,
    value_quoter,
)
from apps.meter_service.core.tracking import verhoeff_check_digit
from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.complaint.models import Complaint
from apps.meter_service.doctype.correction.models import BillCorrection
from apps.meter_service.doctype.counter_office.models import CounterOffice
from apps.meter_service.doctype.fee_tariff.models import FeeTariff
from apps.meter_service.doctype.fee_tariff.services import fee_tariff_save
from apps.meter_service.doctype.inspection.models import Inspection, TestEquipment, TestPoint
from apps.meter_service.doctype.meter.models import Meter, MeterInstallation
from apps.meter_service.doctype.payment.models import BillCharge, Payment
from apps.meter_service.doctype.rule_setting.selectors import rule_value
from apps.meter_service.doctype.sla.models import SlaClock
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.engine.models import ProcessInstance, ProcessTask
from apps.meter_service.engine.services import process_version_active

# Seeded subscription numbers start here (8 digits); seeded meters' serials with the prefix,
# by which a second run is detected.
FIRST_SUBSCRIPTION = 80_000_000
SERIAL_PREFIX = "SC-"
COMPANY_CODE = "281"
TEST_FEE, VAT, OFFICE_FEE = 1_500_000, 150_000, 109_000
HOUR = 3600
TARGET = 24 * HOUR

CITIES = [
    ("قزوین", 40),
    ("تاکستان", 12),
    ("آبیک", 10),
    ("بوئین‌زهرا", 8),
    ("الوند", 10),
    ("محمدیه", 8),
    ("اقبالیه", 6),
    ("آوج", 3),
]
# make, model, size, share, extra fault weight of the make
METER_MODELS = [
    ("Gaz Tajhiz", "G4-R", "G4", 30, 1.0),
    ("Gaz Tajhiz", "G2.5-R", "G2.5", 12, 1.0),
    ("Elster", "BK-G4", "G4", 18, 0.7),
    ("Elster", "BK-G2.5", "G2.5", 6, 0.7),
    ("Itron", "Gallus G4", "G4", 10, 0.8),
    ("Pars Ghate", "PG-G4", "G4", 14, 1.4),
    ("Kimia Gaz", "KG-4", "G4", 10, 1.7),
]
CHANNELS = [("web", 45), ("counter_office", 25), ("in_person", 15), ("agency", 10), ("phone", 5)]
FIRST_NAMES = ["علی", "محمد", "حسین", "رضا", "مهدی", "زهرا", "فاطمه", "مریم", "سارا", "نرگس"]
LAST_NAMES = ["محمدی", "حسینی", "احمدی", "کریمی", "رضایی", "موسوی", "کاظمی", "نوری", "صادقی"]
STEP_LANES = {
    "Task_schedule": ("Schedule the test", "technician"),
    "Task_test": ("Test the meter", "technician"),
    "Task_access": ("Give access to the meter", "subscriber"),
    "Task_replace": ("Replace the meter", "emergency_crew"),
    "Task_correction": ("Compute the bill correction", "billing_officer"),
    "Task_approve": ("Approve the correction", "service_manager"),
    "Task_tamper_charge": ("Charge for tampering", "billing_officer"),
}


# Meter tests: class 1.5 meters (the tolerance of each band from the setting
# IN_SERVICE_TOLERANCE_BANDS); one point in each band (flow m³/h, reference volume m³).
ACCURACY_CLASS = "1.5"
POINTS = (
    ("low", Decimal("0.250"), Decimal("0.0500")),
    ("high", Decimal("2.500"), Decimal("0.2000")),
)
EQUIPMENT = [(f"SC-LB-{n:02d}", "lab_bench") for n in range(1, 4)] + [
    (f"SC-PP-{n:02d}", "portable_prover") for n in range(1, 11)
]
# Seeded staff: username prefix, role (the name of its group), how many.
STAFF = [
    ("scale-technician", "technician", 12),
    ("scale-billing", "billing_officer", 3),
    ("scale-manager", "service_manager", 1),
    ("scale-complaints", "complaints_officer", 3),
]
COMPLAINT_SHARE = 0.015  # of the claims, complaints about them
NO_CLAIM_SHARE = 0.002  # per claim, complaints about no claim
FIRST_COMPLAINT = 700_000_000
COMPLAINT_CHANNELS = [("portal", 50), ("phone", 20), ("in_person", 15), ("national_system", 15)]
# Topic queue slug (fixtures/0004_complaint_queues.json), weight about a claim, about none,
# and a title.
COMPLAINT_TOPICS = [
    ("meter-test", 45, 5, "تأخیر در آزمایش کنتور"),
    ("billing", 20, 30, "اعتراض به اصلاح صورتحساب"),
    ("fees", 15, 15, "هزینه آزمایش کنتور"),
    ("staff", 10, 15, "برخورد مأمور"),
    ("general", 10, 35, "سایر موارد"),
]


OFFICE_OPENS = datetime.time(7)
OFFICE_DAY_SECONDS = 9 * HOUR  # claims are filed from 07:00 to 16:00

_NOW = object()  # stands for "the time of the insert" in auto_now fields


class _Writes:
    """Where the batches' rows go: on MariaDB outside a transaction (the command's run), as
    statements to a BackgroundWriter, which inserts one batch (one transaction) while the
    next is built; otherwise straight into the database, one transaction a batch."""

    def __init__(self) -> None:
        threaded = connection.vendor == "mysql" and not connection.in_atomic_block
        self.writer = BackgroundWriter() if threaded else None
        self.pending: list[bytes] = []

    def insert(self, table: str, columns: list[str], rows: list[list[Any]]) -> None:
        insert_rows(table, columns, rows)

    def insert_quoted(self, table: str, columns: list[str], rows: list[bytes]) -> None:
        assert self.writer is not None
        self.pending += joined_statements(table, columns, rows)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """The rows inserted within go in together, or not at all."""
        if self.writer is None:
            with transaction.atomic():
                yield
            return
        yield
        statements, self.pending = self.pending, []
        self.writer.submit(statements)

    def __enter__(self) -> _Writes:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        """Wait for the writer's last batches (and raise its error, if any)."""
        if self.writer is not None:
            self.writer.__exit__(*exc_info)


class _Table:
    """Insert plain dicts into a model's table with executemany, numbering their ids."""

    def __init__(self, model: type[models.Model], writes: _Writes) -> None:
        self.model = model
        self.writes = writes
        self.fields = list(model._meta.concrete_fields)
        if not settings.USE_TZ:
            raise ImproperlyConfigured("seed_scale expects USE_TZ = True")
        self.columns = [f.column for f in self.fields]
        self.next_id = (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1
        self.plan = [(f.attname, self._converter(f), self._default(f)) for f in self.fields]
        # With the writer thread (MariaDB), each row is written as SQL at once, by a quoter
        # per column: half of the client's time went to converting values, then quoting them.
        self.quoted = writes.writer is not None
        if self.quoted:
            connection.ensure_connection()
            self.quoters = [(f.attname, self._quoter(f), self._default(f)) for f in self.fields]

    @staticmethod
    def _default(f: models.Field) -> object:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            return _NOW
        return f.get_default()

    @staticmethod
    def _converter(f: models.Field) -> Callable[[Any], Any] | None:
        ops = connection.ops
        if isinstance(f, models.DateTimeField):
            # What the SQLite and MySQL adapters do (naive UTC, as text), without their checks:
            # a third of the time went there.
            return lambda v: str(v.astimezone(datetime.UTC).replace(tzinfo=None))
        if isinstance(f, models.DateField):
            return ops.adapt_datefield_value
        if isinstance(f, models.DecimalField):
            return lambda v: ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places)
        if isinstance(f, models.JSONField):
            return lambda v: json.dumps(v, ensure_ascii=False)
        if isinstance(f, models.UUIDField):
            return lambda v: f.get_db_prep_value(v, connection)
        return None

    def _quoter(self, f: models.Field) -> Callable[[Any], bytes]:
        """The value as MariaDB SQL, the same text as _converter and insert_statements give."""
        string_literal = connection.connection.string_literal
        if isinstance(f, models.DateTimeField):
            utc = datetime.UTC
            return lambda v: b"'%s'" % v.astimezone(utc).isoformat(" ")[:-6].encode()
        if isinstance(f, models.DateField):
            return lambda v: b"'%s'" % v.isoformat().encode()
        if isinstance(f, models.DecimalField):
            return lambda v: format(v, "f").encode()  # as the driver writes a Decimal
        if isinstance(f, models.JSONField):
            encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps made one a call
            return lambda v: string_literal(encode(v).encode())
        if isinstance(f, (models.IntegerField, models.BooleanField, models.ForeignKey)):
            quote = value_quoter()
            return lambda v: b"%d" % v if type(v) is int else quote(v)
        if isinstance(f, (models.CharField, models.TextField)):
            quote = value_quoter()
            return lambda v: string_literal(v.encode()) if type(v) is str else quote(v)
        convert, quote = self._converter(f), value_quoter()
        if convert is not None:
            return lambda v: quote(convert(v))
        return quote

    def insert(self, rows: list[dict]) -> None:
        """Give each row its id (row["id"]) and insert them all; defaults fill the rest."""
        now = timezone.now()
        if self.quoted:
            self._insert_quoted(rows, now)
            return
        params = []
        for row in rows:
            row["id"] = self.next_id
            self.next_id += 1
            values = []
            for attname, convert, default in self.plan:
                value = row.get(attname, default)
                if value is _NOW:
                    value = now
                if value is not None and convert is not None:
                    value = convert(value)
                values.append(value)
            params.append(values)
        self.writes.insert(self.model._meta.db_table, self.columns, params)

    def _insert_quoted(self, rows: list[dict], now: datetime.datetime) -> None:
        quoted = []
        for row in rows:
            row["id"] = self.next_id
            self.next_id += 1
            parts = []
            for attname, quote, default in self.quoters:
                value = row.get(attname, default)
                if value is None:
                    parts.append(b"NULL")
                else:
                    parts.append(quote(now if value is _NOW else value))
            quoted.append(b"(" + b",".join(parts) + b")")
        self.writes.insert_quoted(self.model._meta.db_table, self.columns, quoted)


@dataclass
class SeedReport:
    subscribers: int = 0
    claims: int = 0
    payments: int = 0
    bill_charges: int = 0
    clocks: int = 0
    tasks: int = 0
    inspections: int = 0
    test_points: int = 0
    corrections: int = 0
    corrections_approved: int = 0
    complaints: int = 0


def _weighted(rng: random.Random, table: list[tuple]) -> tuple:
    return rng.choices(table, weights=[row[-1] if len(row) == 2 else row[3] for row in table])[0]


def _national_id(n: int) -> str:
    nine = f"{(n * 7919 + 12345) % 10**9:09d}"
    if len(set(nine)) == 1 or nine[3:9] == "000000":
        nine = "123" + nine[3:]
    return nine + str(identifiers.national_id_check_digit(nine))


def _batches(count: int, size: int) -> Iterator[range]:
    for start in range(0, count, size):
        yield range(start, min(start + size, count))


def _office_seconds_before(day: datetime.date, now: datetime.datetime, tz) -> int:
    """How much of the day's office hours had begun by now: all of a past day's, none of a
    day to come."""
    opens = timezone.make_aware(datetime.datetime.combine(day, OFFICE_OPENS), tz)
    return int(max(0, min(OFFICE_DAY_SECONDS, (now - opens).total_seconds())))


def _working_seconds(rng: random.Random, status: str) -> int:
    """Working time a claim's clock used: log-normal around 14 h for tested claims, less for
    claims still open (some already at risk or late), little for the abandoned ones."""
    if status in ("cancelled", "expired", "awaiting_payment"):
        return int(rng.uniform(0, 4) * HOUR)
    median = 14 if status == "closed" else 9
    return min(int(rng.lognormvariate(math.log(median), 0.5) * HOUR), 120 * HOUR)


def _verdict(rng: random.Random, meter_age: int | None, fault_weight: float) -> str:
    age = 12 if meter_age is None else meter_age
    faulty = min(0.06 + 0.012 * age, 0.6) * fault_weight
    roll = rng.random()
    if roll < 0.03:
        return "tampered"
    if roll < 0.03 + faulty:
        return rng.choices(["fast", "slow", "stopped"], weights=[45, 35, 20])[0]
    return "within_tolerance"


OUTCOME_OF = {
    "within_tolerance": "no_fault",
    "tampered": "tampered",
    "fast": "faulty",
    "slow": "faulty",
    "stopped": "faulty",
}


def seed_scale(
    *,
    claims: int,
    seed: int = 1403,
    days: int = 730,
    until: datetime.date | None = None,
    batch_size: int = 5000,
    progress: Callable[[str], None] = lambda _message: None,
    reuse_existing: bool = False,
) -> SeedReport:
    """Create `claims` claims with everything around them; return how many rows of each.

    `reuse_existing` (the demo's history): the counter offices and the staff of each role
    already there serve the claims, instead of the seeding's own.
    """
    if Meter.objects.filter(serial__startswith=SERIAL_PREFIX).exists():
        raise ValueError("This database is seeded already; seed a fresh one.")
    rng = random.Random(seed)
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        # A throwaway bulk load: do not wait for the disk at every commit (this connection only).
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = OFF")
    until = until or timezone.localdate()
    first_day = until - datetime.timedelta(days=days - 1)
    tz = timezone.get_default_timezone()
    report = SeedReport()

    # Claims are filed in office hours and never after now (the last day may be today).
    now = timezone.now()
    calendar = [first_day + datetime.timedelta(d) for d in range(days)]
    office_seconds = [_office_seconds_before(day, now, tz) for day in calendar]
    day_weights = [
        (0.25 if day.weekday() == 4 else 1.0) * seconds / OFFICE_DAY_SECONDS
        for day, seconds in zip(calendar, office_seconds, strict=True)
    ]
    if not any(day_weights):
        raise ValueError("No office hours between the first day and now: choose earlier days.")

    version = process_version_active()
    tariff = FeeTariff.objects.filter(kind="meter_test").order_by("valid_from").first()
    if tariff is None:
        tariff = fee_tariff_save(
            kind="meter_test", amount_rial=TEST_FEE, valid_from=first_day - datetime.timedelta(1)
        )
    offices = _ensure_offices(rng, reuse_existing)
    agencies = _ensure_agencies()
    context = _ensure_context(until, reuse_existing)

    # Subscribers (each with one meter): 70 % of the claims, so some subscribers file twice.
    subscriber_count = max(1, int(claims * 0.7))
    with _Writes() as writes:
        tables = {
            model: _Table(model, writes)
            for model in (
                Subscriber, Meter, MeterInstallation, Claim, Payment, BillCharge, SlaClock,
                ProcessInstance, ProcessTask, Inspection, TestPoint, BillCorrection, Ticket,
                Complaint, FollowUp,
            )
        }  # fmt: skip
        subscriber_ids, meter_info = _seed_subscribers(
            rng, subscriber_count, batch_size, first_day, tables, writes, report, progress
        )

        # Claims in time order. Claim i is for subscriber i mod subscriber_count; its meter's next
        # claim is claim i + subscriber_count, and this one has ended before that is filed (at most
        # one open claim per meter).
        filed_ats = sorted(
            timezone.make_aware(
                datetime.datetime.combine(calendar[d], OFFICE_OPENS)
                + datetime.timedelta(seconds=rng.randrange(office_seconds[d])),
                tz,
            )
            for d in rng.choices(range(days), weights=day_weights, k=claims)
        )
        tracking = 900_000_000
        for chunk in _batches(claims, batch_size):
            rows = []
            for i in chunk:
                following = i + subscriber_count
                next_filing = filed_ats[following] if following < claims else None
                rows.append(
                    _claim_row(
                        rng, i, filed_ats[i], next_filing, now,
                        subscriber_ids, meter_info, offices, agencies,
                    )
                )  # fmt: skip
            with writes.batch():
                objects = []
                for row in rows:
                    tracking += 1
                    code = str(tracking)
                    objects.append(
                        dict(
                            tracking_code=code + str(_check_digit(code)),
                            fee_tariff_id=tariff.pk,
                            **row["claim"],
                        )
                    )
                tables[Claim].insert(objects)
                _seed_around(rng, rows, objects, version, context, tables, report)
                _seed_complaints(rng, rows, objects, now, context, tables, report)
            report.claims += len(objects)
            progress(f"claims {report.claims:,}/{claims:,}")
    return report


def _check_digit(code: str) -> int:

    return verhoeff_check_digit(code)


def _ensure_offices(rng: random.Random, reuse_existing: bool = False) -> list[CounterOffice]:
    offices = list(CounterOffice.objects.all())
    if len(offices) >= 20 or (reuse_existing and offices):
        return offices
    made = []
    for n in range(40):
        city = _weighted(rng, CITIES)[0]
        made.append({"code": f"2811{n:04d}", "name": f"دفتر پیشخوان {city} {n + 1}", "city": city})
    CounterOffice.objects.bulk_create([CounterOffice(**row) for row in made])
    return list(CounterOffice.objects.all())


@dataclass
class _Context:
    technicians: list[int]
    billing_officers: list[int]
    manager: int
    complaints_officers: list[int]
    lab_benches: list[int]
    provers: list[int]
    queues: dict[str, int]
    national_agency: int
    tolerance: dict[str, Decimal]
    approval_limit: int
    max_window_days: int
    filed_title: str
    answer_title: str
    next_complaint: int = FIRST_COMPLAINT


def _ensure_context(until: datetime.date, reuse_existing: bool = False) -> _Context:
    """The staff, test equipment and topic queues the seeded rows refer to (made if missing)."""
    users = get_user_model()
    staff: dict[str, list[int]] = {}
    for prefix, role, count in STAFF:
        group = Group.objects.filter(name=role).first()
        present = []
        if reuse_existing and group is not None:
            active = users.objects.filter(groups=group, is_active=True).order_by("pk")
            present = list(active.values_list("pk", flat=True))
        if present:
            staff[role] = present
            continue
        for n in range(1, count + 1):
            user, created = users.objects.get_or_create(
                username=f"{prefix}-{n}", defaults={"first_name": prefix, "last_name": str(n)}
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                if group is not None:
                    user.groups.add(group)
            staff.setdefault(role, []).append(user.pk)
    for identifier, kind in EQUIPMENT:
        TestEquipment.objects.get_or_create(
            identifier=identifier,
            defaults={
                "kind": kind,
                "make": "Elster" if kind == "lab_bench" else "Itron",
                "calibration_due": until + datetime.timedelta(days=180),
            },
        )
    equipment = dict(
        TestEquipment.objects.filter(identifier__startswith="SC-").values_list("identifier", "pk")
    )
    queues = dict(Queue.objects.values_list("slug", "pk"))
    missing = [slug for slug, *_rest in COMPLAINT_TOPICS if slug not in queues]
    if missing:
        raise ValueError(
            f"Complaint topic queues missing ({', '.join(missing)}): run load_fixtures."
        )
    national, _created = Agency.objects.get_or_create(
        code="3194", defaults={"name": "سامانه ملی رسیدگی به شکایات (۳۱۹۴)"}
    )
    bands = rule_value("IN_SERVICE_TOLERANCE_BANDS")[ACCURACY_CLASS]
    with translation.override(settings.LANGUAGE_CODE):
        # The titles the complaint services give these follow-ups.
        filed_title, answer_title = _t("Complaint filed"), _t("Answer")
    return _Context(
        technicians=staff["technician"],
        billing_officers=staff["billing_officer"],
        manager=staff["service_manager"][0],
        complaints_officers=staff["complaints_officer"],
        lab_benches=[equipment[i] for i, kind in EQUIPMENT if kind == "lab_bench"],
        provers=[equipment[i] for i, kind in EQUIPMENT if kind == "portable_prover"],
        queues=queues,
        national_agency=national.pk,
        tolerance={band: Decimal(str(bands[band])) for band in ("low", "high")},
        approval_limit=rule_value("CORRECTION_APPROVAL_LIMIT_RIAL"),
        max_window_days=rule_value("CORRECTION_MAX_WINDOW_DAYS"),
        filed_title=filed_title,
        answer_title=answer_title,
    )


def _ensure_agencies() -> list[Agency]:
    for code, name in (("dolat-hamrah", "دولت همراه"), ("ivr-gas", "سامانه ۱۹۴")):
        Agency.objects.get_or_create(code=code, defaults={"name": name})
    return list(Agency.objects.all())


def _seed_subscribers(rng, count, batch_size, first_day, tables, writes, report, progress):
    subscriber_ids: list[int] = []
    # meter id, manufacture year, fault weight, the subscriber's name (as first * 100 + last)
    meter_info: list[tuple[int, int | None, float, int]] = []
    for chunk in _batches(count, batch_size):
        subscribers, meters, models_of = [], [], []
        for i in chunk:
            number = str(FIRST_SUBSCRIPTION + i)
            city = _weighted(rng, CITIES)[0]
            first, last = rng.randrange(len(FIRST_NAMES)), rng.randrange(len(LAST_NAMES))
            subscribers.append(
                {
                    "subscription_number": number,
                    "bill_id": identifiers.build_bill_id(number, COMPANY_CODE, 3),
                    "customer_type": "g2c",
                    "national_id": _national_id(i),
                    "name": _name(first * 100 + last),
                    "mobile": f"0912{rng.randrange(10**7):07d}",
                    "city": city,
                    "address": f"{city}، خیابان {rng.randrange(1, 60)}، "
                    f"پلاک {rng.randrange(1, 200)}",
                    "climate_zone": 1,
                }
            )
            make, model, size, _share, weight = _weighted(rng, METER_MODELS)
            year = None if rng.random() < 0.04 else rng.randint(1996, first_day.year)
            meters.append(
                {
                    "serial": f"{SERIAL_PREFIX}{i:09d}",
                    "make": make,
                    "model": model,
                    "size": size,
                    "manufacture_year": year,
                    "install_date": datetime.date(year or 2005, 6, 1),
                    "status": "installed",
                }
            )
            models_of.append((year, weight, first * 100 + last))
        with writes.batch():
            tables[Subscriber].insert(subscribers)
            tables[Meter].insert(meters)
            tables[MeterInstallation].insert(
                [
                    {
                        "subscriber_id": s["id"],
                        "meter_id": m["id"],
                        "installed_on": m["install_date"],
                        "reason": "new_connection",
                    }
                    for s, m in zip(subscribers, meters, strict=True)
                ]
            )
        subscriber_ids += [s["id"] for s in subscribers]
        meter_info += [(m["id"], *rest) for m, rest in zip(meters, models_of, strict=True)]
        report.subscribers += len(subscribers)
        progress(f"subscribers {report.subscribers:,}/{count:,}")
    return subscriber_ids, meter_info


def _name(code: int) -> str:
    return f"{FIRST_NAMES[code // 100]} {LAST_NAMES[code % 100]}"


def _claim_row(
    rng, i, filed_at, next_filing, now, subscriber_ids, meter_info, offices, agencies
) -> dict:
    """One claim filed at `filed_at`; ended before `next_filing`, its meter's next claim."""
    index = i % len(subscriber_ids)
    meter_id, year, weight, name = meter_info[index]
    channel = _weighted(rng, CHANNELS)[0]
    office = rng.choice(offices) if channel == "counter_office" else None
    agency = rng.choice(agencies) if channel == "agency" else None
    method = {
        "web": "gateway" if rng.random() < 0.8 else "next_bill",
        "counter_office": "counter_office",
        "in_person": "in_person" if rng.random() < 0.6 else "next_bill",
        "agency": "next_bill",
        "phone": "next_bill",
    }[channel]
    age_days = (now - filed_at).total_seconds() / 86400
    if age_days > 21 or next_filing is not None:  # ended
        status = rng.choices(["closed", "cancelled", "expired"], weights=[86, 4, 10])[0]
    else:
        status = rng.choices(
            ["awaiting_payment", "paid", "in_progress", "closed", "cancelled", "expired"],
            weights=[12, 18, 35, 30, 3, 2],
        )[0]
    paid = status in ("paid", "in_progress", "closed") or (
        status in ("cancelled", "expired") and rng.random() < 0.3
    )
    office_fee = OFFICE_FEE if office else 0
    verdict = outcome = fee_outcome = ""
    if status == "closed":
        verdict = _verdict(rng, None if year is None else filed_at.year - year, weight)
        outcome = OUTCOME_OF[verdict]
        if outcome == "faulty":
            fee_outcome = "waive" if method == "next_bill" else "refund"
        else:
            fee_outcome = "keep"
    worked = _working_seconds(rng, status)
    ended = status in ("closed", "cancelled", "expired")
    closed_at = None
    if ended:
        # Calendar time is longer than working time: about three times, plus the waits.
        closed_at = filed_at + datetime.timedelta(seconds=worked * 3 + rng.randrange(4 * HOUR))
        closed_at = min(closed_at, now, next_filing or now)
    # Nothing happens after now or after the claim ended; the clock cannot count more
    # working time than has passed.
    last = closed_at or now
    worked = min(worked, int((last - filed_at).total_seconds()))
    paid_at = (
        min(filed_at + datetime.timedelta(minutes=rng.randrange(5, 600)), last) if paid else None
    )
    claim = {
        "subscriber_id": subscriber_ids[index],
        "meter_id": meter_id,
        "channel": channel,
        "counter_office_id": office.pk if office else None,
        "agency_id": agency.pk if agency else None,
        "customer_type": "g2c",
        "reason": rng.choices(["fast", "slow", "stopped", "noisy", "other"], [50, 15, 15, 10, 10])[
            0
        ],
        "last_reading": rng.randrange(100, 20000),
        "last_reading_date": filed_at.date() - datetime.timedelta(days=rng.randrange(1, 60)),
        "contact_mobile": f"0912{rng.randrange(10**7):07d}",
        "status": status,
        "is_open": None if ended else True,
        "payment_method": method,
        "test_fee": TEST_FEE,
        "vat": VAT,
        "channel_fee": office_fee,
        "total_fee": TEST_FEE + VAT + office_fee,
        "filed_at": filed_at,
        "paid_at": paid_at,
        "closed_at": closed_at,
        "outcome": outcome,
        "fee_outcome": fee_outcome,
        "findings": {"verdict": verdict, "fee_action": fee_outcome} if verdict else {},
    }
    bill_id = identifiers.build_bill_id(str(FIRST_SUBSCRIPTION + index), COMPANY_CODE, 3)
    return {
        "claim": claim,
        "worked": worked,
        "verdict": verdict,
        "bill_id": bill_id,
        "serial": f"{SERIAL_PREFIX}{index:09d}",
        "installed_on": datetime.date(year or 2005, 6, 1),
        "name": name,
    }


def _steps(rng: random.Random, status: str, verdict: str) -> tuple[list[str], str | None]:
    """Steps done, and the one waiting (if any), for a claim in this status."""
    if status == "closed":
        done = ["Task_schedule", "Task_test"]
        if verdict == "tampered":
            done.append("Task_tamper_charge")
        elif verdict not in ("within_tolerance", ""):
            done += ["Task_replace", "Task_correction"]
        return done, None
    if status == "paid":
        return [], "Task_schedule"
    if status == "in_progress":
        waiting = rng.choices(
            ["Task_test", "Task_access", "Task_replace", "Task_correction", "Task_approve"],
            weights=[60, 10, 15, 10, 5],
        )[0]
        order = ["Task_schedule", "Task_test", "Task_replace", "Task_correction", "Task_approve"]
        done = (
            ["Task_schedule"]
            if waiting in ("Task_test", "Task_access")
            else order[: order.index(waiting)]
        )
        return done, waiting
    return [], None


def _seed_around(rng, rows, claims, version, context, tables, report) -> None:
    payments, charges, clocks, instances = [], [], [], []
    for row, claim in zip(rows, claims, strict=True):
        data = row["claim"]
        status = data["status"]
        if data["paid_at"] is not None:
            if data["payment_method"] == "next_bill":
                charges.append(
                    {
                        "claim_id": claim["id"],
                        "bill_id": row["bill_id"],
                        "amount_rial": data["total_fee"],
                    }
                )
            else:
                if data["payment_method"] == "gateway" and rng.random() < 0.1:
                    payments.append(
                        {
                            "claim_id": claim["id"],
                            "method": "gateway",
                            "amount_rial": data["total_fee"],
                            "status": "failed",
                            "authority": f"F{claim['id']:012d}",
                        }
                    )
                payments.append(
                    {
                        "claim_id": claim["id"],
                        "method": data["payment_method"],
                        "amount_rial": data["total_fee"],
                        "status": "paid",
                        "is_paid": True,
                        "authority": f"S{claim['id']:012d}"
                        if data["payment_method"] == "gateway"
                        else None,
                        "paid_at": data["paid_at"],
                    }
                )
        worked = row["worked"]
        ended = data["closed_at"] is not None
        if ended:
            state = "breached" if worked >= TARGET else "on_track"
        else:
            state = (
                "breached"
                if worked >= TARGET
                else "at_risk"
                if worked >= TARGET * 0.75
                else "on_track"
            )
        waiting_on_subscriber = status == "awaiting_payment"
        clocks.append(
            {
                "claim_id": claim["id"],
                "target_seconds": TARGET,
                "started_at": data["filed_at"],
                "running_since": None if ended or waiting_on_subscriber else data["filed_at"],
                "paused": waiting_on_subscriber,
                "worked_seconds": worked,
                "stopped_at": data["closed_at"],
                "state": state,
                "state_at": data["closed_at"] or data["filed_at"],
                "breached_at": data["closed_at"] if state == "breached" and ended else None,
            }
        )
        instances.append(
            {
                "claim_id": claim["id"],
                "version_id": version.pk,
                "state": {},
                "status": "completed" if ended else "running",
                "end_event": f"End_{status}" if ended else "",
                "started_at": data["filed_at"],
                "updated_at": data["closed_at"] or data["filed_at"],
                "ended_at": data["closed_at"],
            }
        )
    tables[Payment].insert(payments)
    tables[BillCharge].insert(charges)
    tables[SlaClock].insert(clocks)
    tables[ProcessInstance].insert(instances)
    tasks, inspections, points, corrections = [], [], [], []
    for row, claim, instance in zip(rows, claims, instances, strict=True):
        data = row["claim"]
        done, waiting = _steps(rng, data["status"], row["verdict"])
        verdict = row["verdict"]
        if waiting in ("Task_replace", "Task_correction", "Task_approve"):
            # Tested, found faulty; the claim's verdict is written when it closes.
            # Those above the billing officer's limit are mostly stopped meters.
            weights = [10, 10, 80] if waiting == "Task_approve" else [45, 35, 20]
            verdict = rng.choices(["fast", "slow", "stopped"], weights=weights)[0]
        test = _measure(rng, verdict, context.tolerance) if "Task_test" in done else None
        amounts: tuple[int, int] | None = None
        if "Task_correction" in done or waiting in ("Task_correction", "Task_approve"):
            assert test is not None  # a correction follows the test
            amounts = _correction_amounts(
                rng, verdict, test["error_percent"], context.approval_limit,
                above_limit=waiting == "Task_approve",
            )  # fmt: skip
            if waiting is None and abs(amounts[1] - amounts[0]) > context.approval_limit:
                done.append("Task_approve")
        at = data["paid_at"] or data["filed_at"]
        end = data["closed_at"] or timezone.now()
        step = (end - at) / (len(done) + 1)
        completed = {element: at + step * (n + 1) for n, element in enumerate(done)}
        for element in done:
            name, lane = STEP_LANES[element]
            tasks.append(
                {
                    "instance_id": instance["id"],
                    "task_id": uuid.UUID(int=rng.getrandbits(128), version=4),
                    "element_id": element,
                    "name": name,
                    "lane": lane,
                    "ready_at": completed[element] - step,
                    "completed_at": completed[element],
                }
            )
        if waiting:
            name, lane = STEP_LANES[waiting]
            tasks.append(
                {
                    "instance_id": instance["id"],
                    "task_id": uuid.UUID(int=rng.getrandbits(128), version=4),
                    "element_id": waiting,
                    "name": name,
                    "lane": lane,
                    "ready_at": at + step * len(done),
                }
            )
        if test is not None:
            inspection = _inspection_row(
                rng, row, claim, verdict, test, completed["Task_test"], context
            )
            inspections.append(inspection)
            points += [(inspection, point) for point in test["points"]]
        if amounts is not None:
            # Computed when its step came; reviewed when the billing officer completed it;
            # approved then (within the officer's limit) or when the manager approved it.
            computed_at = (
                completed["Task_correction"] - step / 2
                if "Task_correction" in completed
                else at + step * len(done)
            )
            reviewed_at = completed.get("Task_correction")
            if waiting == "Task_approve":
                status, approved_at = "awaiting_approval", None
            elif waiting == "Task_correction":
                status, approved_at = "draft", None
            else:
                status = "approved"
                approved_at = completed.get("Task_approve", reviewed_at)
            corrections.append(
                _correction_row(
                    rng, claim, row, verdict, test, amounts, status, completed["Task_test"],
                    computed_at, reviewed_at, approved_at, "Task_approve" in completed, context,
                )
            )  # fmt: skip
    tables[ProcessTask].insert(tasks)
    tables[Inspection].insert(inspections)
    for inspection, point in points:
        point["inspection_id"] = inspection["id"]
    tables[TestPoint].insert([point for _inspection, point in points])
    tables[BillCorrection].insert(corrections)
    report.inspections += len(inspections)
    report.test_points += len(points)
    report.corrections += len(corrections)
    report.corrections_approved += sum(c["status"] == "approved" for c in corrections)
    report.payments += len(payments)
    report.bill_charges += len(charges)
    report.clocks += len(clocks)
    report.tasks += len(tasks)


def _measure(rng: random.Random, verdict: str, tolerance: dict[str, Decimal]) -> dict:
    """Test points that give the verdict: within the band's tolerance, or one point outside
    it (fast above, slow below); a stopped or tampered meter is recorded without points."""
    if verdict in ("stopped", "tampered"):
        return {"points": [], "error_percent": None, "mean": None, "mpe": None, "band": ""}
    outside = rng.randrange(len(POINTS)) if verdict in ("fast", "slow") else None
    points: list[dict[str, Any]] = []
    for position, (band, flow, reference) in enumerate(POINTS):
        tol = tolerance[band]
        if position == outside:
            error = float(tol) + rng.uniform(0.3, 8.0)
            error = error if verdict == "fast" else -error
        else:
            error = rng.uniform(-0.9, 0.9) * float(tol)
        volume = (reference * Decimal(1 + error / 100)).quantize(Decimal("0.0001"))
        points.append(
            {
                "position": position,
                "flow_rate_m3h": flow,
                "reference_volume_m3": reference,
                "meter_volume_m3": volume,
                "temperature_c": Decimal(rng.randrange(120, 260)) / 10,
                "pressure_kpa": None,
                "error_percent": ((volume - reference) / reference * 100).quantize(Decimal("0.01")),
                "band": band,
                "tolerance_percent": tol,
            }
        )
    # The decisive point uses the largest share of its tolerance (the first of equals).
    decisive = max(
        points, key=lambda p: (abs(p["error_percent"]) / p["tolerance_percent"], -p["position"])
    )
    mean = (sum(p["error_percent"] for p in points) / len(points)).quantize(Decimal("0.01"))
    return {
        "points": points,
        "error_percent": decisive["error_percent"],
        "mean": mean,
        "mpe": decisive["tolerance_percent"],
        "band": decisive["band"],
    }


def _inspection_row(rng, row, claim, verdict, test, tested_at, context) -> dict:
    lab = rng.random() < 0.3
    technician = rng.choice(context.technicians)
    tampered = verdict == "tampered"
    return {
        "claim_id": claim["id"],
        "meter_id": claim["meter_id"],
        "test_type": "lab" if lab else "field",
        "technician_id": technician,
        "equipment_id": rng.choice(context.lab_benches if lab else context.provers),
        "tested_at": tested_at,
        "serial_seen": row["serial"],
        "serial_matches": True,
        "seal_state": rng.choice(["broken", "missing"]) if tampered else "intact",
        "stopped": verdict == "stopped",
        "tampering": tampered,
        "error_percent": test["error_percent"],
        "mean_error_percent": test["mean"],
        "mpe": test["mpe"],
        "band": test["band"],
        "accuracy_class": ACCURACY_CLASS,
        "verdict": verdict,
        "created_by_id": technician,
        "created_at": tested_at,
    }


def _correction_amounts(
    rng: random.Random, verdict: str, error: Decimal | None, limit: int, *, above_limit: bool
) -> tuple[int, int]:
    """(as registered, as corrected) in Rial for the window: a fast meter registered more than
    was used (a credit), a slow one less, a stopped one little (debits). `above_limit`: the
    difference needs the manager's approval."""
    base = rng.lognormvariate(math.log(18_000_000), 0.7)
    if verdict == "stopped":
        share = rng.uniform(0.0, 0.25)
    else:
        assert error is not None  # a fast or slow meter was measured
        share = 1 + float(error) / 100

    def amounts(base: float) -> tuple[int, int]:
        return int(round(base * share, -3)), int(round(base, -3))

    registered, corrected = amounts(base)
    if above_limit and abs(corrected - registered) <= limit:
        registered, corrected = amounts(
            base * limit * rng.uniform(1.1, 2.0) / max(abs(corrected - registered), 1000)
        )
    return registered, corrected


def _correction_row(
    rng, claim, row, verdict, test, amounts, status, tested_at, computed_at, reviewed_at,
    approved_at, by_manager, context,
) -> dict:  # fmt: skip
    test_date = timezone.localtime(tested_at).date()
    installed_on = row["installed_on"]
    window_start = max(installed_on, test_date - datetime.timedelta(days=context.max_window_days))
    window_start = min(window_start, test_date - datetime.timedelta(days=30))
    registered, corrected = amounts
    officer = rng.choice(context.billing_officers)
    return {
        "claim_id": claim["id"],
        "status": status,
        "verdict": verdict,
        "error_percent": test["error_percent"],
        "test_date": test_date,
        "last_test_date": min(installed_on, window_start),
        "max_window_days": context.max_window_days,
        "window_start": window_start,
        "window_end": test_date,
        "rules_used": {
            "CORRECTION_MAX_WINDOW_DAYS": context.max_window_days,
            "CORRECTION_APPROVAL_LIMIT_RIAL": context.approval_limit,
        },
        "registered_rial": registered,
        "corrected_rial": corrected,
        "difference_rial": corrected - registered,
        "computed_at": computed_at,
        "computed_by_id": officer,
        "reviewed_at": reviewed_at,
        "reviewed_by_id": officer if reviewed_at else None,
        "approved_at": approved_at,
        "approved_by_id": context.manager if approved_at and by_manager else None,
    }


def _seed_complaints(rng, rows, claims, now, context, tables, report) -> None:
    """Complaints about some of these claims, and a few by their subscribers about no claim."""
    tickets: list[dict[str, Any]] = []
    complaints: list[dict[str, Any]] = []
    # (ticket, date, title, comment, user id or None, new status)
    follow_ups: list[tuple[dict[str, Any], Any, Any, str | None, Any, Any]] = []
    for row, claim in zip(rows, claims, strict=True):
        about = [True] if rng.random() < COMPLAINT_SHARE else []
        if rng.random() < NO_CLAIM_SHARE:
            about.append(False)
        for about_claim in about:
            slug, _w1, _w2, title = rng.choices(
                COMPLAINT_TOPICS, weights=[t[1] if about_claim else t[2] for t in COMPLAINT_TOPICS]
            )[0]
            channel = _weighted(rng, COMPLAINT_CHANNELS)[0]
            filed_at = claim["filed_at"] + datetime.timedelta(
                seconds=rng.randrange(HOUR, 20 * 24 * HOUR)
            )
            if filed_at >= now:
                continue
            due_at = filed_at + datetime.timedelta(days=1)
            answered_at = filed_at + datetime.timedelta(
                seconds=int(rng.lognormvariate(math.log(18), 0.8) * HOUR)
            )
            answered = answered_at < now
            closed = answered and answered_at + datetime.timedelta(days=7) < now
            late = answered_at > due_at and due_at < now
            status = (
                Ticket.CLOSED_STATUS if closed
                else Ticket.RESOLVED_STATUS if answered
                else Ticket.OPEN_STATUS
            )  # fmt: skip
            officer = rng.choice(context.complaints_officers)
            context.next_complaint += 1
            code = str(context.next_complaint)
            text = f"{title}؛ شکایت شماره {code}"
            answer = "موضوع بررسی شد و نتیجه به اطلاع رسید." if answered else None
            closed_at = answered_at + datetime.timedelta(days=7) if closed else None
            ticket = {
                "title": title,
                "queue_id": context.queues[slug],
                "created": filed_at,
                "modified": closed_at or (answered_at if answered else filed_at),
                "assigned_to_id": officer,
                "status": status,
                "description": text,
                "resolution": answer,
                "priority": 3,
                "due_date": due_at,
                "last_escalation": due_at if late else None,
                "secret_key": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            }
            tickets.append(ticket)
            national = channel == "national_system"
            complaints.append(
                {
                    "tracking_code": code + str(_check_digit(code)),
                    "channel": channel,
                    "subscriber_id": claim["subscriber_id"],
                    "claim_id": claim["id"] if about_claim else None,
                    "agency_id": context.national_agency if national else None,
                    "external_reference": f"3194-{code}" if national else None,
                    "complainant_name": _name(row["name"]),
                    "contact_mobile": claim["contact_mobile"],
                    "filed_at": filed_at,
                    "due_at": due_at,
                    "first_answered_at": answered_at if answered else None,
                    "escalated_at": due_at if late else None,
                    "resolved_at": answered_at if answered else None,
                    "closed_at": closed_at,
                }
            )
            follow_ups.append(
                (ticket, filed_at, context.filed_title, text, None, Ticket.OPEN_STATUS)
            )
            if answered:
                follow_ups.append(
                    (
                        ticket,
                        answered_at,
                        context.answer_title,
                        answer,
                        officer,
                        Ticket.RESOLVED_STATUS,
                    )
                )
    tables[Ticket].insert(tickets)
    for ticket, complaint in zip(tickets, complaints, strict=True):
        complaint["ticket_id"] = ticket["id"]
    tables[Complaint].insert(complaints)
    tables[FollowUp].insert(
        [
            {
                "ticket_id": ticket["id"],
                "date": date,
                "title": title,
                "comment": comment,
                "public": True,
                "user_id": user,
                "new_status": new_status,
            }
            for ticket, date, title, comment, user, new_status in follow_ups
        ]
    )
    report.complaints += len(complaints)
