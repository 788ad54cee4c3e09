"""The fake providers' registry: every fake mounted on one server by its path prefix."""

from __future__ import annotations

import json

from apps.meter_service.integrations import fake
from apps.meter_service.integrations.gateway.fake_server import HOOKS_PREFIX, PREFIX
from tests.integrations.fakes import http


def test_load_fakes_finds_the_gateway():
    apps = fake.load_fakes()
    assert PREFIX in apps
    assert HOOKS_PREFIX in apps


def test_one_server_routes_each_prefix_to_its_app():
    def other(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"other fake"]

    server = fake.serve({**fake.load_fakes(), "/v9/": other})
    try:
        status, _headers, body = http("GET", f"{server.base_url}/v9/anything")
        assert (status, body) == (200, "other fake")
        status, _headers, body = http(
            "POST", f"{server.base_url}/pg/v4/payment/verify.json", body={"authority": "A1"}
        )
        assert status == 422
        assert json.loads(body)["errors"]["code"] == -54
        status, _headers, body = http("GET", f"{server.base_url}/")
        assert status == 200
        assert "/v9/" in json.loads(body)["fakes"]
        assert http("GET", f"{server.base_url}/nowhere")[0] == 404
    finally:
        server.stop()


def test_a_prefix_must_be_a_path():
    import pytest

    with pytest.raises(ValueError):
        fake.register_fake("pg/", lambda environ, start_response: [])
