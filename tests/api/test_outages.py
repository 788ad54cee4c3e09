"""The API during an outage of the database or Redis answers JSON 503 in its error shape
(with Retry-After), never Django's HTML 500, so a client knows to send again later."""

from __future__ import annotations

import pytest
import redis
from django.db import OperationalError, connection
from django.test import Client

from apps.meter_service.doctype.api_token.services import token_create
from tests.integrations.fakes import closed_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency_client(world, settings) -> Client:
    settings.DEBUG = False
    key = token_create(user=world.users["agency"]).key
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {key}")


def _assert_json_503(response) -> dict:
    assert response.status_code == 503, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["extra"]["code"] == "service_unavailable" and body["message"]
    return body


def test_what_needs_redis_answers_json_503_while_redis_is_down(agency_client, monkeypatch):
    """A call that cannot go on without Redis (here the list, made to need it) fails in the
    API's shape. The cache, the roles and the sessions do not need it (test_redis_outage.py)."""

    def needs_redis(*args, **kwargs):
        redis.Redis(port=closed_port(), socket_connect_timeout=0.5).ping()

    monkeypatch.setattr("apps.meter_service.api.claims.ClaimListApi.get", needs_redis)
    _assert_json_503(agency_client.get("/api/v1/claims/"))


def test_the_api_answers_json_503_while_the_database_is_out_of_reach(agency_client):
    def refuse(execute, sql, params, many, context):
        raise OperationalError(2003, "Can't connect to MySQL server")

    with connection.execute_wrapper(refuse):
        response = agency_client.get("/api/v1/claims/")
    _assert_json_503(response)


def test_a_bug_is_still_a_500(agency_client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("apps.meter_service.api.claims.ClaimListApi.get", broken)
    response = agency_client.get("/api/v1/claims/")
    assert response.status_code == 500
    assert response.json()["extra"]["code"] == "server_error"
