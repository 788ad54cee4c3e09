"""Pricing a period on the 1397 household table, worked by hand.

The table (fixtures/gas_tariff_household_1397.csv), by monthly consumption:
  warm (1397/01/16 to 1397/08/15 = 2018-04-05 to 2018-11-06, all zones):
      0–45 m³ at 1,081; 46–95 at 1,311; 96–145 at 1,656; 146–195 at 2,116; 196–245 at 2,576;
      246–295 at 2,806; 296–345 at 3,151; ...; 546– at 4,301 Rial/m³
  cold, zone 1 (1397/08/16 to 1398/01/15 = 2018-11-07 to 2019-04-04):
      0–300 at 414; 301–400 at 690; ...
"46–95" is the 46th to the 95th cubic metre: the block covers (45, 95] on a continuous scale.
A month is TARIFF_MONTH_DAYS = 30 days unless a test sets it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from apps.meter_service.doctype.correction.rules import (
    BilledPeriod,
    CorrectionError,
    price_period,
    split_by_tariff,
)
from apps.meter_service.doctype.gas_tariff import rules
from apps.meter_service.doctype.gas_tariff.selectors import (
    tariff_for,
    tariff_label,
    tariff_pricer,
    tariff_spans,
)
from apps.meter_service.doctype.gas_tariff.services import BlockData, gas_tariff_update

D = datetime.date
WARM = [BlockData(0, 45, 1081), BlockData(46, 95, 1311), BlockData(96, None, 1656)]


def price(method, volume, days, month=30):
    return rules.price(WARM, method, volume_m3=Decimal(volume), days=days, month_days=month)


def test_slab_and_whole_over_one_month():
    # slab: 45 × 1,081 + 15 × 1,311 = 48,645 + 19,665 = 68,310
    assert price("slab", "60", 30) == 68_310
    # whole: 60 m³ is in the second block, so all of it at 1,311 = 78,660
    assert price("whole", "60", 30) == 78_660
    # exactly on a block's end: 45 m³ is still the first block, either way 45 × 1,081
    assert price("slab", "45", 30) == price("whole", "45", 30) == 48_645
    # 45.5 m³ is past the first block: whole 45.5 × 1,311 = 59,650.5 → 59,651 (half up)
    assert price("whole", "45.5", 30) == 59_651


def test_a_period_is_priced_as_a_monthly_rate_scaled_back_by_days():
    # 120 m³ in 60 days = 60 m³ a month: 68,310 a month × 2 = 136,620
    assert price("slab", "120", 60) == 136_620
    # 10 m³ in 7 days = 42.857 m³ a month, all in the first block: 10 × 1,081 = 10,810
    assert price("slab", "10", 7) == 10_810
    # the same 10 m³ in 3 days is 100 m³ a month, past the first two blocks:
    # (45 × 1,081 + 50 × 1,311 + 5 × 1,656) × 3/30 = (48,645 + 65,550 + 8,280) / 10 = 12,247.5
    # → 12,248: rounded once, half up, at the end
    assert price("slab", "10", 3) == 12_248
    # whole: 100 m³ a month is in the third block: 10 × 1,656 = 16,560
    assert price("whole", "10", 3) == 16_560


def test_the_month_is_a_setting(table_1397, settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "TARIFF_MONTH_DAYS": "30.4375"}
    # 60 m³ in 30 days is 60 × 30.4375 / 30 = 60.875 m³ a month:
    # 45 × 1,081 + 15.875 × 1,311 = 69,457.125 a month, × 30 / 30.4375 = 68,458.77 → 68,459
    assert tariff_pricer()(str(table_1397["warm"].pk), Decimal("60"), 30) == 68_459
    # a whole month of the setting's length is priced as a month: 68,310
    assert price("slab", "60", 1, Decimal(1)) == 68_310


def test_nothing_used_costs_nothing_and_bad_input_is_refused():
    assert price("slab", "0", 0) == 0
    with pytest.raises(ValueError):
        price("slab", "-1", 30)
    with pytest.raises(ValueError):
        price("slab", "5", 0)


def test_the_pricer_reads_each_tariff_once(table_1397, django_assert_num_queries):
    pricer = tariff_pricer()
    key = str(table_1397["warm"].pk)
    with django_assert_num_queries(1):
        assert pricer(key, Decimal("60"), 30) == 68_310
        assert pricer(key, Decimal("120"), 60) == 136_620
    # cold zone 1, whole or slab alike under 300 m³ a month: 250 × 414 = 103,500
    assert pricer(str(table_1397["cold1"].pk), Decimal("250"), 30) == 103_500


def test_whole_method_on_the_real_table(table_1397):
    gas_tariff_update(tariff=table_1397["warm"], pricing_method="whole")
    # 300 m³ a month is in block 7 (296–345): 300 × 3,151 = 945,300
    assert tariff_pricer()(str(table_1397["warm"].pk), Decimal("300"), 30) == 945_300


def test_which_table_is_in_force(table_1397):
    assert (
        tariff_for(tariff_group="household", climate_zone=1, day=D(2018, 11, 6))
        == (table_1397["warm"])
    )
    assert (
        tariff_for(tariff_group="household", climate_zone=1, day=D(2018, 11, 7))
        == (table_1397["cold1"])
    )
    assert (
        tariff_for(tariff_group="household", climate_zone=2, day=D(2019, 4, 4))
        == (table_1397["cold2"])
    )
    assert tariff_for(tariff_group="household", climate_zone=1, day=D(2019, 4, 5)) is None
    assert tariff_for(tariff_group="commercial", climate_zone=1, day=D(2018, 6, 1)) is None
    # zones 3 to 5 have no cold table in the file
    assert tariff_for(tariff_group="household", climate_zone=3, day=D(2018, 12, 1)) is None


def test_a_period_across_the_season_change_is_split_by_days(table_1397):
    """2018-10-23 to 2018-11-22 (1397/08/01 to 1397/09/01), 300 m³ in 30 days.

    Warm until 2018-11-06, cold from 2018-11-07: 15 days each, 150 m³ each.
      warm: 150 m³ in 15 days = 300 m³ a month, slab:
            45×1,081 + 50×1,311 + 50×1,656 + 50×2,116 + 50×2,576 + 50×2,806 + 5×3,151
            = 48,645 + 65,550 + 82,800 + 105,800 + 128,800 + 140,300 + 15,755 = 587,650
            × 15/30 = 293,825
      cold (zone 1): 300 m³ a month, all in the first block: 300 × 414 = 124,200 × 15/30
            = 62,100
    Together 355,925 Rial; the whole 300 m³ at warm prices would be 587,650.
    """
    start, end = D(2018, 10, 23), D(2018, 11, 22)
    spans = tariff_spans(tariff_group="household", climate_zone=1, start=start, end=end)
    warm, cold = str(table_1397["warm"].pk), str(table_1397["cold1"].pk)
    assert [(s.key, s.start, s.end) for s in spans] == [
        (warm, start, D(2018, 11, 7)),
        (cold, D(2018, 11, 7), end),
    ]
    assert split_by_tariff(start, end, spans) == spans
    period = BilledPeriod("1", start, end, Decimal("300"), 0)
    priced = price_period(
        period=period,
        corrected_m3=Decimal("300"),
        method="scaled",
        note="",
        spans=spans,
        pricer=tariff_pricer(),
    )
    assert [(p.days, p.registered_m3, p.registered_rial) for p in priced.pieces] == [
        (15, Decimal("150.000"), 293_825),
        (15, Decimal("150.000"), 62_100),
    ]
    assert priced.registered_rial == 355_925


def test_days_without_a_tariff_are_absent_so_the_split_reports_them(table_1397):
    start, end = D(2019, 3, 21), D(2019, 4, 20)
    spans = tariff_spans(tariff_group="household", climate_zone=1, start=start, end=end)
    assert [(s.start, s.end) for s in spans] == [(start, D(2019, 4, 5))]
    with pytest.raises(CorrectionError, match="2019-04-05"):
        split_by_tariff(start, end, spans)


def test_a_zones_own_table_wins_over_the_all_zones_one(table_1397):
    from apps.meter_service.doctype.gas_tariff.services import gas_tariff_create

    own = gas_tariff_create(
        name="warm, zone 1 only",
        tariff_group="household",
        season="warm",
        climate_zone=1,
        effective_from=D(2018, 6, 1),
        effective_to=D(2018, 6, 30),
        blocks=[(0, None, 999)],
    )
    spans = tariff_spans(
        tariff_group="household", climate_zone=1, start=D(2018, 5, 20), end=D(2018, 7, 10)
    )
    warm = str(table_1397["warm"].pk)
    assert [(s.key, s.start, s.end) for s in spans] == [
        (warm, D(2018, 5, 20), D(2018, 6, 1)),
        (str(own.pk), D(2018, 6, 1), D(2018, 7, 1)),
        (warm, D(2018, 7, 1), D(2018, 7, 10)),
    ]
    # zone 2 still has the all-zones table on those days
    spans2 = tariff_spans(
        tariff_group="household", climate_zone=2, start=D(2018, 5, 20), end=D(2018, 7, 10)
    )
    assert [s.key for s in spans2] == [warm]


def test_the_label_names_season_zone_dates_and_method(table_1397):
    from django.utils import translation

    with translation.override("en"):
        label = tariff_label(str(table_1397["cold1"].pk))
    assert "Cold months" in label and "Zone 1" in label
    assert "2018-11-07" in label and "2019-04-04" in label
    assert "slice at its own rate" in label
    with translation.override("fa"):
        label = tariff_label(str(table_1397["warm"].pk))
    assert "۱۳۹۷/۰۱/۱۶" in label and "۱۳۹۷/۰۸/۱۵" in label
