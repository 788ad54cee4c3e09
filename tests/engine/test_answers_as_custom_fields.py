"""A step's answer whose key is a claim custom field is kept as that field's value too."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.meter_service.doctype.custom_field.services import custom_field_create
from apps.meter_service.engine.models import ProcessTask
from tests.engine.conftest import SCHEDULE

pytestmark = pytest.mark.django_db


def _define(key: str, field_type: str, **extra):
    return custom_field_create(
        actor=None,
        target="claim",
        key=key,
        field_type=field_type,
        label_fa=f"فیلد {key}",
        label_en=key,
        **extra,
    )


def test_an_answer_with_a_custom_fields_key_is_kept_on_the_claim(paid_claim, step):
    _define("visit_date", "date")
    _define("unrelated", "text", required=True)  # asked by other doors, not by this step
    step(paid_claim, "Task_schedule", **SCHEDULE)
    paid_claim.refresh_from_db()
    assert paid_claim.custom_fields == {"visit_date": datetime.date(2026, 12, 1).isoformat()}


def test_an_answer_the_custom_field_refuses_stops_the_step(paid_claim, step):
    _define("test_type", "choice", options=[{"value": "lab", "label_fa": "آزمایشگاه"}])
    with pytest.raises(ValidationError):
        step(paid_claim, "Task_schedule", **SCHEDULE)
    paid_claim.refresh_from_db()
    assert paid_claim.custom_fields == {}
    assert not ProcessTask.objects.filter(
        instance__claim=paid_claim, element_id="Task_schedule", completed_at__isnull=False
    ).exists()


def test_the_desk_shows_the_refusal_on_the_steps_page(client, paid_claim, staff):
    _define("test_type", "choice", options=[{"value": "lab", "label_fa": "آزمایشگاه"}])
    task = ProcessTask.objects.get(instance__claim=paid_claim, element_id="Task_schedule")
    client.force_login(staff["technician"])
    page = client.post(
        reverse("admin:meter_service_processtask_change", args=[task.pk]),
        {**SCHEDULE, "_complete": "1"},
    )
    assert page.status_code == 200
    assert "فیلد test_type" in page.content.decode()
    task.refresh_from_db()
    assert task.completed_at is None
