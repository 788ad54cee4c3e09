"""The portal's claim page shows the claim's custom fields marked public, read-only, and
never the others."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.meter_service.doctype.custom_field.services import custom_field_create, custom_values_set

pytestmark = pytest.mark.django_db


def test_claim_page_shows_public_custom_fields_only(portal_client, make_claim):
    common = {"actor": None, "target": "claim"}
    custom_field_create(
        **common,
        key="visit_day",
        field_type="date",
        label_fa="روز بازدید",
        label_en="Visit day",
        public=True,
    )
    custom_field_create(
        **common, key="staff_note", field_type="text", label_fa="یادداشت کارکنان", label_en="Note"
    )
    claim = make_claim()
    custom_values_set(
        document=claim,
        target="claim",
        values={"visit_day": "2024-08-02", "staff_note": "مشترک همکاری نکرد"},
        actor=None,
    )
    html = portal_client.get(reverse("portal:claim_detail", args=[claim.tracking_code]))
    html = html.content.decode()
    assert "روز بازدید" in html and "۱۴۰۳/۰۵/۱۲" in html
    assert "یادداشت کارکنان" not in html and "همکاری نکرد" not in html
    assert "<input" not in html.split("روز بازدید")[1].split("</dl>")[0]  # read-only
