"""A large, realistic, reproducible data set for measuring the dashboards (seed_scale).

Claims are spread over the last `days` days (fewer on Fridays, office hours mostly), through
every channel and counter office; the older ones ended (mostly closed with a verdict, some
cancelled or expired), the recent ones are still open at some step. Each claim gets its
subscriber and meter, its payment or charge to the next bill, its service-level clock, its
process instance and the process steps done or waiting. Meters fail more often with age and
for some makes. The same seed and end day give the same rows.

Rows are written with executemany in batches, one transaction per batch, with the primary
keys given here (the database is not written by anyone else meanwhile): Django's
bulk_create spends ten times longer compiling the SQL than the database spends inserting.
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
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from apps.meter_service import identifiers
from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.counter_office.models import CounterOffice
from apps.meter_service.doctype.fee_tariff.models import FeeTariff
from apps.meter_service.doctype.meter.models import Meter, MeterInstallation
from apps.meter_service.doctype.payment.models import BillCharge, Payment
from apps.meter_service.doctype.process.models import ProcessInstance, ProcessTask
from apps.meter_service.doctype.process.services import process_version_active
from apps.meter_service.doctype.sla.models import SlaClock
from apps.meter_service.doctype.subscriber.models import Subscriber

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


_NOW = object()  # stands for "the time of the insert" in auto_now fields


class _Table:
    """Insert plain dicts into a model's table with executemany, numbering their ids."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        if not settings.USE_TZ:
            raise ImproperlyConfigured("seed_scale expects USE_TZ = True")
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"
        self.next_id = (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        self.plan = [(f.attname, self._converter(f), self._default(f)) for f in self.fields]

    @staticmethod
    def _default(f: models.Field) -> object:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            return _NOW
        return f.get_default()

    @staticmethod
    def _converter(f: models.Field) -> Callable:
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

    def insert(self, rows: list[dict]) -> None:
        """Give each row its id (row["id"]) and insert them all; defaults fill the rest."""
        now = timezone.now()
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
        with connection.cursor() as cursor:
            for start in range(0, len(params), 1000):
                cursor.executemany(self.sql, params[start : start + 1000])


@dataclass
class SeedReport:
    subscribers: int = 0
    claims: int = 0
    payments: int = 0
    bill_charges: int = 0
    clocks: int = 0
    tasks: int = 0


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
) -> SeedReport:
    """Create `claims` claims with everything around them; return how many rows of each."""
    if Meter.objects.filter(serial__startswith=SERIAL_PREFIX).exists():
        raise ValueError("This database is seeded already; seed a fresh one.")
    rng = random.Random(seed)
    if connection.vendor == "sqlite":
        # A throwaway bulk load: do not wait for the disk at every commit (this connection only).
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = OFF")
    until = until or timezone.localdate()
    first_day = until - datetime.timedelta(days=days - 1)
    tz = timezone.get_default_timezone()
    report = SeedReport()

    version = process_version_active()
    tariff = FeeTariff.objects.filter(kind="meter_test").order_by("valid_from").first()
    if tariff is None:
        from apps.meter_service.doctype.fee_tariff.services import fee_tariff_save

        tariff = fee_tariff_save(
            kind="meter_test", amount_rial=TEST_FEE, valid_from=first_day - datetime.timedelta(1)
        )
    offices = _ensure_offices(rng)
    agencies = _ensure_agencies()

    # Subscribers (each with one meter): 70 % of the claims, so some subscribers file twice.
    subscriber_count = max(1, int(claims * 0.7))
    tables = {
        model: _Table(model)
        for model in (
            Subscriber, Meter, MeterInstallation, Claim, Payment, BillCharge, SlaClock,
            ProcessInstance, ProcessTask,
        )
    }  # fmt: skip
    subscriber_ids, meter_info = _seed_subscribers(
        rng, subscriber_count, batch_size, first_day, tables, report, progress
    )

    # Claims in time order; claim i is for subscriber i mod subscriber_count, so a repeat
    # filing comes long after the first one (at most one open claim per meter).
    day_weights = [
        0.25 if (first_day + datetime.timedelta(d)).weekday() == 4 else 1.0 for d in range(days)
    ]
    filed_days = sorted(rng.choices(range(days), weights=day_weights, k=claims))
    now = timezone.now()
    tracking = 900_000_000
    for chunk in _batches(claims, batch_size):
        rows = []
        for i in chunk:
            day = first_day + datetime.timedelta(days=filed_days[i])
            local = datetime.datetime.combine(day, datetime.time(7)) + datetime.timedelta(
                seconds=rng.randrange(0, 9 * HOUR)
            )
            filed_at = timezone.make_aware(local, tz)
            rows.append(
                _claim_row(rng, i, filed_at, now, subscriber_ids, meter_info, offices, agencies)
            )
        with transaction.atomic():
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
            _seed_around(rng, rows, objects, version, tables, report)
        report.claims += len(objects)
        progress(f"claims {report.claims:,}/{claims:,}")
    return report


def _check_digit(code: str) -> int:
    from apps.meter_service.tracking import verhoeff_check_digit

    return verhoeff_check_digit(code)


def _ensure_offices(rng: random.Random) -> list[CounterOffice]:
    offices = list(CounterOffice.objects.all())
    if len(offices) >= 20:
        return offices
    made = []
    for n in range(40):
        city = _weighted(rng, CITIES)[0]
        made.append({"code": f"2811{n:04d}", "name": f"دفتر پیشخوان {city} {n + 1}", "city": city})
    CounterOffice.objects.bulk_create([CounterOffice(**row) for row in made])
    return list(CounterOffice.objects.all())


def _ensure_agencies() -> list[Agency]:
    for code, name in (("dolat-hamrah", "دولت همراه"), ("ivr-gas", "سامانه ۱۹۴")):
        Agency.objects.get_or_create(code=code, defaults={"name": name})
    return list(Agency.objects.all())


def _seed_subscribers(rng, count, batch_size, first_day, tables, report, progress):
    subscriber_ids: list[int] = []
    meter_info: list[tuple[int, int | None, float]] = []  # meter id, year, fault weight
    for chunk in _batches(count, batch_size):
        subscribers, meters, models_of = [], [], []
        for i in chunk:
            number = str(FIRST_SUBSCRIPTION + i)
            city = _weighted(rng, CITIES)[0]
            subscribers.append(
                {
                    "subscription_number": number,
                    "bill_id": identifiers.build_bill_id(number, COMPANY_CODE, 3),
                    "customer_type": "g2c",
                    "national_id": _national_id(i),
                    "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
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
            models_of.append((year, weight))
        with transaction.atomic():
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
        meter_info += [(m["id"], y, w) for m, (y, w) in zip(meters, models_of, strict=True)]
        report.subscribers += len(subscribers)
        progress(f"subscribers {report.subscribers:,}/{count:,}")
    return subscriber_ids, meter_info


def _claim_row(rng, i, filed_at, now, subscriber_ids, meter_info, offices, agencies) -> dict:
    index = i % len(subscriber_ids)
    meter_id, year, weight = meter_info[index]
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
    if age_days > 21:  # ended
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
        closed_at = min(closed_at, now)
    paid_at = filed_at + datetime.timedelta(minutes=rng.randrange(5, 600)) if paid else None
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
    return {"claim": claim, "worked": worked, "verdict": verdict, "bill_id": bill_id}


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


def _seed_around(rng, rows, claims, version, tables, report) -> None:
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
    tasks = []
    for row, instance in zip(rows, instances, strict=True):
        data = row["claim"]
        done, waiting = _steps(rng, data["status"], row["verdict"])
        at = data["paid_at"] or data["filed_at"]
        end = data["closed_at"] or timezone.now()
        step = (end - at) / (len(done) + 1)
        for n, element in enumerate(done):
            name, lane = STEP_LANES[element]
            tasks.append(
                {
                    "instance_id": instance["id"],
                    "task_id": uuid.UUID(int=rng.getrandbits(128), version=4),
                    "element_id": element,
                    "name": name,
                    "lane": lane,
                    "ready_at": at + step * n,
                    "completed_at": at + step * (n + 1),
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
    tables[ProcessTask].insert(tasks)
    report.payments += len(payments)
    report.bill_charges += len(charges)
    report.clocks += len(clocks)
    report.tasks += len(tasks)
