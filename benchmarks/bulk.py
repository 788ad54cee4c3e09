"""Time the bulk work on the configured database: imports of N rows, and seed_scale.

    METER_DATABASE_URL=... .venv/bin/python benchmarks/bulk.py [--rows 100000]
        [--target subscriber bill] [--profile FILE] [--seed-claims 20000]

For each target (subscribers, then one bill for each of those subscribers), a CSV file of
`--rows` good rows goes through the import as the desk runs it: upload, check (the dry
run), start and apply, each step called directly (no job queue). Printed: seconds of the
check and of the apply, rows/s, the CPU time of this process (what a loaded machine
inflates least), the longest single transaction (an upper bound of how long
the writer lock was held: on SQLite every write transaction holds it) and how many there
were, the progress the desk reads at the end; beside a baseline of the same run, a plain
`bulk_create` of the same number of rows into the same table, as ratios. The rows are
deleted afterwards.

With `--seed-claims K` (a database that seed_scale has not seeded), also times
`seed_scale --claims K` and the dashboard roll-up's build after it, and prints seconds per
100,000 claims. The machine's load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import io
import os
import pstats
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sites.settings")

FIRST_NUMBER = 60_000_000  # the imported subscription numbers (seed_scale uses 80,000,000+)
BASELINE_NUMBER = 50_000_000


class TransactionClock:
    """Times every outermost transaction.atomic block: the longest and how many."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.count = 0

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        from django.db import connection, transaction

        enter, exit_ = transaction.Atomic.__enter__, transaction.Atomic.__exit__
        starts: list[float | None] = []
        clock = self

        def timed_enter(atomic):
            starts.append(time.perf_counter() if not connection.in_atomic_block else None)
            return enter(atomic)

        def timed_exit(atomic, *exc):
            try:
                return exit_(atomic, *exc)
            finally:
                started = starts.pop()
                if started is not None:
                    clock.count += 1
                    clock.longest = max(clock.longest, time.perf_counter() - started)

        transaction.Atomic.__enter__ = timed_enter  # type: ignore[method-assign]
        transaction.Atomic.__exit__ = timed_exit  # type: ignore[method-assign]
        try:
            yield
        finally:
            transaction.Atomic.__enter__ = enter  # type: ignore[method-assign]
            transaction.Atomic.__exit__ = exit_  # type: ignore[method-assign]


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def csv_bytes(header: list[str], rows: Iterator[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def national_id(n: int) -> str:
    from apps.meter_service.core import identifiers

    nine = f"{(123456789 + n * 7919) % 10**9:09d}"
    if len(set(nine)) == 1 or nine[3:9] == "000000":
        nine = "123" + nine[3:]
    return nine + str(identifiers.national_id_check_digit(nine))


def subscriber_file(rows: int, persian: bool) -> bytes:
    from apps.meter_service.core import identifiers

    header = ["subscription_number", "bill_id", "customer_type", "national_id", "name"]
    header += ["mobile", "city", "address"]

    def lines() -> Iterator[list[str]]:
        for i in range(rows):
            number = FIRST_NUMBER + i
            line = [
                str(number),
                identifiers.build_bill_id(number, "281", 3),
                "g2c",
                national_id(i),
                "سارا محمدی",
                f"0912{i % 10**7:07d}",
                "قزوین",
                f"خیابان نادری، پلاک {i % 200 + 1}",
            ]
            yield [identifiers.to_persian_digits(v) for v in line] if persian else line

    return csv_bytes(header, lines())


def bill_file(rows: int, persian: bool) -> bytes:
    from apps.meter_service.core import identifiers

    header = ["bill_id", "payment_id", "period_start", "period_end", "previous_reading"]
    header += ["current_reading", "volume_m3", "amount_rial", "is_estimated"]

    def lines() -> Iterator[list[str]]:
        for i in range(rows):
            bill_id = identifiers.build_bill_id(FIRST_NUMBER + i, "281", 3)
            amount = 100_000 + (i % 500) * 1000
            line = [
                bill_id,
                identifiers.build_payment_id(bill_id, amount, 3, 1),
                "1403/01/01",
                "1403/03/01",
                "1000",
                "1120",
                "120",
                str(amount),
                "خیر",
            ]
            yield [identifiers.to_persian_digits(v) for v in line] if persian else line

    return csv_bytes(header, lines())


def baseline(target: str, rows: int) -> float:
    """A plain bulk_create of `rows` rows into the target's table; seconds."""
    from apps.meter_service.core import identifiers
    from apps.meter_service.doctype.bill.models import Bill
    from apps.meter_service.doctype.subscriber.models import Subscriber

    if target == "subscriber":
        objects = [
            Subscriber(
                subscription_number=str(BASELINE_NUMBER + i),
                bill_id=identifiers.build_bill_id(BASELINE_NUMBER + i, "281", 3),
                customer_type="g2c",
                national_id=national_id(i),
                name="سارا محمدی",
                mobile=f"0912{i % 10**7:07d}",
                city="قزوین",
                address="خیابان نادری",
            )
            for i in range(rows)
        ]
        started = time.perf_counter()
        Subscriber.objects.bulk_create(objects, batch_size=1000)
        return time.perf_counter() - started
    import datetime
    from decimal import Decimal

    subscribers = list(
        Subscriber.objects.filter(subscription_number__startswith="6").values_list("pk", "bill_id")
    )[:rows]
    objects = [
        Bill(
            subscriber_id=pk,
            bill_id=bill_id,
            payment_id=f"9{i:012d}",
            period_start=datetime.date(2025, 1, 1),
            period_end=datetime.date(2025, 3, 1),
            previous_reading=Decimal("1000"),
            current_reading=Decimal("1120"),
            volume_m3=Decimal("120"),
            amount_rial=100_000,
            tariff_group="residential",
            climate_zone=1,
            source="import",
        )
        for i, (pk, bill_id) in enumerate(subscribers)
    ]
    started = time.perf_counter()
    Bill.objects.bulk_create(objects, batch_size=1000)
    return time.perf_counter() - started


def run_import(target: str, content: bytes, actor, profile: cProfile.Profile | None) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.meter_service.doctype.import_batch import services
    from apps.meter_service.doctype.import_batch.models import ImportStatus
    from apps.meter_service.doctype.import_batch.selectors import import_batch_progress

    figures: dict = {}
    upload = SimpleUploadedFile(f"{target}.csv", content)
    started = time.perf_counter()
    batch = services.import_batch_create(target=target, uploaded_file=upload, actor=actor)
    figures["upload"] = time.perf_counter() - started
    for step in ("check", "apply"):
        clock = TransactionClock()
        started, cpu = time.perf_counter(), time.process_time()
        with clock.watching():
            if profile:
                profile.enable()
            if step == "check":
                batch = services.import_batch_validate(batch_id=batch.pk)
                if batch.status != ImportStatus.VALID:
                    raise SystemExit(f"check failed: {batch.errors[:3]}")
                batch = services.import_batch_start(batch=batch, actor=actor)
            else:
                batch = services.import_batch_apply(batch_id=batch.pk)
                if batch.status != ImportStatus.IMPORTED:
                    raise SystemExit(f"apply failed: {batch.errors[:3]}")
            if profile:
                profile.disable()
        figures[step] = time.perf_counter() - started
        figures[f"{step}_cpu"] = time.process_time() - cpu
        figures[f"{step}_longest"] = clock.longest
        figures[f"{step}_transactions"] = clock.count
    figures["progress"] = import_batch_progress(batch)
    figures["created"] = batch.created_rows
    return figures


def cleanup() -> None:
    from django.db import transaction

    from apps.meter_service.doctype.bill.models import Bill
    from apps.meter_service.doctype.subscriber.models import Subscriber

    numbers = ("5", "6")
    with transaction.atomic():
        for first in numbers:
            mine = Subscriber.objects.filter(
                subscription_number__startswith=first, subscription_number__regex=r"^\d{8}$"
            )
            Bill.objects.filter(subscriber__in=mine).delete()
            mine.delete()


def seed(claims: int) -> None:
    from django.core.management import call_command

    out = io.StringIO()
    started = time.perf_counter()
    call_command("seed_scale", claims=claims, stdout=out)
    seconds = time.perf_counter() - started
    per = seconds / claims * 100_000
    print(f"\nseed_scale --claims {claims:,} with the roll-up's build: {seconds:.1f} s")
    # The command's own summary: the seeding's seconds and the roll-up build's apart (the
    # build's share does not grow with the claims as fast: it reads every day once).
    for line in out.getvalue().splitlines():
        if not line.startswith(" "):
            print(f"  {line}")
        if line.startswith("seeded "):
            alone = int(line.rsplit(" in ", 1)[1].split()[0]) / claims * 100_000
            print(f"  seeding alone: {alone:.1f} s per 100,000 claims")
    print(f"  all: {per:.1f} s per 100,000 claims; 1,000,000 at this rate: {per * 10 / 60:.1f} min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--target", nargs="*", default=["subscriber", "bill"], choices=["subscriber", "bill"]
    )
    parser.add_argument("--persian", action="store_true", help="digits written in Persian")
    parser.add_argument("--profile", help="write a cProfile of the check and apply here")
    parser.add_argument("--seed-claims", type=int, default=0)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection

    from apps.meter_service.doctype.import_batch import readers

    readers.max_rows = lambda: args.rows  # the site's cap is for uploads through the desk
    readers.max_file_bytes = lambda: 1 << 30
    print(f"database: {connection.vendor}; load average at start: {load()}")
    actor, _created = User.objects.get_or_create(
        username="bench-import", defaults={"is_staff": True, "is_superuser": True}
    )
    profile = cProfile.Profile() if args.profile else None
    cleanup()
    try:
        for target in args.target:
            if target == "bill" and "subscriber" not in args.target:
                raise SystemExit("bills need the subscribers of the same run (--target both)")
            content = (subscriber_file if target == "subscriber" else bill_file)(
                args.rows, args.persian
            )
            figures = run_import(target, content, actor, profile)
            base = baseline(target, args.rows)
            rows = args.rows
            print(f"\n{target}: {rows:,} rows ({figures['created']:,} created)")
            print(f"  upload (read and store the file): {figures['upload']:.1f} s")
            for step in ("check", "apply"):
                seconds = figures[step]
                print(
                    f"  {step}: {seconds:.1f} s, {rows / seconds:,.0f} rows/s, "
                    f"{seconds / base:.1f}x the baseline; this process's CPU "
                    f"{figures[f'{step}_cpu']:.1f} s; longest transaction "
                    f"{figures[f'{step}_longest'] * 1000:.0f} ms of "
                    f"{figures[f'{step}_transactions']:,}"
                )
            print(
                f"  baseline, bulk_create of {rows:,} rows: {base:.2f} s, {rows / base:,.0f} rows/s"
            )
            print(f"  progress shown at the end: {figures['progress']}")
    finally:
        cleanup()
    if profile:
        profile.dump_stats(args.profile)
        pstats.Stats(args.profile).sort_stats("cumulative").print_stats(25)
    if args.seed_claims:
        seed(args.seed_claims)
    print(f"\nload average at the end: {load()}")


if __name__ == "__main__":
    main()
