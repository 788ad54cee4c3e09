"""The published 1397 household table, loaded from the fixture file as a site would."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from apps.meter_service.doctype.gas_tariff.services import gas_tariff_load_csv

FIXTURE = Path(settings.FIXTURE_DIRS[0]) / "gas_tariff_household_1397.csv"


@pytest.fixture
def table_1397(db):
    """{"warm", "cold1", "cold2"}: the three tables of the file, slab-priced."""
    warm, cold1, cold2 = gas_tariff_load_csv(FIXTURE, tariff_group="household")
    return {"warm": warm, "cold1": cold1, "cold2": cold2}
