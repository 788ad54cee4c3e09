"""The OpenAPI schema: served, valid, complete, and true to what the API answers.

Every response in tests/api is checked against the schema by the `api` client (conftest);
here the schema itself is checked, and schemathesis sends generated requests to the read
endpoints (a bounded run) and checks every answer against it.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from apps.meter_service.doctype.api_token.services import token_create
from apps.meter_service.permissions import Role
from tests.api.conftest import check_response

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("get", "/api/v1/claims/"),
    ("post", "/api/v1/claims/"),
    ("get", "/api/v1/claims/{tracking_code}/"),
    ("post", "/api/v1/claims/{tracking_code}/cancel/"),
    ("post", "/api/v1/claims/{tracking_code}/pay/"),
    ("get", "/api/v1/claims/{tracking_code}/status/"),
    ("get", "/api/v1/complaints/"),
    ("post", "/api/v1/complaints/"),
    ("get", "/api/v1/complaints/{tracking_code}/"),
    ("post", "/api/v1/complaints/{tracking_code}/replies/"),
    ("get", "/api/v1/fees/quote/"),
    ("get", "/api/v1/billing/charges/"),
    ("post", "/api/v1/billing/charges/export/"),
    ("get", "/api/v1/billing/adjustments/"),
    ("post", "/api/v1/billing/adjustments/export/"),
    ("get", "/api/v1/bills/"),
    ("post", "/api/v1/bills/"),
}


def test_schema_is_valid_openapi_3(openapi_document):
    assert openapi_document["openapi"].startswith("3.")
    validate_schema(openapi_document)


def test_the_token_header_survives_swagger_uis_markdown(openapi_document):
    # Swagger UI renders the description as Markdown with HTML: a bare <key> is eaten as a
    # tag ("Authorization: Token '"); inside a code span it shows as written.
    description = openapi_document["info"]["description"]
    assert "`Authorization: Token <key>`" in description
    assert description.count("<key>") == description.count("`Authorization: Token <key>`")


def test_schema_lists_every_operation_with_its_errors(openapi_document):
    found = {
        (method, path)
        for path, item in openapi_document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert found == OPERATIONS
    error = {"$ref": "#/components/schemas/Error"}
    for method, path in OPERATIONS:
        operation = openapi_document["paths"][path][method]
        assert operation["operationId"] and operation["summary"], (method, path)
        assert {"tokenAuth": []} in operation["security"]
        assert "401" in operation["responses"] and "403" in operation["responses"]
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert response["content"]["application/json"]["schema"] == error


def test_schema_is_served_as_yaml_and_json(client):
    assert client.get("/api/schema/").status_code == 200
    response = client.get("/api/schema/", {"format": "json"})
    assert response.json()["info"]["title"] == "Meter service API"


def test_swagger_ui_uses_local_assets_only(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn." not in html and "unpkg" not in html


def test_schema_check_catches_a_body_that_does_not_match(api, make_user, api_schema):
    response = api(make_user(Role.AGENCY_CLIENT)).get("/api/v1/claims/")
    response.content = b'{"count": "many", "results": null}'
    with pytest.raises(FailureGroup):
        check_response(api_schema, response)
    response.status_code = 418
    with pytest.raises(AssertionError, match="not documented"):
        check_response(api_schema, response)


# --- property-based: generated requests to the read endpoints --------------------------------


@pytest.fixture
def keep_test_connection():
    """Keep the test's database connection through in-process WSGI calls.

    Django's own test client does this: a request's end would otherwise close a connection
    that sits inside the test's transaction (MariaDB's, not SQLite's in-memory one).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def live_schema(openapi_document):
    """The schema, with requests going to the site in-process (WSGI)."""
    schema = schemathesis.openapi.from_dict(openapi_document)
    schema.app = WSGIHandler()
    return schema


READ_PATHS = sorted(path for method, path in OPERATIONS if method == "get")
# Negative cases only where the schema constrains something a request can break.
CASES = [(path, GenerationMode.POSITIVE) for path in READ_PATHS] + [
    ("/api/v1/claims/", GenerationMode.NEGATIVE),
    ("/api/v1/complaints/", GenerationMode.NEGATIVE),
    ("/api/v1/fees/quote/", GenerationMode.NEGATIVE),
]


@pytest.mark.parametrize(("path", "mode"), CASES)
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_read_endpoints_answer_as_documented(
    live_schema, keep_test_connection, world, complaints, path, mode, data
):
    """Any request the schema allows (or breaks) gets a documented answer of its shape."""
    manager = world.users[Role.SERVICE_MANAGER]
    key = token_create(user=manager).key
    case = data.draw(live_schema[path]["GET"].as_strategy(generation_mode=mode))
    case.call_and_validate(headers={"Authorization": f"Token {key}"})
