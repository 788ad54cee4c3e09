"""Meters and their installations: the meter history of a subscription."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.meter_service.doctype.meter.models import MeterInstallation, MeterStatus
from apps.meter_service.doctype.meter.services import meter_install, meter_remove, meter_update


@pytest.mark.django_db
def test_install_marks_meter_installed(installed):
    meter = installed.meter
    meter.refresh_from_db()
    assert meter.status == MeterStatus.INSTALLED
    assert meter.install_date == datetime.date(2022, 3, 21)


@pytest.mark.django_db
def test_replacing_a_meter_closes_the_old_installation(installed, make_meter):
    new_meter = make_meter()
    new = meter_install(
        subscriber=installed.subscriber,
        meter=new_meter,
        installed_on=datetime.date(2024, 1, 10),
        initial_reading=Decimal("0"),
        reason="fault",
        removed_meter_final_reading=Decimal("1234.5"),
    )
    installed.refresh_from_db()
    assert installed.removed_on == datetime.date(2024, 1, 10)
    assert installed.final_reading == Decimal("1234.5")
    assert installed.is_current is None
    assert installed.meter.status == MeterStatus.FAULTY
    history = list(MeterInstallation.objects.filter(subscriber=installed.subscriber))
    assert history == [new, installed]  # newest first


@pytest.mark.django_db
def test_replacing_without_final_reading_is_refused(installed, make_meter):
    new_meter = make_meter()
    with pytest.raises(ValidationError) as error:
        meter_install(
            subscriber=installed.subscriber,
            meter=new_meter,
            installed_on=datetime.date(2024, 1, 10),
        )
    assert "final_reading" in error.value.message_dict
    assert MeterInstallation.objects.count() == 1
    new_meter.refresh_from_db()
    assert new_meter.status == MeterStatus.IN_STOCK


@pytest.mark.django_db
def test_final_reading_below_initial_is_refused(installed):
    with pytest.raises(ValidationError) as error:
        meter_remove(
            installation=installed,
            removed_on=datetime.date(2024, 1, 1),
            final_reading=Decimal("99.999"),
        )
    assert "final_reading" in error.value.message_dict
    installed.refresh_from_db()
    assert installed.removed_on is None


@pytest.mark.django_db
def test_meter_installed_elsewhere_cannot_be_installed_again(installed, make_subscriber):
    with pytest.raises(ValidationError) as error:
        meter_install(
            subscriber=make_subscriber(),
            meter=installed.meter,
            installed_on=datetime.date(2024, 1, 1),
        )
    assert "meter" in error.value.message_dict
    assert MeterInstallation.objects.count() == 1


@pytest.mark.django_db
def test_removal_before_installation_is_refused(installed):
    with pytest.raises(ValidationError) as error:
        meter_remove(
            installation=installed,
            removed_on=datetime.date(2020, 1, 1),
            final_reading=Decimal("200"),
        )
    assert "removed_on" in error.value.message_dict


@pytest.mark.django_db
def test_database_refuses_two_current_meters(installed, make_meter):
    from django.db import IntegrityError, transaction

    other = make_meter()
    with pytest.raises(IntegrityError), transaction.atomic():
        MeterInstallation.objects.create(
            subscriber=installed.subscriber, meter=other, installed_on=datetime.date(2024, 1, 1)
        )


@pytest.mark.django_db
def test_meter_serial_and_size_are_validated(make_meter):
    meter = make_meter()
    with pytest.raises(ValidationError) as error:
        meter_update(meter=meter, serial="x", size="G3")
    assert set(error.value.message_dict) >= {"serial", "size"}
