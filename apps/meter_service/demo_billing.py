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

import jdatetime
from django.conf import settings
from django.utils import timezone, translation

from apps.meter_service import identifiers
from apps.meter_service.doctype.correction import rules as correction_rules

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
    from apps.meter_service.doctype.gas_tariff.services import read_tariff_csv

    return read_tariff_csv(Path(settings.FIXTURE_DIRS[0]) / TARIFF_FILE)


def _scaled(blocks, factor: Decimal):
    from apps.meter_service.doctype.gas_tariff.services import BlockData

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
    from apps.meter_service.doctype.gas_tariff.models import Season
    from apps.meter_service.doctype.subscriber.models import ClimateZone, TariffGroup

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
    from apps.meter_service.doctype.gas_tariff.models import GasTariff
    from apps.meter_service.doctype.gas_tariff.services import (
        gas_tariff_create,
        gas_tariff_load_csv,
    )

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
            pieces = [("warm", None, _gregorian(year, 1, 16), _gregorian(year, 8, 15), warm)]
            for zone in DEMO_ZONES:
                pieces.append(
                    ("cold", zone, _gregorian(year, 1, 1), _gregorian(year, 1, 15), cold[zone])
                )
                pieces.append(("cold", zone, _gregorian(year, 8, 16), _year_end(year), cold[zone]))
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
    from apps.meter_service.doctype.bill.models import Bill
    from apps.meter_service.doctype.bill.services import bill_upsert
    from apps.meter_service.doctype.gas_tariff.selectors import tariff_pricer, tariff_spans

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
