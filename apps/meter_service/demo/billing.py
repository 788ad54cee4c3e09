"""Demo gas tariffs and bills, so that bill corrections have something to re-price.

The published 1397 household table is loaded as it is. For the demo years the same blocks
are re-dated and priced up (clearly named "Demo"): a new price list from 1 Farvardin each year,
cold months to 15 Farvardin, warm months from 16 Farvardin to 15 Aban, cold again from 16 Aban;
household tables priced slab by slab, commercial ones (the bakery) the whole volume at its
block's rate. Each demo subscriber with a demo claim gets two years of 60-day bills whose
amounts come from the same pricer the correction uses, so a correction's "registered" amount
is the billed amount.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import jdatetime
from django.conf import settings
from django.utils import timezone, translation

from apps.meter_service.core import identifiers
from apps.meter_service.doctype.bill.models import Bill
from apps.meter_service.doctype.bill.services import bill_create, bill_upsert
from apps.meter_service.doctype.correction import rules as correction_rules
from apps.meter_service.doctype.correction.models import BillCorrection, CorrectionStatus
from apps.meter_service.doctype.correction.services import write_periods
from apps.meter_service.doctype.gas_tariff.models import GasTariff, Season
from apps.meter_service.doctype.gas_tariff.selectors import tariff_pricer, tariff_spans
from apps.meter_service.doctype.gas_tariff.services import (
    BlockData,
    gas_tariff_create,
    gas_tariff_load_csv,
    read_tariff_csv,
)
from apps.meter_service.doctype.subscriber.models import ClimateZone, TariffGroup

TARIFF_FILE = "gas_tariff_household_1397.csv"
FIRST_DEMO_YEAR = 1403
LAST_DEMO_YEAR = 1405
# 1403's prices are the 1397 list doubled; each later year 25 % above the one before.
BASE_FACTOR = Decimal(2)
YEARLY_INCREASE = Decimal("1.25")
COMMERCIAL_FACTOR = Decimal("1.5")
DEMO_ZONES = (1, 2)

PERIOD_DAYS = 60
PERIODS = 12  # two years
# Daily use in m³ (warm, cold) by tariff group and climate zone; a bakery uses more.
DAILY_USE = {
    ("household", 1): (Decimal("1.4"), Decimal("8.5")),
    ("household", 2): (Decimal("1.2"), Decimal("6.5")),
    ("commercial", 1): (Decimal("22"), Decimal("38")),
    ("commercial", 2): (Decimal("20"), Decimal("33")),
}


def _gregorian(year: int, month: int, day: int) -> datetime.date:
    return jdatetime.date(year, month, day).togregorian()


def _year_end(year: int) -> datetime.date:
    return _gregorian(year + 1, 1, 1) - datetime.timedelta(days=1)


def demo_years(today: datetime.date) -> range:
    """The Jalali years with demo tables: 1403 to 1405, and any year two years of bills need."""
    this_year = jdatetime.date.fromgregorian(date=today).year
    return range(min(FIRST_DEMO_YEAR, this_year - 2), max(LAST_DEMO_YEAR, this_year) + 1)


def _published_tables() -> list[dict]:

    return read_tariff_csv(Path(settings.FIXTURE_DIRS[0]) / TARIFF_FILE)


def _scaled(blocks, factor: Decimal):

    return [
        BlockData(
            b.from_m3,
            b.to_m3,
            int((b.rial_per_m3 * factor).quantize(Decimal(1), ROUND_HALF_UP)),
        )
        for b in blocks
    ]


DEMO_NAME_PREFIX = "نمونه:"


def demo_tariff_name(
    group: str, year: int, season: str, zone: int | None, *, from_aban: bool
) -> str:
    """The Persian name of a demo table (it reaches the correction statement the subscriber
    gets): نمونه: خانگی ۱۴۰۴، ماه‌های سرد از ۱۶ آبان، اقلیم ۲."""

    with translation.override("fa"):
        season_text = str(Season(season).label) + (" از ۱۶ آبان" if from_aban else "")
        every_zone = translation.gettext("all climate zones")
        zone_text = str(ClimateZone(zone).label) if zone else every_zone
        group_text = str(TariffGroup(group).label)
    year_text = identifiers.to_persian_digits(str(year))
    return f"{DEMO_NAME_PREFIX} {group_text} {year_text}، {season_text}، {zone_text}"


def _english_demo_tariff_name(
    group: str, year: int, season: str, zone: int | None, from_aban: bool
) -> str:
    """The name demo tables had before, for renaming them in a demo seeded earlier."""
    zone_text = f"zone {zone}" if zone else "all zones"
    part = "from 16 Aban" if from_aban else ""
    return f"Demo: {group} {year}, {season} {part}, {zone_text}".replace("  ", " ")


def ensure_gas_tariffs(*, actor, today: datetime.date | None = None) -> int:
    """Load the 1397 table and create the missing demo tables; return how many exist."""

    if not GasTariff.objects.filter(tariff_group="household", season="warm").exists():
        gas_tariff_load_csv(
            Path(settings.FIXTURE_DIRS[0]) / TARIFF_FILE, tariff_group="household", actor=actor
        )
    tables = _published_tables()
    warm = next(t["blocks"] for t in tables if t["season"] == "warm")
    cold = {t["climate_zone"]: t["blocks"] for t in tables if t["season"] == "cold"}
    existing = set(
        GasTariff.objects.filter(name__startswith=DEMO_NAME_PREFIX).values_list("name", flat=True)
    )
    for year in demo_years(today or timezone.localdate()):
        factor = BASE_FACTOR * YEARLY_INCREASE ** (year - FIRST_DEMO_YEAR)
        for group, method, group_factor in (
            ("household", "slab", Decimal(1)),
            ("commercial", "whole", COMMERCIAL_FACTOR),
        ):
            pieces: list[tuple[str, int | None, datetime.date, datetime.date, Any]] = [
                ("warm", None, _gregorian(year, 1, 16), _gregorian(year, 8, 15), warm)
            ]
            for cold_zone in DEMO_ZONES:
                blocks = cold[cold_zone]
                pieces.append(
                    ("cold", cold_zone, _gregorian(year, 1, 1), _gregorian(year, 1, 15), blocks)
                )
                pieces.append(("cold", cold_zone, _gregorian(year, 8, 16), _year_end(year), blocks))
            for season, zone, start, end, blocks in pieces:
                from_aban = start.month in (11, 12) and season == "cold"
                name = demo_tariff_name(group, year, season, zone, from_aban=from_aban)
                if name in existing:
                    continue
                # A demo seeded before the names were Persian: rename its table, not a twin.
                english = _english_demo_tariff_name(group, year, season, zone, from_aban)
                if GasTariff.objects.filter(name=english).update(name=name):
                    continue
                gas_tariff_create(
                    name=name,
                    tariff_group=group,
                    season=season,
                    climate_zone=zone,
                    effective_from=start,
                    effective_to=end,
                    pricing_method=method,
                    blocks=_scaled(blocks, factor * group_factor),
                    actor=actor,
                    source="demo",
                )
    return GasTariff.objects.count()


def _volume(group: str, zone: int, start: datetime.date, days: int, wobble: Decimal) -> Decimal:
    """The demo volume of a period: the daily use of each day's season, summed."""
    warm_use, cold_use = DAILY_USE[(group, zone)]
    total = Decimal(0)
    for offset in range(days):
        day = jdatetime.date.fromgregorian(date=start + datetime.timedelta(days=offset))
        is_warm = (day.month, day.day) >= (1, 16) and (day.month, day.day) <= (8, 15)
        total += warm_use if is_warm else cold_use
    return (total * wobble).quantize(Decimal(1), ROUND_HALF_UP)


def ensure_bills(*, subscribers, actor, today: datetime.date | None = None) -> int:
    """Give each subscriber without bills two years of 60-day bills; return how many exist."""

    today = today or timezone.localdate()
    pricer = tariff_pricer()
    for index, subscriber in enumerate(subscribers):
        if Bill.objects.filter(subscriber=subscriber).exists():
            continue  # made on an earlier day: periods are counted back from that day
        # Meters are read on different days; the last reading is 10 days ago or more.
        end = today - datetime.timedelta(days=10 + 7 * index)
        start = end - datetime.timedelta(days=PERIOD_DAYS * PERIODS)
        reading = Decimal(1000 + 3571 * index)
        group, zone = subscriber.tariff_group, subscriber.climate_zone
        spans = tariff_spans(tariff_group=group, climate_zone=zone, start=start, end=end)
        for number in range(PERIODS):
            period_start = start + datetime.timedelta(days=PERIOD_DAYS * number)
            period_end = period_start + datetime.timedelta(days=PERIOD_DAYS)
            wobble = Decimal(1) + Decimal((number * 7 + index * 3) % 5 - 2) / 20
            volume = _volume(group, zone, period_start, PERIOD_DAYS, wobble)
            period = correction_rules.BilledPeriod("", period_start, period_end, volume, 0)
            priced = correction_rules.price_period(
                period=period,
                corrected_m3=volume,
                method="",
                note="",
                spans=spans,
                pricer=pricer,
            )
            amount = priced.registered_rial
            jalali_end = jdatetime.date.fromgregorian(date=period_end)
            payment_id = identifiers.build_payment_id(
                subscriber.bill_id,
                max(amount // 1000, 1) * 1000,  # the payable amount is whole thousands
                jalali_end.year % 10,
                (jalali_end.month + 1) // 2,
            )
            bill_upsert(
                data={
                    "subscriber": subscriber,
                    "bill_id": subscriber.bill_id,
                    "payment_id": payment_id,
                    "period_start": period_start,
                    "period_end": period_end,
                    "previous_reading": reading,
                    "current_reading": reading + volume,
                    "volume_m3": volume,
                    "amount_rial": amount,
                    "issued_on": period_end + datetime.timedelta(days=2),
                },
                source="demo",
                actor=actor,
            )
            reading += volume
    return Bill.objects.count()


# A stopped meter stopped some four months before its test: its bills since registered a
# tenth of what passed it.
STOPPED_SHARE = Decimal("0.1")
STOPPED_DAYS = 120
# Bills before the window, so a stopped meter's use can be estimated from the periods
# before it.
PERIODS_BEFORE_WINDOW = 3


def _seed_bills_for(correction, *, pricer, actor) -> None:
    """The bills the correction needs: 60-day bills up to the test day, on from the
    subscriber's last bill or else reaching back before the window. What the faulty meter
    registered on them (its error applied, or a stopped meter's share), each amount priced
    by the tariffs as the billing system would have."""

    subscriber = correction.claim.subscriber
    group, zone = subscriber.tariff_group, subscriber.climate_zone
    last = Bill.objects.filter(subscriber=subscriber).order_by("-period_end").first()
    if last is not None and last.period_end >= correction.window_end:
        return
    since = (
        last.period_end
        if last is not None
        else correction.window_start - datetime.timedelta(days=PERIOD_DAYS * PERIODS_BEFORE_WINDOW)
    )
    ends = [correction.window_end]
    while ends[-1] - datetime.timedelta(days=PERIOD_DAYS) > since:
        ends.append(ends[-1] - datetime.timedelta(days=PERIOD_DAYS))
    ends.reverse()
    starts = [since if last is not None else ends[0] - datetime.timedelta(days=PERIOD_DAYS)]
    starts += ends[:-1]
    spans = tariff_spans(tariff_group=group, climate_zone=zone, start=starts[0], end=ends[-1])
    reading = last.current_reading if last is not None else Decimal(1000)
    numbers = Bill.objects.filter(subscriber=subscriber).count()
    for number, (period_start, period_end) in enumerate(zip(starts, ends, strict=True), numbers):
        days = (period_end - period_start).days
        used = _volume(group, zone, period_start, days, Decimal(1))
        registered = used
        if period_end > correction.window_start:  # faulty over the window
            stopped_from = correction.window_end - datetime.timedelta(days=STOPPED_DAYS)
            if correction.verdict == "stopped":
                registered = used * STOPPED_SHARE if period_end > stopped_from else used
            elif correction.error_percent is not None:
                registered = used * (1 + correction.error_percent / 100)
        registered = registered.quantize(Decimal(1), ROUND_HALF_UP)
        period = correction_rules.BilledPeriod("", period_start, period_end, registered, 0)
        amount = correction_rules.price_period(
            period=period, corrected_m3=registered, method="", note="", spans=spans, pricer=pricer
        ).registered_rial
        jalali_end = jdatetime.date.fromgregorian(date=period_end)
        bill_create(
            subscriber=subscriber,
            fields={
                "bill_id": subscriber.bill_id,
                "payment_id": identifiers.build_payment_id(
                    subscriber.bill_id,
                    max(amount // 1000, 1) * 1000,
                    jalali_end.year % 10,
                    number + 1,  # the bill's period number: unique in the subscription
                ),
                "period_start": period_start,
                "period_end": period_end,
                "previous_reading": reading,
                "current_reading": reading + registered,
                "volume_m3": registered,
                "amount_rial": amount,
                "issued_on": period_end + datetime.timedelta(days=2),
            },
            source="demo",
            actor=actor,
        )
        reading += registered


def ensure_correction_lines(*, actor=None) -> int:
    """Give each seeded correction (totals only, from the dashboards' history) the bills it
    corrects and compute its lines from them, so its statement lists what it adds up.

    The totals become the computed ones. Returns how many corrections got their lines.
    """

    todo = list(
        BillCorrection.objects.filter(periods__isnull=True)
        .exclude(status=CorrectionStatus.NOT_POSSIBLE)
        .select_related("claim__subscriber")
        .order_by("window_start")
    )
    if not todo:
        return 0
    earliest = todo[0].window_start - datetime.timedelta(
        days=PERIOD_DAYS * (PERIODS_BEFORE_WINDOW + 2)
    )
    ensure_gas_tariffs(actor=actor, today=earliest)  # the tables of the oldest bills too
    pricer = tariff_pricer()
    done = 0
    for correction in todo:
        subscriber = correction.claim.subscriber
        _seed_bills_for(correction, pricer=pricer, actor=actor)
        bills = list(
            Bill.objects.filter(
                subscriber=subscriber, period_start__lt=correction.window_end
            ).order_by("period_start")
        )
        periods = [
            correction_rules.BilledPeriod(
                str(b.pk), b.period_start, b.period_end, b.volume_m3, b.amount_rial
            )
            for b in bills
        ]
        window = (correction.window_start, correction.window_end)
        result = correction_rules.compute_correction(
            bills=periods,
            window=window,
            verdict=correction.verdict,
            error_percent=correction.error_percent,
            spans=tariff_spans(
                tariff_group=subscriber.tariff_group,
                climate_zone=subscriber.climate_zone,
                start=window[0],
                end=window[1],
            ),
            pricer=pricer,
            history=periods,
        )
        write_periods(correction, result, {b.pk: b for b in bills})
        correction.registered_rial = sum(p.registered_rial for p in result.periods)
        correction.corrected_rial = sum(p.corrected_rial for p in result.periods)
        correction.difference_rial = result.difference_rial
        correction.save(update_fields=["registered_rial", "corrected_rial", "difference_rial"])
        done += 1
    return done
