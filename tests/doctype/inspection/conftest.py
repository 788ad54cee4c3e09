"""Claims standing at their test step, benches and provers, and a helper recording a test."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.meter_service.doctype.inspection.services import equipment_create, inspection_record
from tests.engine.conftest import (  # noqa: F401
    SCHEDULE,
    open_steps,
    open_task,
    paid_claim,
    staff,
    step,
)
from tests.integrations.sms_fake import fake_sms, sms_fake_server  # noqa: F401

# A G4 meter of class 1.5: Qmax 6 m³/h, Qt 0.6 m³/h; ±3 % below Qt, ±1.5 % from Qt up.
HIGH_FLOW = Decimal("6")
LOW_FLOW = Decimal("0.4")


def point(flow, reference, registered, **extra) -> dict:
    return {
        "flow_rate_m3h": Decimal(str(flow)),
        "reference_volume_m3": Decimal(str(reference)),
        "meter_volume_m3": Decimal(str(registered)),
        **extra,
    }


@pytest.fixture
def prover(db):
    return equipment_create(
        kind="portable_prover",
        identifier="PP-01",
        make="Itron",
        calibration_due=timezone.localdate() + datetime.timedelta(days=90),
    )


@pytest.fixture
def bench(db):
    return equipment_create(
        kind="lab_bench",
        identifier="LB-01",
        calibration_due=timezone.localdate() + datetime.timedelta(days=90),
    )


@pytest.fixture
def overdue_prover(db):
    return equipment_create(
        kind="portable_prover",
        identifier="PP-OLD",
        calibration_due=timezone.localdate() - datetime.timedelta(days=1),
    )


@pytest.fixture
def at_test(paid_claim, step):  # noqa: F811 (fixtures of the process tests)
    """A paid claim whose visit is scheduled: its open step is Task_test."""
    step(paid_claim, "Task_schedule", **SCHEDULE)
    paid_claim.refresh_from_db()
    return paid_claim


@pytest.fixture
def record(staff, prover):  # noqa: F811
    """record(claim, points=..., **overrides): record a field test as the technician."""

    def run(claim, points=(), **overrides):
        fields = {
            "claim": claim,
            "technician": staff["technician"],
            "equipment": prover,
            "test_type": "field",
            "tested_at": timezone.now() - datetime.timedelta(minutes=5),
            "serial_seen": claim.meter.serial,
            "seal_state": "intact",
            "points": list(points),
            "actor": staff["technician"],
        }
        fields.update(overrides)
        return inspection_record(**fields)

    return run
