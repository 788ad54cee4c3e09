"""Every caller against every endpoint, on its own records and on others'.

Callers: subscribers A and B, the operators of offices X and Y, an agency client, the IVR,
a user of each desk role, and anonymous. Someone else's claim answers 404 with the same body
as a claim that does not exist, never 403.
"""

from __future__ import annotations

import pytest

from apps.meter_service.core import tracking
from apps.meter_service.doctype.claim.models import Claim, ClaimStatus
from apps.meter_service.doctype.complaint.models import Complaint
from apps.meter_service.doctype.subscriber.services import subscriber_update
from apps.meter_service.permissions import Role
from tests.api.conftest import (
    CALLERS,
    COMPLAINANTS,
    COMPLAINT_VISIBLE,
    FILERS,
    VISIBLE,
    valid_claim_body,
)

pytestmark = pytest.mark.django_db

CLAIMS = ("a", "b", "x", "y", "agency")


def _missing_code() -> str:
    code = tracking.generate()
    while Claim.objects.filter(tracking_code=code).exists():
        code = tracking.generate()
    return code


def _client(api, world, caller):
    return api(world.users.get(caller))


@pytest.mark.parametrize("caller", CALLERS)
def test_list_shows_exactly_the_claims_the_record_rules_allow(api, world, caller):
    response = _client(api, world, caller).get("/api/v1/claims/", {"limit": 100})
    if caller == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    listed = {row["tracking_code"] for row in response.json()["results"]}
    assert listed == {world.claims[name].tracking_code for name in VISIBLE[caller]}
    assert response.json()["count"] == len(VISIBLE[caller])


@pytest.mark.parametrize("caller", CALLERS)
def test_detail_is_404_for_claims_the_caller_may_not_see(api, world, caller):
    client = _client(api, world, caller)
    missing = client.get(f"/api/v1/claims/{_missing_code()}/")
    for name in CLAIMS:
        response = client.get(f"/api/v1/claims/{world.claims[name].tracking_code}/")
        if caller == "anonymous":
            assert response.status_code == 401
        elif name in VISIBLE[caller]:
            assert response.status_code == 200
            assert response.json()["tracking_code"] == world.claims[name].tracking_code
        else:
            assert response.status_code == 404, (caller, name)
            assert response.content == missing.content


@pytest.mark.parametrize("caller", CALLERS)
def test_status_lookup(api, world, caller):
    """The IVR reads any claim's status; everyone else only the claims they may see."""
    client = _client(api, world, caller)
    for name in CLAIMS:
        response = client.get(f"/api/v1/claims/{world.claims[name].tracking_code}/status/")
        if caller == "anonymous":
            assert response.status_code == 401
        elif caller == "ivr" or name in VISIBLE[caller]:
            assert response.status_code == 200
            assert "contact_mobile" not in response.json()
        else:
            assert response.status_code == 404, (caller, name)


@pytest.mark.parametrize("caller", CALLERS)
def test_cancel(api, world, caller):
    """Filers cancel what they may see; staff (the call centre too) and the IVR read only;
    others' claims 404."""
    client = _client(api, world, caller)
    for name in CLAIMS:
        claim = world.claims[name]
        response = client.post(f"/api/v1/claims/{claim.tracking_code}/cancel/", {}, format="json")
        claim.refresh_from_db()
        if caller == "anonymous":
            assert response.status_code == 401
        elif caller not in FILERS:
            assert response.status_code == 403
        elif name in VISIBLE[caller]:
            assert response.status_code == 200
            assert claim.status == ClaimStatus.CANCELLED
        else:
            assert response.status_code == 404, (caller, name)
        if response.status_code != 200:
            assert claim.status == ClaimStatus.AWAITING_PAYMENT


@pytest.mark.parametrize("caller", CALLERS)
def test_pay(api, world, caller, gateway):
    client = _client(api, world, caller)
    for name in CLAIMS:
        claim = world.claims[name]
        response = client.post(f"/api/v1/claims/{claim.tracking_code}/pay/")
        if caller == "anonymous":
            assert response.status_code == 401
        elif caller not in FILERS:
            assert response.status_code == 403
        elif name not in VISIBLE[caller]:
            assert response.status_code == 404
        elif claim.payment_method == "gateway":
            assert response.status_code == 201
            assert claim.tracking_code in response.json()["payment_url"]
        else:
            assert response.status_code == 409  # an office claim is paid at the office
    started = {call["claim"] for call in gateway.calls}
    assert started == {
        world.claims[name].tracking_code
        for name in VISIBLE.get(caller, set())
        if caller in FILERS and world.claims[name].payment_method == "gateway"
    }


@pytest.mark.parametrize("caller", CALLERS)
def test_file(api, world, install, caller):
    """Each filer files on its own channel; staff and the IVR cannot file."""
    fresh = install()
    if caller == "subscriber_a":
        subscriber_update(subscriber=fresh.subscriber, user=world.users[caller])
        identity = {"subscription_number": fresh.subscriber.subscription_number}
    elif caller in {"subscriber_b"}:
        identity = {"subscription_number": world.subscribers["a"].subscription_number}
    else:
        identity = {
            "bill_id": fresh.subscriber.bill_id,
            "national_id": fresh.subscriber.national_id,
        }
    before = Claim.objects.count()
    body = valid_claim_body(fresh.subscriber, **identity)
    if caller.startswith("operator"):
        body["payment_method"] = "counter_office"
    response = _client(api, world, caller).post("/api/v1/claims/", body, format="json")
    expected = {
        "anonymous": 401,
        "subscriber_a": 201,
        "subscriber_b": 404,  # A's subscription, not B's: the same answer as none at all
        "operator_x": 201,
        "operator_y": 201,
        "agency": 201,
        Role.CALL_CENTRE_OPERATOR: 201,  # a caller's claim, by phone
    }.get(caller, 403)
    assert response.status_code == expected, response.content
    assert Claim.objects.count() == before + (expected == 201)
    if expected == 201:
        claim = Claim.objects.get(tracking_code=response.json()["tracking_code"])
        assert claim.filed_by == world.users[caller]
        if caller.startswith("operator"):
            assert (claim.channel, claim.counter_office) == (
                "counter_office",
                world.offices[caller[-1]],
            )
        elif caller == "agency":
            assert (claim.channel, claim.agency) == ("agency", world.agencies["agency"])
        elif caller == Role.CALL_CENTRE_OPERATOR:
            assert (claim.channel, claim.payment_method) == ("phone", "next_bill")
        else:
            assert claim.channel == "web"


@pytest.mark.parametrize("caller", CALLERS)
def test_fee_quote(api, world, caller):
    """Subscribers quote only their own subscriptions; offices, agencies and staff any."""
    client = _client(api, world, caller)
    for name in ("a", "b", "x"):
        number = world.subscribers[name].subscription_number
        response = client.get("/api/v1/fees/quote/", {"subscription_number": number})
        if caller == "anonymous":
            assert response.status_code == 401
        elif caller.startswith("subscriber") and name != caller[-1]:
            assert response.status_code == 404
        else:
            assert response.status_code == 200
            assert response.json()["total_rial"] > 0


BILLING_READERS = {
    Role.BILLING_OFFICER,
    Role.SERVICE_DESK_CLERK,
    Role.SERVICE_MANAGER,
    Role.SYSTEM_ADMIN,
}
BILLING_EXPORTERS = {Role.BILLING_OFFICER, Role.SYSTEM_ADMIN}


@pytest.mark.parametrize("caller", CALLERS)
def test_billing(api, world, caller):
    client = _client(api, world, caller)
    listed = client.get("/api/v1/billing/charges/")
    exported = client.post("/api/v1/billing/charges/export/")
    if caller == "anonymous":
        assert (listed.status_code, exported.status_code) == (401, 401)
        return
    assert listed.status_code == (200 if caller in BILLING_READERS else 403)
    assert exported.status_code == (200 if caller in BILLING_EXPORTERS else 403)


ADJUSTMENT_READERS = {Role.BILLING_OFFICER, Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN}


@pytest.mark.parametrize("caller", CALLERS)
def test_billing_adjustments(api, world, caller):
    client = _client(api, world, caller)
    listed = client.get("/api/v1/billing/adjustments/")
    exported = client.post("/api/v1/billing/adjustments/export/")
    if caller == "anonymous":
        assert (listed.status_code, exported.status_code) == (401, 401)
        return
    assert listed.status_code == (200 if caller in ADJUSTMENT_READERS else 403)
    assert exported.status_code == (200 if caller in BILLING_EXPORTERS else 403)


# --- complaints: subscribers and sending systems file, read and reply; desk roles with
# view_complaint read everything; everyone else (offices, the IVR, other desk roles) 403.


def _missing_complaint_code() -> str:
    code = tracking.generate()
    while Complaint.objects.filter(tracking_code=code).exists():
        code = tracking.generate()
    return code


@pytest.mark.parametrize("caller", CALLERS)
def test_complaint_list(api, world, complaints, caller):
    response = _client(api, world, caller).get("/api/v1/complaints/", {"limit": 100})
    if caller == "anonymous":
        assert response.status_code == 401
    elif caller not in COMPLAINT_VISIBLE:
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        listed = {row["tracking_code"] for row in response.json()["results"]}
        assert listed == {complaints[name].tracking_code for name in COMPLAINT_VISIBLE[caller]}


@pytest.mark.parametrize("caller", CALLERS)
def test_complaint_detail(api, world, complaints, caller):
    client = _client(api, world, caller)
    missing = client.get(f"/api/v1/complaints/{_missing_complaint_code()}/")
    for name, complaint in complaints.items():
        response = client.get(f"/api/v1/complaints/{complaint.tracking_code}/")
        if caller == "anonymous":
            assert response.status_code == 401
        elif caller not in COMPLAINT_VISIBLE:
            assert response.status_code == 403
        elif name in COMPLAINT_VISIBLE[caller]:
            assert response.status_code == 200
            assert response.json()["tracking_code"] == complaint.tracking_code
        else:
            assert response.status_code == 404, (caller, name)
            assert response.content == missing.content


@pytest.mark.parametrize("caller", CALLERS)
def test_complaint_reply(api, world, complaints, caller):
    """Only the complainant's side replies, and only to its own complaints."""
    from helpdesk.models import FollowUp

    client = _client(api, world, caller)
    for name, complaint in complaints.items():
        before = FollowUp.objects.filter(ticket=complaint.ticket).count()
        response = client.post(
            f"/api/v1/complaints/{complaint.tracking_code}/replies/",
            {"text": "هنوز پاسخی نگرفته‌ام."},
            format="json",
        )
        if caller == "anonymous":
            assert response.status_code == 401
        elif caller not in COMPLAINANTS:
            assert response.status_code == 403
        elif name in COMPLAINT_VISIBLE[caller]:
            assert response.status_code == 201
        else:
            assert response.status_code == 404, (caller, name)
        after = FollowUp.objects.filter(ticket=complaint.ticket).count()
        assert after == before + (response.status_code == 201)


@pytest.mark.parametrize("caller", CALLERS)
def test_complaint_file(api, world, caller):
    """Subscribers file about their own claims, sending systems about any; no one else."""
    body = {
        "topic": "meter-test",
        "title": "تست کنتور",
        "text": "نتیجهٔ تست را قبول ندارم.",
        "claim": world.claims["a"].tracking_code,
    }
    if caller == "agency":
        body.update(
            external_reference="3194-7",
            complainant_name="شهروند",
            contact_mobile="09121234567",
        )
    before = Complaint.objects.count()
    response = _client(api, world, caller).post("/api/v1/complaints/", body, format="json")
    expected = {
        "anonymous": 401,
        "subscriber_a": 201,
        "subscriber_b": 400,  # A's claim: the same answer as no such claim
        "agency": 201,
    }.get(caller, 403)
    assert response.status_code == expected, response.content
    assert Complaint.objects.count() == before + (expected == 201)
    if expected == 201:
        complaint = Complaint.objects.get(tracking_code=response.json()["tracking_code"])
        assert complaint.filed_by == world.users[caller]
        assert complaint.subscriber == world.subscribers["a"]
        assert complaint.channel == ("national_system" if caller == "agency" else "portal")
    elif expected == 400:
        assert response.json()["extra"]["codes"] == {"claim": ["no_such_claim"]}
