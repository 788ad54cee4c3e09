"""The Content-Security-Policy on every kind of page: what each area allows, and no more.

The browser tests (tests/browser/test_content_security.py) show that the pages work under it.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.meter_service.content_security import gateway_origin
from apps.meter_service.permissions import Role
from tests.office.conftest import make_operator, office_a, operator_a  # noqa: F401
from tests.portal.conftest import link_account
from tests.test_uploads import small_png

pytestmark = pytest.mark.django_db

GATEWAY = "https://payment.zarinpal.com"
# Every page, whatever its area.
COMMON = {
    "default-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "connect-src": "'self'",
    "font-src": "'self'",
    "form-action": f"'self' {GATEWAY}",
}
# The portal, the office, the process chart, the error pages: nothing inline but with the nonce.
STRICT = {
    **COMMON,
    "script-src": "'self' 'nonce-*'",
    "style-src": "'self' 'nonce-*'",
    "img-src": "'self'",
}
# The desk (django-unfold): Alpine.js's expressions, Unfold's style attributes, data: images.
DESK = {
    **STRICT,
    "script-src": "'self' 'nonce-*' 'unsafe-eval'",
    "style-src-attr": "'unsafe-inline'",
    "img-src": "'self' data:",
}
API_DOCS = {**STRICT, "img-src": "'self' data:"}


@pytest.fixture(autouse=True)
def _gateway(settings):
    settings.METER_GATEWAY = {**settings.METER_GATEWAY, "BASE_URL": f"{GATEWAY}/", "TIMEOUT": 1}


def policy(response) -> dict[str, str]:
    """The response's policy as {directive: sources}, a nonce written as 'nonce-*'."""
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, _, sources = part.strip().partition(" ")
        assert name not in directives, f"{name} twice in {header}"
        directives[name] = re.sub(r"'nonce-[A-Za-z0-9+/=]+'", "'nonce-*'", sources)
    return directives


def nonce(response) -> str | None:
    found = re.search(r"'nonce-([A-Za-z0-9+/=]+)'", response["Content-Security-Policy"])
    return found.group(1) if found else None


def assert_policy(response, expected: dict[str, str]) -> None:
    found = policy(response)
    # Nonce sources appear only when the page has something inline to let through.
    if nonce(response) is None:
        expected = {k: v.replace(" 'nonce-*'", "") for k, v in expected.items()}
    assert found == expected
    assert "'unsafe-inline'" not in found["script-src"]


@pytest.fixture
def subscriber_client(make_claim, make_user):
    claim = make_claim()
    user = make_user(Role.SUBSCRIBER)
    link_account(claim.subscriber, user)
    client = Client()
    client.force_login(user)
    client.claim = claim
    return client


def test_public_pages(client, roles, tariffs):
    for url in ("/portal/", "/portal/login/", "/portal/status/", "/process/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_policy(response, STRICT)


def test_subscriber_portal_and_claim_form(subscriber_client):
    claim = subscriber_client.claim
    for url in (
        "/portal/claims/",
        f"/portal/claims/{claim.tracking_code}/",
        f"/portal/claims/new/{claim.subscriber.subscription_number}/",
    ):
        response = subscriber_client.get(url)
        assert response.status_code == 200, url
        assert_policy(response, STRICT)


def test_the_inline_script_of_a_refused_form_carries_the_headers_nonce(subscriber_client):
    subscription = subscriber_client.claim.subscriber.subscription_number
    response = subscriber_client.post(f"/portal/claims/new/{subscription}/", {})
    assert response.status_code == 200
    assert_policy(response, STRICT)
    scripts = re.findall(r"<script([^>]*)>", response.content.decode())
    inline = [attrs for attrs in scripts if "src=" not in attrs and "json" not in attrs]
    assert inline, "the error summary's focus script"
    assert all(f'nonce="{nonce(response)}"' in attrs for attrs in inline)


def test_a_new_nonce_on_every_request(subscriber_client):
    subscription = subscriber_client.claim.subscriber.subscription_number
    first = subscriber_client.post(f"/portal/claims/new/{subscription}/", {})
    second = subscriber_client.post(f"/portal/claims/new/{subscription}/", {})
    assert nonce(first) and nonce(second) and nonce(first) != nonce(second)


def test_office_pages(operator_a):  # noqa: F811
    client = Client()
    assert_policy(client.get("/office/login/"), STRICT)
    client.force_login(operator_a)
    for url in ("/office/", "/office/claims/new/", "/office/statement/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_policy(response, STRICT)


def test_desk_pages(client, make_user, make_claim):
    assert_policy(client.get("/desk/login/"), DESK)
    claim = make_claim()
    client.force_login(make_user(Role.SERVICE_MANAGER))
    for url in (
        "/desk/",
        "/desk/meter_service/claim/",
        f"/desk/meter_service/claim/{claim.pk}/change/",
        "/desk/meter_service/processtask/",
        "/desk/dashboard/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_policy(response, DESK)
        # Unfold's theme colours: a style block let in by the nonce, not 'unsafe-inline'.
        assert f'<style id="unfold-theme-colors" nonce="{nonce(response)}">' in (
            response.content.decode()
        )


def test_a_list_without_actions_gives_its_style_block_the_nonce(client, make_user, monkeypatch):
    from apps.meter_service.doctype.complaint.models import Complaint
    from apps.meter_service.sites import staff_site

    # Unfold adds a style block to a list that shows actions neither above nor below.
    monkeypatch.setattr(staff_site._registry[Complaint], "actions_on_top", False)
    client.force_login(make_user(Role.SERVICE_MANAGER))
    response = client.get("/desk/meter_service/complaint/")
    assert response.status_code == 200
    assert_policy(response, DESK)
    styles = re.findall(r"<style([^>]*)>", response.content.decode())
    assert len(styles) == 2  # Unfold's theme colours, the list's column width
    assert all(f'nonce="{nonce(response)}"' in attrs for attrs in styles)


def test_api_docs(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert_policy(response, API_DOCS)
    # Swagger UI's start-up script is a file of its own, not inline.
    script = client.get("/api/docs/", {"script": ""})
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.mark.parametrize(
    ("url", "status", "expected"),
    [
        ("/portal/nope/", 404, STRICT),
        ("/office/test-forbidden/", 403, STRICT),
        ("/portal/test-broken/", 500, STRICT),
        ("/desk/test-broken/", 500, DESK),
    ],
)
def test_error_pages(settings, url, status, expected):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.error_urls"
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert_policy(response, expected)


def test_an_upload_keeps_its_sandbox_policy(client, make_claim, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    claim = make_claim(last_bill_scan=SimpleUploadedFile("bill.png", small_png()))
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    response = client.get(claim.last_bill_scan.url)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == ("sandbox; default-src 'none'; img-src 'self'")


def test_form_action_names_exactly_the_gateways_origin(client, settings, roles, tariffs):
    settings.METER_GATEWAY = {"BASE_URL": "https://pay.example.ir:8443/base/path"}
    assert policy(client.get("/portal/"))["form-action"] == "'self' https://pay.example.ir:8443"
    settings.METER_GATEWAY = {}  # no gateway: the site's own forms only
    assert policy(client.get("/portal/"))["form-action"] == "'self'"


@pytest.mark.parametrize(
    ("base_url", "origin"),
    [
        ("https://payment.zarinpal.com", "https://payment.zarinpal.com"),
        ("http://127.0.0.1:8010/", "http://127.0.0.1:8010"),
        ("", ""),
        ("payment.zarinpal.com", ""),
        ("javascript:alert(1)", ""),
    ],
)
def test_gateway_origin(base_url, origin):
    assert gateway_origin({"BASE_URL": base_url}) == origin
