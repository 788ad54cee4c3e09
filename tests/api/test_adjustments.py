"""The billing system's adjustment lines: listed oldest first, exported once, as JSON or CSV."""

from __future__ import annotations

import csv
import io

import pytest

from apps.meter_service.doctype.correction.models import BillingAdjustment
from apps.meter_service.doctype.correction.services import (
    adjustment_for_damage,
    adjustment_for_fee,
)
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines(make_claim, install, tariffs):
    first, second = make_claim(), make_claim(install())
    return [
        adjustment_for_damage(claim=first, damage_rial=2_000_000),
        adjustment_for_fee(claim=second, action="waive"),
        adjustment_for_fee(claim=second, action="keep"),  # nothing to post
    ]


@pytest.fixture
def billing(api, make_user):
    return api(make_user(Role.BILLING_OFFICER), token=True)


def test_pending_lines_oldest_first(billing, lines):
    damage, waiver, kept = lines
    assert kept is None
    rows = billing.get("/api/v1/billing/adjustments/").json()["results"]
    assert [(r["kind"], r["amount_rial"]) for r in rows] == [
        ("damage", 2_000_000),
        ("fee_waiver", -waiver.claim.total_fee),
    ]
    assert rows[0]["bill_id"] == damage.claim.subscriber.bill_id


def test_export_json_then_nothing_twice(billing, lines):
    data = billing.post("/api/v1/billing/adjustments/export/").json()
    assert data["batch_id"] and len(data["adjustments"]) == 2
    assert not BillingAdjustment.objects.filter(exported_at__isnull=True).exists()
    assert billing.post("/api/v1/billing/adjustments/export/").json() == {
        "batch_id": "",
        "adjustments": [],
    }


def test_export_csv(billing, lines):
    response = billing.generic(
        "POST", "/api/v1/billing/adjustments/export/", HTTP_ACCEPT="text/csv"
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["kind"] for row in rows] == ["damage", "fee_waiver"]


def test_a_line_is_created_once(lines):
    damage = lines[0]
    assert adjustment_for_damage(claim=damage.claim, damage_rial=2_000_000) is None
    assert BillingAdjustment.objects.filter(claim=damage.claim).count() == 1
