"""Request bodies are refused by size before anything reads them: a 100 MB anonymous POST
to /portal/login/ was written to a temporary file."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/portal/login/", "/office/login/", "/pay/callback/"])
def test_a_large_body_to_an_endpoint_that_takes_no_file_is_refused_unread(client, path):
    body = b"x" * (100 * 1024)  # declared and sent: far more than a sign-in needs
    response = client.generic("POST", path, body, content_type="application/octet-stream")
    assert response.status_code == 413


@pytest.mark.django_db
def test_the_api_answers_json_and_a_body_over_the_largest_upload_is_refused(client, settings):
    settings.METER_MAX_REQUEST_BYTES = 1024
    response = client.generic("POST", "/api/v1/claims/", b"x" * 2048, content_type="text/plain")
    assert response.status_code == 413
    assert response.json()["extra"]["code"] == "too_large"


@pytest.mark.django_db
def test_an_ordinary_sign_in_passes(client):
    response = client.post("/portal/login/", {"identifier": "1234567"})
    assert response.status_code in (200, 302)
