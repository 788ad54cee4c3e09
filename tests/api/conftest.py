"""API fixtures: a client that checks every response against the OpenAPI schema, and a world
of subscribers, offices, agencies and staff with a claim each."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
import requests
import schemathesis
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient
from schemathesis.core.transport import Response as SchemathesisResponse

from apps.meter_service.core.identifiers import build_payment_id
from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.doctype.api_token.services import token_create
from apps.meter_service.doctype.counter_office.services import office_set_operators
from apps.meter_service.doctype.subscriber.services import subscriber_update
from apps.meter_service.permissions import DESK_ROLES, Role


class StubGateway:
    """Stands in for the payment gateway's client; records what it was asked."""

    def __init__(self):
        self.calls: list[dict] = []
        self.error = None

    def request_payment(self, *, amount_rial, callback_url, description, mobile, order_id):
        from apps.meter_service.integrations.gateway.adapter import PaymentRequestResult

        if self.error is not None:
            raise self.error
        self.calls.append({"claim": order_id, "amount": amount_rial, "callback": callback_url})
        return PaymentRequestResult(authority=f"A{order_id}{len(self.calls):04d}")

    def start_pay_url(self, authority: str) -> str:
        return f"https://gateway.test/StartPay/{authority}"


@pytest.fixture(autouse=True)
def gateway(monkeypatch) -> StubGateway:
    """The real payment service, with the gateway's network client stubbed."""
    stub = StubGateway()
    monkeypatch.setattr("apps.meter_service.doctype.payment.services.get_gateway", lambda: stub)
    return stub


@pytest.fixture(scope="session")
def openapi_document(django_db_blocker) -> dict:
    """The schema as /api/schema/ serves it (JSON)."""
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content[:500]
    return json.loads(response.content)


@pytest.fixture(scope="session")
def api_schema(openapi_document):
    """The schema loaded by schemathesis, for validating responses."""
    return schemathesis.openapi.from_dict(openapi_document)


def check_response(api_schema, response) -> None:
    """Assert the response's status is documented for its operation and its body fits."""
    request = response.wsgi_request
    operation = api_schema.find_operation_by_path(request.method, request.path)
    assert operation is not None, f"{request.method} {request.path} is not in the schema"
    documented = operation.responses.find_by_status_code(response.status_code)
    assert documented is not None, (
        f"{request.method} {request.path} answered {response.status_code}, not documented: "
        f"{response.content[:300]!r}"
    )
    headers = {name.lower(): [value] for name, value in response.items()}
    prepared = requests.Request(request.method, f"http://testserver{request.path}").prepare()
    operation.validate_response(
        SchemathesisResponse(
            status_code=response.status_code,
            headers=headers,
            content=response.content,
            request=prepared,
            elapsed=0.0,
            verify=True,
        )
    )


class SchemaCheckedClient(APIClient):
    """An APIClient whose every response under /api/v1/ is checked against the schema."""

    def __init__(self, api_schema, **defaults):
        super().__init__(**defaults)
        self.api_schema = api_schema

    def request(self, **kwargs):
        response = super().request(**kwargs)
        if response.wsgi_request.path.startswith("/api/v1/"):
            check_response(self.api_schema, response)
        return response


@pytest.fixture
def api(api_schema):
    """Return a factory: api(user=None, token=True) -> a schema-checked client.

    Users of the API roles call with their token; other users (subscribers, staff) with a
    session, as they would from the portal or the desk.
    """

    def make(user=None, *, token: bool | None = None) -> SchemaCheckedClient:
        client = SchemaCheckedClient(api_schema)
        if user is None:
            return client
        if token is None:
            token = not user.is_staff and not user.groups.filter(name=Role.SUBSCRIBER).exists()
        if token:
            key = token_create(user=user).key
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        else:
            client.force_login(user)
        return client

    return make


def valid_claim_body(subscriber, **overrides) -> dict:
    """A JSON body that files a claim for the subscriber (identification not included)."""
    from django.utils import timezone

    body = {
        "reason": "fast",
        "last_reading": "850",
        "last_reading_date": timezone.localdate().isoformat(),
        "last_bill_id": subscriber.bill_id,
        "last_payment_id": build_payment_id(subscriber.bill_id, 2_350_000, 5, 6),
        "contact_mobile": "09121234567",
        "payment_method": "next_bill",
    }
    body.update(overrides)
    return body


@dataclass
class World:
    """Who is who, and one open claim filed by each kind of filer."""

    users: dict = field(default_factory=dict)
    subscribers: dict = field(default_factory=dict)
    claims: dict = field(default_factory=dict)
    offices: dict = field(default_factory=dict)
    agencies: dict = field(default_factory=dict)


@pytest.fixture
def world(make_user, make_office, make_claim, install, tariffs) -> World:
    """Subscribers A and B (portal accounts), offices X and Y with an operator each, an
    agency, the IVR, a user per desk role; claims: A's, B's, X's, Y's and the agency's."""
    w = World()
    for name in ("a", "b"):
        installation = install()
        user = make_user(Role.SUBSCRIBER, username=f"subscriber-{name}")
        subscriber_update(subscriber=installation.subscriber, user=user)
        w.users[f"subscriber_{name}"] = user
        w.subscribers[name] = installation.subscriber
        w.claims[name] = make_claim(installation)
    for name in ("x", "y"):
        office = make_office()
        user = make_user(Role.COUNTER_OFFICE_OPERATOR, username=f"operator-{name}")
        office_set_operators(office=office, users=[user])
        w.offices[name], w.users[f"operator_{name}"] = office, user
        installation = install()
        w.subscribers[name] = installation.subscriber
        w.claims[name] = make_claim(
            installation,
            channel="counter_office",
            counter_office=office,
            payment_method="counter_office",
        )
    agency = Agency.objects.create(code="tax-portal", name="درگاه دولت")
    w.agencies["agency"] = agency
    w.users["agency"] = make_user(Role.AGENCY_CLIENT, username="agency-client")
    agency.users.add(w.users["agency"])
    installation = install()
    w.subscribers["agency"] = installation.subscriber
    w.claims["agency"] = make_claim(installation, channel="agency", agency=agency)
    ivr = Agency.objects.create(code="ivr", name="سامانه تلفنی")
    w.agencies["ivr"] = ivr
    w.users["ivr"] = make_user(Role.AGENCY_CLIENT, username="ivr")
    ivr.users.add(w.users["ivr"])
    w.users["ivr"].groups.add(Group.objects.get(name=Role.IVR_CLIENT))
    for role in sorted(DESK_ROLES):
        w.users[role] = make_user(role, username=f"staff-{role}")
    return w


# Who sees which of the world's claims.
VISIBLE: dict[str, set[str]] = {
    "subscriber_a": {"a"},
    "subscriber_b": {"b"},
    "operator_x": {"x"},
    "operator_y": {"y"},
    "agency": {"agency"},
    "ivr": set(),
    **{role: {"a", "b", "x", "y", "agency"} for role in DESK_ROLES},
}
FILERS = {"subscriber_a", "subscriber_b", "operator_x", "operator_y", "agency"}
CALLERS = [*sorted(VISIBLE), "anonymous"]


# Who may read complaints through the API (view_complaint), and who files and replies.
COMPLAINT_READERS = {
    Role.SERVICE_DESK_CLERK,
    Role.CALL_CENTRE_OPERATOR,  # logs complaints taken by phone in the desk, and reads them
    Role.COMPLAINTS_OFFICER,
    Role.SERVICE_MANAGER,
    Role.SYSTEM_ADMIN,
}
COMPLAINANTS = {"subscriber_a", "subscriber_b", "agency"}
COMPLAINT_VISIBLE: dict[str, set[str]] = {
    "subscriber_a": {"a"},
    "subscriber_b": {"b"},
    "agency": {"agency"},
    **{role: {"a", "b", "agency"} for role in COMPLAINT_READERS},
}


@pytest.fixture
def complaints(world) -> dict:
    """One complaint each: subscribers A's and B's about their claims (portal), and one the
    agency sent (national system) about its claim."""
    from helpdesk.models import Queue

    from apps.meter_service.doctype.complaint.services import complaint_file

    topic = Queue.objects.get(slug="meter-test")
    made = {}
    for name in ("a", "b"):
        made[name] = complaint_file(
            actor=world.users[f"subscriber_{name}"],
            channel="portal",
            topic=topic,
            title="مأمور نیامد",
            description="در زمان اعلام‌شده کسی برای تست کنتور نیامد.",
            claim=world.claims[name],
        )
    made["agency"] = complaint_file(
        actor=world.users["agency"],
        channel="national_system",
        topic=topic,
        title="شکایت ۳۱۹۴",
        description="متن شکایت از سامانهٔ ملی.",
        claim=world.claims["agency"],
        complainant_name="شهروند",
        contact_mobile="09121234567",
        agency=world.agencies["agency"],
        external_reference="3194-0001",
    )
    return made
