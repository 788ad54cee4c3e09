"""Bills over the API: the billing system sends them (idempotent); staff and owners read them."""

from __future__ import annotations

import pytest

from apps.meter_service.core.identifiers import (
    build_payment_id,
    to_persian_digits,
)
from apps.meter_service.doctype.bill.models import Bill
from apps.meter_service.permissions import Role
from tests.doctype.bill.conftest import foreign_payment_id

pytestmark = pytest.mark.django_db


def body(
    subscriber, *, period: int = 1, start: str = "2024-03-20", end: str = "2024-05-19", **extra
):
    data = {
        "bill_id": subscriber.bill_id,
        "payment_id": build_payment_id(subscriber.bill_id, 136_000, 3, period),
        "period_start": start,
        "period_end": end,
        "previous_reading": "1000",
        "current_reading": "1120.5",
        "volume_m3": "120.5",
        "amount_rial": 136_620,
    }
    data.update(extra)
    return data


@pytest.fixture
def billing(api, world):
    return api(world.users[Role.BILLING_OFFICER], token=True)


def test_one_bill_is_created_then_unchanged_then_updated(billing, world):
    a = world.subscribers["a"]
    response = billing.post("/api/v1/bills/", body(a), format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["created"], data["updated"], data["unchanged"]) == (1, 0, 0)
    bill = data["results"][0]["bill"]
    assert bill["subscription_number"] == a.subscription_number
    assert (bill["volume_m3"], bill["source"], bill["climate_zone"]) == ("120.500", "api", 1)

    again = billing.post("/api/v1/bills/", body(a), format="json").json()
    assert again["results"][0]["result"] == "unchanged"
    changed = billing.post("/api/v1/bills/", body(a, amount_rial=140_000), format="json").json()
    assert changed["results"][0]["result"] == "updated"
    assert Bill.objects.get().amount_rial == 140_000


def test_a_list_with_jalali_dates_and_persian_digits(billing, world):
    a, b = world.subscribers["a"], world.subscribers["b"]
    first = body(a, start="1403/01/01", end="1403/03/01")
    first = {k: to_persian_digits(v) if isinstance(v, str) else v for k, v in first.items()}
    second = body(b)
    response = billing.post("/api/v1/bills/", [first, second], format="json")
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 2
    assert Bill.objects.get(subscriber=a).period_start.isoformat() == "2024-03-20"


def test_one_bad_bill_refuses_the_list_and_names_it(billing, world):
    a, b = world.subscribers["a"], world.subscribers["b"]
    wrong_pair = body(b, payment_id=foreign_payment_id(a.bill_id, b.bill_id))
    response = billing.post("/api/v1/bills/", [body(a), wrong_pair], format="json")
    assert response.status_code == 400
    assert response.json()["extra"]["codes"] == {"1.payment_id": ["payment_id_mismatch"]}
    # an overlap is found by the service: still all or nothing, and named by index
    overlapping = body(a, period=2, start="2024-05-01", end="2024-06-30")
    response = billing.post("/api/v1/bills/", [body(a), overlapping], format="json")
    assert response.status_code == 400
    assert response.json()["extra"]["codes"] == {"1.period_start": ["bill_period_overlap"]}
    assert Bill.objects.count() == 0


def test_what_is_not_a_bill_is_refused(billing, world, settings):
    assert billing.post("/api/v1/bills/", [], format="json").status_code == 400
    assert billing.post("/api/v1/bills/", ["x"], format="json").status_code == 400
    settings.METER_SERVICE = {**settings.METER_SERVICE, "BILLS_API_MAX_ITEMS": 1}
    a = world.subscribers["a"]
    response = billing.post("/api/v1/bills/", [body(a), body(a, period=2)], format="json")
    assert response.status_code == 400
    response = billing.post("/api/v1/bills/", body(a, bill_id="123"), format="json")
    assert response.json()["extra"]["codes"]["bill_id"] == ["bill_id_length"]
    assert Bill.objects.count() == 0


@pytest.mark.parametrize("caller", ["agency", "operator_x", "ivr", "subscriber_a", Role.TECHNICIAN])
def test_other_callers_may_not_send_bills(api, world, caller):
    response = api(world.users[caller]).post(
        "/api/v1/bills/", body(world.subscribers["a"]), format="json"
    )
    assert response.status_code == 403
    assert Bill.objects.count() == 0


def test_anonymous_is_refused(api, world):
    assert api().get("/api/v1/bills/").status_code == 401
    assert (
        api().post("/api/v1/bills/", body(world.subscribers["a"]), format="json").status_code == 401
    )


@pytest.fixture
def two_bills(billing, world):
    a, b = world.subscribers["a"], world.subscribers["b"]
    assert billing.post("/api/v1/bills/", [body(a), body(b)], format="json").status_code == 200
    return a, b


def test_a_subscriber_reads_only_their_own_bills(api, world, two_bills):
    a, b = two_bills
    client = api(world.users["subscriber_a"])
    listed = client.get("/api/v1/bills/").json()
    assert [row["subscription_number"] for row in listed["results"]] == [a.subscription_number]
    assert client.get("/api/v1/bills/", {"bill_id": b.bill_id}).json()["count"] == 0
    number = b.subscription_number
    assert client.get("/api/v1/bills/", {"subscription_number": number}).json()["count"] == 0


@pytest.mark.parametrize(
    "role", [Role.BILLING_OFFICER, Role.SERVICE_DESK_CLERK, Role.SERVICE_MANAGER]
)
def test_staff_read_every_bill_and_filter(api, world, two_bills, role):
    a, _b = two_bills
    client = api(world.users[role])
    assert client.get("/api/v1/bills/").json()["count"] == 2
    filtered = client.get("/api/v1/bills/", {"bill_id": to_persian_digits(a.bill_id)}).json()
    assert [row["bill_id"] for row in filtered["results"]] == [a.bill_id]
    by_number = client.get("/api/v1/bills/", {"subscription_number": a.subscription_number})
    assert by_number.json()["count"] == 1


@pytest.mark.parametrize("caller", ["agency", "operator_x", "ivr"])
def test_agency_and_office_tokens_read_no_bills(api, world, two_bills, caller):
    assert api(world.users[caller]).get("/api/v1/bills/").status_code == 403
