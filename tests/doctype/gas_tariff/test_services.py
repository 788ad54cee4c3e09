"""Gas tariffs: the published file loads as data; bad tables are refused, nothing written."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DataError, IntegrityError, transaction
from django.utils import translation

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.gas_tariff.models import GasTariff, GasTariffBlock
from apps.meter_service.doctype.gas_tariff.services import (
    gas_tariff_create,
    gas_tariff_load_csv,
    gas_tariff_update,
)
from tests.doctype.gas_tariff.conftest import FIXTURE

pytestmark = pytest.mark.django_db
D = datetime.date


def fields(**overrides):
    values = {
        "name": "Household 1403, warm",
        "tariff_group": "household",
        "season": "warm",
        "climate_zone": None,
        "effective_from": D(2024, 4, 4),
        "effective_to": D(2024, 11, 5),
        "blocks": [(0, 45, 1081), (46, 95, 1311), (96, None, 1656)],
    }
    values.update(overrides)
    return values


def test_the_published_file_loads_with_jalali_dates_and_all_zones(table_1397):
    warm, cold1, cold2 = table_1397["warm"], table_1397["cold1"], table_1397["cold2"]
    assert GasTariff.objects.count() == 3 and GasTariffBlock.objects.count() == 36
    assert (warm.season, warm.climate_zone) == ("warm", None)
    assert (warm.effective_from, warm.effective_to) == (D(2018, 4, 5), D(2018, 11, 6))
    assert (cold1.climate_zone, cold2.climate_zone) == (1, 2)
    assert (cold1.effective_from, cold1.effective_to) == (D(2018, 11, 7), D(2019, 4, 4))
    blocks = list(warm.blocks.values_list("from_m3", "to_m3", "rial_per_m3"))
    assert blocks[:2] == [(0, 45, 1081), (46, 95, 1311)]
    assert blocks[-1] == (546, None, 4301)
    assert cold2.blocks.values_list("from_m3", "to_m3", "rial_per_m3").first() == (0, 250, 414)
    assert cold1.blocks.get(from_m3=1301).rial_per_m3 == 4830
    assert warm.pricing_method == "slab"


def test_loading_the_file_again_adds_nothing(table_1397):
    again = gas_tariff_load_csv(FIXTURE, tariff_group="household")
    assert [t.pk for t in again] == [t.pk for t in table_1397.values()]
    assert GasTariff.objects.count() == 3


def test_the_command_loads_the_file(db):
    out = io.StringIO()
    call_command("load_gas_tariff", str(FIXTURE), "--method", "whole", stdout=out)
    assert GasTariff.objects.filter(pricing_method="whole").count() == 3
    assert "12 blocks" in out.getvalue()


def test_a_bad_row_refuses_the_whole_file(db):
    # zone 2's third block starts at 352, leaving a gap after 350; its table starts on row 26
    text = FIXTURE.read_text(encoding="utf-8").replace(",2,3,351,", ",2,3,352,")
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        gas_tariff_load_csv(io.StringIO(text), tariff_group="household")
    with translation.override("en"):
        message = " ".join(caught.value.messages)
    assert "Row 26" in message and "Block 3 must start at 351" in message
    assert GasTariff.objects.count() == 0 and GasTariffBlock.objects.count() == 0


def test_persian_digits_in_the_file_are_read(db):
    text = (
        "season,valid_from_jalali,valid_to_jalali,climate_zone,block,from_m3,to_m3,rial_per_m3\n"
        "warm,۱۴۰۳/۰۱/۱۶,۱۴۰۳/۰۸/۱۵,همه,۱,۰,۴۵,۱۰۸۱\n"
        "warm,۱۴۰۳/۰۱/۱۶,۱۴۰۳/۰۸/۱۵,همه,۲,۴۶,,۱۳۱۱\n"
    )
    (tariff,) = gas_tariff_load_csv(io.StringIO(text), tariff_group="household")
    assert tariff.climate_zone is None and tariff.effective_from == D(2024, 4, 4)
    assert tariff.blocks.count() == 2


@pytest.mark.parametrize(
    ("blocks", "code"),
    [
        ([(0, 45, 1081), (47, None, 1311)], "blocks_not_contiguous"),  # a gap: 46
        ([(0, 45, 1081), (45, None, 1311)], "blocks_not_contiguous"),  # 45 in both
        ([(1, 45, 1081), (46, None, 1311)], "blocks_first_not_zero"),
        ([(0, 45, 1081), (46, 95, 1311)], "blocks_last_closed"),
        ([(0, None, 1081), (46, None, 1311)], "blocks_open_not_last"),
        ([(0, 45, 1081), (46, None, -5)], "block_price"),
        ([], "no_blocks"),
    ],
)
def test_bad_blocks_are_refused_and_nothing_is_written(blocks, code):
    with pytest.raises(ValidationError) as caught:
        gas_tariff_create(**fields(blocks=blocks))
    assert caught.value.error_list[0].code == code
    assert GasTariff.objects.count() == 0 and GasTariffBlock.objects.count() == 0


def test_overlapping_days_for_the_same_group_and_zone_are_refused(db):
    gas_tariff_create(**fields())
    with pytest.raises(ValidationError) as caught:
        gas_tariff_create(**fields(name="again", effective_from=D(2024, 11, 5), effective_to=None))
    assert "effective_from" in caught.value.message_dict
    # another zone, or another group, may share the days
    gas_tariff_create(**fields(name="zone 1", climate_zone=1))
    gas_tariff_create(**fields(name="commercial", tariff_group="commercial"))
    assert GasTariff.objects.count() == 3


def test_a_tariff_cannot_end_before_it_starts(db):
    with pytest.raises(ValidationError):
        gas_tariff_create(**fields(effective_to=D(2024, 1, 1)))
    assert GasTariff.objects.count() == 0


def test_the_database_refuses_a_negative_price(db):
    tariff = gas_tariff_create(**fields())
    # SQLite's check constraint answers IntegrityError; MariaDB's unsigned column, DataError.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        GasTariffBlock.objects.filter(tariff=tariff).update(rial_per_m3=-1)


def test_changing_blocks_is_recorded(db):
    tariff = gas_tariff_create(**fields())
    gas_tariff_update(tariff=tariff, blocks=[(0, 45, 1200), (46, None, 1500)])
    assert list(tariff.blocks.values_list("rial_per_m3", flat=True)) == [1200, 1500]
    event = DocumentEvent.objects.filter(event_type="gas_tariff_changed").get()
    assert event.parameters["changes"]["blocks"][1] == [[0, 45, 1200], [46, None, 1500]]
    # the same blocks again change nothing
    gas_tariff_update(tariff=tariff, blocks=[(0, 45, 1200), (46, None, 1500)])
    assert DocumentEvent.objects.filter(event_type="gas_tariff_changed").count() == 1
