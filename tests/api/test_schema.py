"""The OpenAPI schema: served, valid, complete, and true to what the API answers.

Every response in tests/api is checked against the schema by the `api` client (conftest);
here the schema itself is checked. Schemathesis' generated requests, with all its checks and
every caller, are in test_fuzz.py.
"""

from __future__ import annotations

import re

import pytest
from drf_spectacular.validation import validate_schema
from schemathesis.core.failures import FailureGroup

from apps.meter_service.core.error_codes import ApiErrorCode
from apps.meter_service.permissions import Role
from apps.meter_service.registries import error_code_values
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


def test_schema_lists_every_error_code(openapi_document):
    extra = openapi_document["components"]["schemas"]["ErrorExtra"]["properties"]
    listed = set(re.findall(r"[a-z][a-z0-9_]+", extra["codes"]["description"]))
    assert "no_meter_installed" in listed
    assert sorted(set(error_code_values()) - listed) == []
    api_codes = set(re.findall(r"[a-z][a-z0-9_]+", extra["code"]["description"]))
    assert sorted(set(ApiErrorCode) - api_codes) == []
