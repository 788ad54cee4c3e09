"""Error pages: Persian, right to left, in each site's look with a way home; JSON in the API."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from django.test import Client

from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db

# site prefix -> (the site's home link, a mark of the site's look)
SITES = {
    "portal": ("/portal/", 'href="/static/meter_service/css/portal.css"'),
    "office": ("/office/", 'href="/static/meter_service/css/office.css"'),
    "desk": ("/desk/", 'href="/static/unfold/css/styles.css"'),
}


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.error_urls"


@pytest.fixture
def browser():
    return Client(raise_request_exception=False)


def _assert_site_page(response, site: str, status: int, title: str) -> str:
    home, look = SITES[site]
    html = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert '<html lang="fa" dir="rtl"' in html
    assert look in html
    assert re.search(rf'href="{home}"[^>]*data-home-link', html)
    assert title in html
    assert "Not Found" not in html and "Forbidden" not in html and "Server Error" not in html
    return html


@pytest.mark.parametrize("site", SITES)
def test_not_found_page(browser, make_user, site):
    if site == "desk":  # the desk sends strangers to its login page instead
        browser.force_login(make_user(Role.SERVICE_DESK_CLERK))
    response = browser.get(f"/{site}/no-such-page/")
    _assert_site_page(response, site, 404, "صفحه پیدا نشد")


@pytest.mark.parametrize("site", SITES)
def test_forbidden_page(browser, site):
    response = browser.get(f"/{site}/test-forbidden/")
    _assert_site_page(response, site, 403, "اجازه دیدن این صفحه را ندارید")


@pytest.fixture
def error_log():
    """The lines Django logs for failed requests, formatted as in production."""
    from apps.meter_service.core.logs import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


@pytest.mark.parametrize("site", SITES)
def test_server_error_page_shows_the_request_id_the_log_has(browser, error_log, site):
    response = browser.get(f"/{site}/test-broken/")

    html = _assert_site_page(response, site, 500, "مشکلی پیش آمد")
    request_id = response["X-Request-ID"]
    assert f'<bdi dir="ltr" class="code" data-request-id>{request_id}</bdi>' in html
    [line] = [line for line in error_log() if line.get("status_code") == 500]
    assert line["request_id"] == request_id
    assert "RuntimeError: a defect in a view" in line["exception"]


def test_server_error_page_uses_the_request_id_given(browser):
    response = browser.get("/portal/test-broken/", HTTP_X_REQUEST_ID="req-1405-xyz")
    assert "data-request-id>req-1405-xyz</bdi>" in response.content.decode()


@pytest.mark.parametrize("site", SITES)
def test_csrf_failure_page(site, make_user):
    browser = Client(enforce_csrf_checks=True)
    paths = {"portal": "/portal/login/", "office": "/office/login/", "desk": "/desk/login/"}
    response = browser.post(paths[site], {"username": "x", "password": "y"})
    _assert_site_page(response, site, 403, "فرم پذیرفته نشد")


def test_pages_follow_the_chosen_language(browser):
    browser.cookies["meter_language"] = "en"
    response = browser.get("/portal/no-such-page/")
    html = response.content.decode()
    assert '<html lang="en" dir="ltr"' in html
    assert "Page not found" in html


class TestApi:
    def test_not_found_is_json(self, browser):
        response = browser.get("/api/no-such-endpoint/")
        assert response.status_code == 404
        assert response.json() == {"message": "صفحه پیدا نشد", "extra": {"code": "not_found"}}

    def test_forbidden_is_json(self, browser):
        response = browser.get("/api/test-forbidden/")
        assert response.status_code == 403
        assert response.json()["extra"] == {"code": "permission_denied"}

    def test_server_error_is_json_with_the_request_id(self, browser):
        response = browser.get("/api/test-broken/", HTTP_X_REQUEST_ID="req-api-1")
        assert response.status_code == 500
        assert response.json() == {
            "message": "مشکلی پیش آمد",
            "extra": {"code": "server_error", "request_id": "req-api-1"},
        }
