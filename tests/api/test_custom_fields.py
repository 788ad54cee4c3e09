"""Custom fields over the API: the claim's `custom_fields` object, written when filing,
read back (public ones only for callers outside the company), refused with 400 when bad,
and described in the schema as an object."""

from __future__ import annotations

import pytest

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.complaint.models import Complaint
from apps.meter_service.doctype.custom_field.services import custom_field_create
from apps.meter_service.permissions import Role
from tests.api.conftest import valid_claim_body
from tests.api.test_complaints import _sent

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(db):
    common = {"actor": None, "target": "claim"}
    return [
        custom_field_create(
            **common,
            key="floors",
            field_type="integer",
            label_fa="طبقه",
            label_en="Floors",
            required=True,
            max_value=40,
            public=True,
        ),
        custom_field_create(
            **common, key="visit_day", field_type="date", label_fa="روز", label_en="Visit day"
        ),
    ]


def _walk_in(subscriber, **overrides) -> dict:
    return valid_claim_body(
        subscriber,
        bill_id=subscriber.bill_id,
        national_id=subscriber.national_id,
        payment_method="next_bill",
        **overrides,
    )


def test_filing_writes_and_reads_custom_fields(api, world, install, fields):
    body = _walk_in(install().subscriber, custom_fields={"floors": "۳", "visit_day": "۱۴۰۳/۰۵/۱۲"})
    response = api(world.users["agency"]).post("/api/v1/claims/", body, format="json")
    assert response.status_code == 201, response.content
    # The agency, outside the company, reads the public field only.
    assert response.json()["custom_fields"] == {"floors": 3}
    code = response.json()["tracking_code"]
    assert Claim.objects.get(tracking_code=code).custom_fields == {
        "floors": 3,
        "visit_day": "2024-08-02",
    }
    staff = api(world.users[Role.SERVICE_MANAGER]).get(f"/api/v1/claims/{code}/")
    assert staff.json()["custom_fields"] == {"floors": 3, "visit_day": "2024-08-02"}


@pytest.mark.parametrize(
    ("custom", "code"),
    [
        ({"floors": "۹۹"}, "custom_above_maximum"),
        ({"floors": "two"}, "custom_not_integer"),
        ({}, "custom_required"),
        ({"floors": 2, "colour": "red"}, "custom_unknown_field"),
        ({"floors": 2, "visit_day": "1403/13/01"}, "custom_not_date"),
    ],
)
def test_bad_custom_values_are_refused_with_400_and_nothing_written(
    api, world, install, fields, custom, code
):
    body = _walk_in(install().subscriber, custom_fields=custom)
    client = api(world.users["agency"])
    claims, events = Claim.objects.count(), DocumentEvent.objects.count()
    response = client.post("/api/v1/claims/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["extra"]["codes"]["custom_fields"] == [code]
    assert Claim.objects.count() == claims
    assert DocumentEvent.objects.count() == events


def test_custom_fields_must_be_an_object(api, world, install, fields):
    body = _walk_in(install().subscriber, custom_fields=["floors", 3])
    response = api(world.users["agency"]).post("/api/v1/claims/", body, format="json")
    assert response.status_code == 400
    assert "custom_fields" in response.json()["extra"]["fields"]


def test_the_schema_describes_custom_fields_as_an_object(openapi_document):
    schemas = openapi_document["components"]["schemas"]
    for name in (
        "ClaimFileInputRequest",
        "ClaimDetailOutput",
        "ComplaintFileInputRequest",
        "ComplaintDetailOutput",
    ):
        prop = schemas[name]["properties"]["custom_fields"]
        assert prop["type"] == "object", (name, prop)
        assert prop.get("description")
    assert "custom_fields" not in schemas["ClaimFileInputRequest"].get("required", [])
    assert "custom_fields" not in schemas["ComplaintFileInputRequest"].get("required", [])


def test_complaints_take_and_show_custom_fields(api, world):
    custom_field_create(
        actor=None,
        target="complaint",
        key="channel_ref",
        field_type="text",
        label_fa="شناسه",
        label_en="Reference",
        max_length=8,
        public=True,
    )
    client = api(world.users["agency"])
    bad = client.post(
        "/api/v1/complaints/", _sent(custom_fields={"channel_ref": "x" * 9}), format="json"
    )
    assert bad.status_code == 400
    assert bad.json()["extra"]["codes"]["custom_fields"] == ["custom_too_long"]
    assert not Complaint.objects.exists()
    good = client.post(
        "/api/v1/complaints/", _sent(custom_fields={"channel_ref": "R-۱۲"}), format="json"
    )
    assert good.status_code == 201, good.content
    assert good.json()["custom_fields"] == {"channel_ref": "R-۱۲"}
    complaint = Complaint.objects.get(tracking_code=good.json()["tracking_code"])
    assert complaint.custom_fields == {"channel_ref": "R-۱۲"}
