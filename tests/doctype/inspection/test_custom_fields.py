"""A meter test's custom fields: shown on its desk page, filled on their own page by its
testers and the manager, read-only for the others."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.meter_service.doctype.custom_field.services import custom_field_create

from .conftest import HIGH_FLOW, point

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_testers_fill_a_meter_tests_custom_fields(at_test, record, staff):
    custom_field_create(
        actor=None,
        target="inspection",
        key="ambient_c",
        field_type="decimal",
        label_fa="دمای محیط",
        label_en="Ambient",
        min_value=-40,
        max_value=60,
    )
    inspection = record(at_test, [point(HIGH_FLOW, 50, 52)])
    page = reverse("admin:meter_service_inspection_change", args=[inspection.pk])
    edit = reverse("admin:meter_service_inspection_custom_values", args=[inspection.pk])
    technician = _client(staff["technician"])
    assert edit in technician.get(page).content.decode()
    assert technician.post(edit, {"custom__ambient_c": "۷۰"}).status_code == 200
    assert technician.post(edit, {"custom__ambient_c": "۱۸٫۵"}).status_code == 302
    inspection.refresh_from_db()
    assert inspection.custom_fields == {"ambient_c": "18.5"}
    assert "۱۸.۵" in technician.get(page).content.decode()
    billing = _client(staff["billing_officer"])
    assert edit not in billing.get(page).content.decode()
    assert billing.post(edit, {"custom__ambient_c": "1"}).status_code == 403
    inspection.refresh_from_db()
    assert inspection.custom_fields == {"ambient_c": "18.5"}
