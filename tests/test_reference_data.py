"""Reference data kept in each worker (METER_REFERENCE_CACHE): the active process version, the
holidays and the fee tariffs are read from the database once, and read again by every worker
as soon as any of them changes.

These tests commit for real (transaction=True): a change is only told to the other workers
when it commits, and until then its own transaction reads the database.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.meter_service import reference_data
from apps.meter_service.doctype.fee_tariff.models import FeeTariff
from apps.meter_service.doctype.fee_tariff.selectors import fee_quote
from apps.meter_service.doctype.fee_tariff.services import fee_tariff_save
from apps.meter_service.doctype.rule_setting.selectors import rule_value
from apps.meter_service.doctype.sla.calendar import load_calendar
from apps.meter_service.doctype.sla.models import Holiday
from apps.meter_service.doctype.sla.services import holiday_save, holidays_load
from apps.meter_service.engine import services as process_services

pytestmark = pytest.mark.django_db(transaction=True)

START = datetime.date(2024, 3, 20)
TODAY = datetime.date(2026, 11, 27)


@pytest.fixture
def kept(settings):
    settings.METER_REFERENCE_CACHE = True
    cache.delete(reference_data.REFERENCE_GENERATION_KEY)
    reference_data.forget_local_copies()


def _quote() -> int:
    return fee_quote(
        meter_size="G4", customer_type="g2c", channel="counter_office", on_date=TODAY
    ).total


def _holidays() -> dict:
    return dict(load_calendar().holidays)


def test_a_second_read_costs_no_query(kept, django_assert_num_queries):
    fee_tariff_save(kind="meter_test", amount_rial=1_000_000, valid_from=START)
    active = process_services.process_version_active()  # made from the shipped files
    # The rule settings' changes (VAT, office hours) are kept the same way (one query, read
    # here first: the worker may have read them already while the data above was made).
    rule_value("VAT_PERCENT")
    with django_assert_num_queries(3):
        _quote()
        _holidays()
        process_services._version_to_start()
    with django_assert_num_queries(0):
        assert _quote() == 1_100_000
        _holidays()
        version = process_services._version_to_start()
    assert version.pk == active.pk and version.is_active
    assert version is not process_services._version_to_start()  # each caller its own copy


def test_a_committed_change_is_seen_by_the_next_read(kept):
    test_fee = fee_tariff_save(kind="meter_test", amount_rial=1_000_000, valid_from=START)
    assert _quote() == 1_100_000
    fee_tariff_save(kind="counter_office", amount_rial=109_000, valid_from=START)
    assert _quote() == 1_209_000
    fee_tariff_save(tariff=test_fee, amount_rial=2_000_000)
    assert _quote() == 2_309_000
    test_fee.delete()
    with pytest.raises(ValidationError):
        _quote()

    day = datetime.date(2026, 12, 1)
    assert day not in _holidays()
    holiday = holiday_save(date=day, name="تعطیل", half_day=False)
    assert _holidays()[day] is False
    holiday_save(holiday=holiday, half_day=True)
    assert _holidays()[day] is True
    holiday.delete()
    assert day not in _holidays()


def test_holidays_loaded_in_bulk_are_seen(kept, tmp_path: Path):
    before = _holidays()
    fixture = tmp_path / "holidays.csv"
    fixture.write_text("jalali_date,name_fa,name_en\n1499/01/02,نوروز,Nowruz\n", encoding="utf-8")
    added = holidays_load(path=fixture)
    assert added and set(_holidays()) == set(before) | set(added)


def test_a_new_active_version_is_what_the_next_claim_starts_on(kept):
    first = process_services.process_version_active()
    assert process_services._version_to_start().pk == first.pk
    bpmn, dmn = process_services.workflow_files()
    second = process_services.process_version_create(
        bpmn=bpmn.replace("Claim filed", "Claim received"), dmn_files=dmn
    )
    assert process_services._version_to_start().pk == first.pk  # uploaded, not active
    process_services.process_version_activate(version=second)
    assert process_services._version_to_start().pk == second.pk


def test_a_transaction_that_changed_tariffs_reads_its_own_and_keeps_nothing(kept):
    fee_tariff_save(kind="meter_test", amount_rial=1_000_000, valid_from=START)
    assert _quote() == 1_100_000

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        fee_tariff_save(kind="counter_office", amount_rial=109_000, valid_from=START)
        assert _quote() == 1_209_000  # its own change, not the kept copy
        raise Undo
    assert _quote() == 1_100_000  # rolled back: the change was never kept


def test_a_copy_kept_while_a_change_commits_is_forgotten(kept):
    fee_tariff_save(kind="meter_test", amount_rial=1_000_000, valid_from=START)
    assert _quote() == 1_100_000
    with transaction.atomic():
        fee_tariff_save(kind="counter_office", amount_rial=109_000, valid_from=START)
        # Another worker reads the tariffs before the change commits and keeps them under
        # the generation the change has already replaced once.
        generation = cache.get(reference_data.REFERENCE_GENERATION_KEY)
        stale = tuple(FeeTariff.objects.filter(kind="meter_test"))
        reference_data._copies["fee_tariffs"] = (generation, stale)
    assert _quote() == 1_209_000


def test_without_the_setting_every_read_queries(settings, django_assert_num_queries):
    settings.METER_REFERENCE_CACHE = False
    fee_tariff_save(kind="meter_test", amount_rial=1_000_000, valid_from=START)
    Holiday.objects.create(date=timezone.localdate(), name="تعطیل")
    _quote()
    _holidays()
    with django_assert_num_queries(2):
        _quote()
        _holidays()


def test_an_agency_deactivated_or_renamed_is_seen_by_the_next_filing(kept, make_user):
    from apps.meter_service.doctype.agency.models import Agency
    from apps.meter_service.doctype.agency.selectors import client_agencies
    from apps.meter_service.permissions import Role

    client = make_user(Role.AGENCY_CLIENT)
    agency = Agency.objects.create(code="g2g", name="Agency")
    agency.users.add(client)
    other = Agency.objects.create(code="other", name="Other")  # not the client's
    assert [a.code for a in client_agencies(user=client)] == ["g2g"]
    agency.code = "g2g-new"
    agency.save()
    assert [a.code for a in client_agencies(user=client)] == ["g2g-new"]
    agency.is_active = False
    agency.save()
    assert client_agencies(user=client) == []
    other.users.add(client)
    assert [a.code for a in client_agencies(user=type(client).objects.get(pk=client.pk))] == [
        "other"
    ]


def _another_worker_changes_the_test_fee(amount_rial: int) -> None:
    """A change committed elsewhere: the row, then a new generation (as its commit does)."""
    FeeTariff.objects.filter(kind="meter_test").update(amount_rial=amount_rial)
    cache.set(reference_data.REFERENCE_GENERATION_KEY, f"elsewhere-{amount_rial}", timeout=None)


def test_a_snapshot_reads_as_of_its_start_and_the_next_read_sees_the_change(kept):
    fee_tariff_save(kind="meter_test", amount_rial=1_000_000, valid_from=START)
    assert _quote() == 1_100_000
    with reference_data.reference_snapshot():
        assert _quote() == 1_100_000
        _another_worker_changes_the_test_fee(2_000_000)
        assert _quote() == 1_100_000  # the generation is not read again inside
    assert _quote() == 2_200_000
    # Without a snapshot the same change is seen at once.
    _another_worker_changes_the_test_fee(3_000_000)
    assert _quote() == 3_300_000


def test_a_change_made_inside_a_snapshot_ends_it(kept):
    test_fee = fee_tariff_save(kind="meter_test", amount_rial=1_000_000, valid_from=START)
    with reference_data.reference_snapshot():
        assert _quote() == 1_100_000
        fee_tariff_save(tariff=test_fee, amount_rial=2_000_000)  # commits
        assert _quote() == 2_200_000
        _another_worker_changes_the_test_fee(3_000_000)
        assert _quote() == 3_300_000


def test_a_filing_reads_the_generation_before_its_transaction(kept, make_claim, monkeypatch):
    """The filing's reference reads (tariffs, process version, holidays) cost no cache round
    trip inside its transaction: on SQLite it holds the only write lock then."""
    seen_in_transaction = []
    read_generation = reference_data._generation

    def spy() -> str:
        seen_in_transaction.append(transaction.get_connection().in_atomic_block)
        return read_generation()

    monkeypatch.setattr(reference_data, "_generation", spy)
    claim = make_claim()
    assert claim.total_fee == 1_650_000 and claim.process.status == "running"
    assert seen_in_transaction == [False]


def test_custom_fields_are_kept_and_a_change_is_seen_by_the_next_read(
    kept, django_assert_num_queries
):
    from apps.meter_service.doctype.custom_field.selectors import active_fields
    from apps.meter_service.doctype.custom_field.services import (
        custom_field_create,
        custom_field_update,
    )

    def claim_keys() -> list[str]:
        return [field.key for field in active_fields("claim")]

    meter = custom_field_create(
        actor=None,
        target="claim",
        key="meter_box",
        field_type="text",
        label_fa="جعبه",
        label_en="Box",
    )
    assert claim_keys() == ["meter_box"]
    with django_assert_num_queries(0):  # every target's fields were read at once
        assert claim_keys() == ["meter_box"] and active_fields("complaint") == []
    custom_field_create(
        actor=None,
        target="claim",
        key="floor",
        field_type="integer",
        label_fa="طبقه",
        label_en="Floor",
    )
    assert claim_keys() == ["meter_box", "floor"]
    custom_field_update(field=meter, actor=None, active=False)
    assert claim_keys() == ["floor"]
