"""The call centre's IVR files claims over the API on the phone channel: the caller names
the subscription and proves it, as at the desk's phone form."""

from __future__ import annotations

import pytest

from apps.meter_service.api.auth import api_token_issue
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.permissions import Role
from tests.api.conftest import valid_claim_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def ivr(api, make_user):
    """The IVR's program, calling with a call-centre operator account's token."""
    user = make_user(Role.CALL_CENTRE_OPERATOR, username="ivr-claims", is_staff=False)
    api_token_issue(user=user)
    client = api(user, token=True)
    client.user = user
    return client


def test_ivr_files_a_phone_claim_by_number_and_national_id(ivr, installed, tariffs):
    subscriber = installed.subscriber
    body = valid_claim_body(
        subscriber,
        subscription_number="۰"
        + subscriber.subscription_number.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")),
        national_id=subscriber.national_id,
    )
    body.pop("payment_method")  # one way to pay by phone: the next gas bill
    response = ivr.post("/api/v1/claims/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["channel"] == "phone"
    assert response.json()["payment_method"] == "next_bill"
    claim = Claim.objects.get(tracking_code=response.json()["tracking_code"])
    assert (claim.subscriber, claim.filed_by) == (subscriber, ivr.user)


def test_ivr_files_by_bill_id_and_mobile_on_file(ivr, installed, tariffs):
    subscriber = installed.subscriber
    body = valid_claim_body(
        subscriber, bill_id=f"0{subscriber.bill_id}", mobile_on_file="+989121234567"
    )
    response = ivr.post("/api/v1/claims/", body, format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("proof", "field"),
    [
        ({"mobile_on_file": "09127654321"}, "mobile_on_file"),
        ({"national_id": "0499370899"}, "national_id"),
    ],
)
def test_a_proof_that_does_not_match_is_refused_on_its_field(ivr, installed, tariffs, proof, field):
    subscriber = installed.subscriber
    body = valid_claim_body(subscriber, subscription_number=subscriber.subscription_number, **proof)
    response = ivr.post("/api/v1/claims/", body, format="json")
    assert response.status_code == 400
    assert response.json()["extra"]["codes"] == {field: ["subscriber_not_identified"]}
    assert not Claim.objects.exists()


def test_a_caller_must_name_and_prove_the_subscription(ivr, installed, tariffs):
    subscriber = installed.subscriber
    unnamed = valid_claim_body(subscriber, national_id=subscriber.national_id)
    response = ivr.post("/api/v1/claims/", unnamed, format="json")
    assert response.json()["extra"]["codes"] == {"subscription_number": ["required"]}
    unproved = valid_claim_body(subscriber, subscription_number=subscriber.subscription_number)
    response = ivr.post("/api/v1/claims/", unproved, format="json")
    assert response.json()["extra"]["codes"] == {"national_id": ["required"]}


def test_a_phone_claim_cannot_be_paid_online_nor_cancelled_by_the_ivr(ivr, installed, tariffs):
    subscriber = installed.subscriber
    body = valid_claim_body(
        subscriber,
        subscription_number=subscriber.subscription_number,
        national_id=subscriber.national_id,
        payment_method="gateway",
    )
    response = ivr.post("/api/v1/claims/", body, format="json")
    assert response.status_code == 400
    assert response.json()["extra"]["codes"] == {"payment_method": ["payment_method_not_offered"]}
    body["payment_method"] = "next_bill"
    code = ivr.post("/api/v1/claims/", body, format="json").json()["tracking_code"]
    assert ivr.post(f"/api/v1/claims/{code}/cancel/", {}, format="json").status_code == 403
