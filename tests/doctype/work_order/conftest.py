"""A claim whose meter failed its test, waiting for the emergency post crew."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.meter_service.doctype.work_order.models import WorkOrder
from tests.engine.conftest import (  # noqa: F401
    SCHEDULE,
    open_steps,
    open_task,
    paid_claim,
    staff,
    step,
    tested,
)
from tests.integrations.sms_fake import fake_sms, sms_fake_server  # noqa: F401

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def png(name: str = "meter.png", content: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def yesterday_at(hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


@pytest.fixture
def faulty_claim(request):
    """A claim whose meter ran 4 % fast (class 1.5: ±3 %), its last reading 850."""
    return request.getfixturevalue("tested")(error_percent="4")


@pytest.fixture
def work_order(faulty_claim) -> WorkOrder:
    return WorkOrder.objects.get(claim=faulty_claim)


@pytest.fixture
def complete_args(request):
    """Valid arguments of work_order_complete, as the crew member of `staff`."""
    crew = request.getfixturevalue("staff")["emergency_crew"]

    def make(**overrides) -> dict:
        args = {
            "done_at": yesterday_at(),
            "old_final_reading": Decimal("900.5"),
            "new_serial": "NEW-778899",
            "new_initial_reading": Decimal("0"),
            "seal_numbers": "S-1, S-2",
            "actor": crew,
        }
        args.update(overrides)
        return args

    return make
