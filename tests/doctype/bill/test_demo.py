"""The demo's tariffs and bills: every demo claim's subscriber has two years of bills whose
amounts the correction's pricer gives again, under tariffs that change on the right days."""

from __future__ import annotations

import datetime
import itertools
import re
import time

import jdatetime
import pytest

from apps.meter_service.demo.data import DEMO_CLAIMS, load_demo
from apps.meter_service.doctype.bill.models import Bill
from apps.meter_service.doctype.bill.selectors import billed_periods
from apps.meter_service.doctype.correction import rules as correction_rules
from apps.meter_service.doctype.gas_tariff.models import GasTariff
from apps.meter_service.doctype.gas_tariff.selectors import tariff_pricer, tariff_spans
from apps.meter_service.doctype.subscriber.models import Subscriber

pytestmark = pytest.mark.django_db


def jalali(year, month, day) -> datetime.date:
    return jdatetime.date(year, month, day).togregorian()


@pytest.fixture
def demo(roles):
    began = time.monotonic()
    counts = load_demo(password="demo-pass")
    return counts, time.monotonic() - began


def test_demo_bills_are_priced_by_the_tariffs_in_force(demo):
    counts, _seconds = demo
    assert counts["bills"] == 12 * len(DEMO_CLAIMS)
    pricer = tariff_pricer()
    for number in DEMO_CLAIMS:
        subscriber = Subscriber.objects.get(subscription_number=number)
        periods = billed_periods(subscriber)
        assert len(periods) == 12
        assert all(a.end == b.start for a, b in itertools.pairwise(periods))
        assert periods[-1].end - periods[0].start == datetime.timedelta(days=720)
        spans = tariff_spans(
            tariff_group=subscriber.tariff_group,
            climate_zone=subscriber.climate_zone,
            start=periods[0].start,
            end=periods[-1].end,
        )
        for period in periods:
            priced = correction_rules.price_period(
                period=period,
                corrected_m3=period.volume_m3,
                method="",
                note="",
                spans=spans,
                pricer=pricer,
            )
            assert priced.registered_rial == period.amount_rial > 0


def test_demo_tariffs_change_on_farvardin_1_and_the_seasons_on_the_16th(demo):
    # 1404/01/01: a new year's prices; 1404/01/16 warm months; 1404/08/16 cold months
    spans = tariff_spans(
        tariff_group="household", climate_zone=1, start=jalali(1403, 12, 1), end=jalali(1404, 9, 1)
    )
    starts = [span.start for span in spans]
    assert starts == [
        jalali(1403, 12, 1),
        jalali(1404, 1, 1),
        jalali(1404, 1, 16),
        jalali(1404, 8, 16),
    ]
    names = [GasTariff.objects.get(pk=span.key).name for span in spans]
    assert names[0].startswith("نمونه: خانگی ۱۴۰۳، ماه‌های سرد")
    assert names[1].startswith("نمونه: خانگی ۱۴۰۴، ماه‌های سرد")
    first_1403 = GasTariff.objects.get(pk=spans[0].key).blocks.get(from_m3=0).rial_per_m3
    first_1404 = GasTariff.objects.get(pk=spans[1].key).blocks.get(from_m3=0).rial_per_m3
    assert first_1404 == round(first_1403 * 1.25)
    # the published table is there as well, under its own dates
    assert GasTariff.objects.filter(effective_from=jalali(1397, 1, 16)).exists()
    assert GasTariff.objects.filter(tariff_group="commercial", pricing_method="whole").exists()


def test_demo_tariff_names_are_persian(demo):
    # The names reach the subscriber's correction statement: no English, no Latin digits.
    names = list(GasTariff.objects.values_list("name", flat=True))
    assert names
    assert [name for name in names if re.search(r"[A-Za-z0-9]", name)] == []
    assert "نمونه: تجاری ۱۴۰۵، ماه‌های سرد از ۱۶ آبان، اقلیم ۲" in names


def test_a_demo_seeded_with_english_tariff_names_is_renamed(demo):
    tariff = GasTariff.objects.get(name="نمونه: خانگی ۱۴۰۴، ماه‌های گرم، همه مناطق اقلیمی")
    GasTariff.objects.filter(pk=tariff.pk).update(name="Demo: household 1404, warm , all zones")
    count = GasTariff.objects.count()
    load_demo(password="demo-pass")
    assert GasTariff.objects.count() == count
    tariff.refresh_from_db()
    assert tariff.name == "نمونه: خانگی ۱۴۰۴، ماه‌های گرم، همه مناطق اقلیمی"


def test_loading_the_demo_again_adds_no_tariff_or_bill(demo):
    counts, seconds = demo
    assert seconds < 30  # scripts/serve loads it
    again = load_demo(password="demo-pass")
    assert (again["gas_tariffs"], again["bills"]) == (counts["gas_tariffs"], counts["bills"])
    assert Bill.objects.filter(source="demo").count() == counts["bills"]
