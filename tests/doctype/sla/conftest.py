"""Shared helpers of the SLA tests: Tehran wall-clock times and a claim without a clock."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from apps.meter_service.doctype.sla.models import SlaClock

TEHRAN = ZoneInfo("Asia/Tehran")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    """An aware instant given as Tehran wall-clock time."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=TEHRAN)


HOUR = 3600


@pytest.fixture
def claim(make_claim):
    """A filed claim whose SLA clock the test starts itself, at the time it chooses.

    Filing may already start a clock (the process does); it is removed so every test
    controls `now` from the first instant.
    """
    claim = make_claim()
    SlaClock.objects.filter(claim=claim).delete()
    return claim


@pytest.fixture
def another_claim(make_claim, make_subscriber, make_meter):
    """A second claim, on a meter of its own (one open claim per meter)."""
    from decimal import Decimal

    from apps.meter_service.doctype.meter.services import meter_install

    installation = meter_install(
        subscriber=make_subscriber(),
        meter=make_meter(),
        installed_on=datetime.date(2022, 3, 21),
        initial_reading=Decimal("100"),
    )
    claim = make_claim(installation=installation)
    SlaClock.objects.filter(claim=claim).delete()
    return claim
