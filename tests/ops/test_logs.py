"""Structured logs: one JSON line per request, with its request id, echoed in X-Request-ID."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from apps.meter_service.core.logs import JsonFormatter


@pytest.fixture
def request_log():
    """Collect the request logger's lines, formatted as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("meter_service.request")
    logger.addHandler(handler)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    logger.removeHandler(handler)


@pytest.mark.django_db
def test_one_json_line_per_request_with_the_given_request_id(client, request_log):
    response = client.get("/health/", HTTP_X_REQUEST_ID="req-1403-abc")

    assert response["X-Request-ID"] == "req-1403-abc"
    [line] = request_log()
    assert line["message"] == "request"
    assert line["level"] == "INFO"
    assert line["logger"] == "meter_service.request"
    assert line["method"] == "GET"
    assert line["path"] == "/health/"
    assert line["status"] == 200
    assert line["request_id"] == "req-1403-abc"
    assert line["user_id"] is None
    assert isinstance(line["duration_ms"], float)


@pytest.mark.django_db
def test_a_request_without_an_id_gets_one(client, request_log):
    first = client.get("/health/")
    second = client.get("/no-such-page/")

    ids = [first["X-Request-ID"], second["X-Request-ID"]]
    assert all(len(i) == 32 for i in ids)
    assert ids[0] != ids[1]
    lines = request_log()
    assert [(line["path"], line["status"]) for line in lines] == [
        ("/health/", 200),
        ("/no-such-page/", 404),
    ]
    assert [line["request_id"] for line in lines] == ids


@pytest.mark.django_db
def test_the_request_log_names_the_logged_in_user(client, django_user_model, request_log):
    user = django_user_model.objects.create_user("ops-user", password="x-1403-secret")
    client.force_login(user)

    client.get("/health/")

    assert request_log()[-1]["user_id"] == user.pk


def test_json_formatter_keeps_extra_fields_persian_text_and_exceptions():
    record = logging.makeLogRecord(
        {"name": "meter_service.jobs", "levelname": "ERROR", "msg": "کار %s شکست خورد"}
    )
    record.args = ("heartbeat",)
    record.job = "apps.meter_service.jobs.heartbeat"
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()

    text = JsonFormatter().format(record)

    assert "\n" not in text  # one line, the traceback included
    entry = json.loads(text)
    assert entry["message"] == "کار heartbeat شکست خورد"
    assert "کار" in text  # not \u-escaped: readable in the log
    assert entry["job"] == "apps.meter_service.jobs.heartbeat"
    assert "ValueError: boom" in entry["exception"]


@pytest.mark.django_db
def test_the_sms_webhooks_secret_is_never_logged(client, settings):
    """The provider can only be given a URL, so the secret is in the path: every log line
    (the request log, and django.request's warning of a 4xx) shows it masked."""
    secret = "webhook-secret-1405"
    settings.METER_SMS = {**settings.METER_SMS, "INBOUND_SECRET": secret}
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        refused = client.post(f"/sms/inbound/{secret}x/", {"from": "09121234567"})
        incomplete = client.post(f"/sms/inbound/{secret}/", {"from": "09121234567"})
    finally:
        root.removeHandler(handler)

    assert (refused.status_code, incomplete.status_code) == (403, 400)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    paths = [line["path"] for line in lines if line.get("logger") == "meter_service.request"]
    assert paths == ["/sms/inbound/***/", "/sms/inbound/***/"]
    assert any(line["logger"] == "django.request" for line in lines)
    assert secret not in stream.getvalue()
