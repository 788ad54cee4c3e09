"""axe-core finds no WCAG 2 A/AA violation (nor best-practice one) on the desk, portal, office."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from apps.meter_service.demo.scale import seed_scale
from apps.meter_service.permissions import Role
from tests.office.conftest import make_operator, office_a, operator_a  # noqa: F401
from tests.portal.conftest import link_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0-2.2 A and AA, and axe's best practices (one main landmark, all content in landmarks,
# a level-one heading), which is where a missing <main> shows.
RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def log_in(page, live_server, user) -> None:
    """Give the browser the session of a user logged in by Django's test client."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def axe_violations(page) -> list[dict]:
    """Run axe-core's rules of RULE_TAGS on the page; return each violation, shortened."""
    page.evaluate("document.fonts.ready")
    # Evaluated through the DevTools protocol: the pages' Content-Security-Policy lets no
    # inline <script> (what add_script_tag adds) run.
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", RULE_TAGS
    )
    return [
        {
            "id": violation["id"],
            "help": violation["help"],
            "nodes": [
                {"target": node["target"], "summary": node["failureSummary"]}
                for node in violation["nodes"][:5]
            ],
        }
        for violation in result["violations"]
    ]


def assert_accessible(page, *urls: str) -> None:
    """Visit each page and assert that axe finds nothing on any of them (all are reported)."""
    found = {}
    for url in urls:
        response = page.goto(url)
        assert response.status == 200, url
        if violations := axe_violations(page):
            found[url] = violations
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


def test_desk_claim_page(page, live_server, make_user, make_claim):
    claim = make_claim()
    log_in(page, live_server, make_user(Role.SERVICE_MANAGER))
    assert_accessible(page, f"{live_server.url}/desk/meter_service/claim/{claim.pk}/change/")


def test_desk_dashboard(page, live_server, make_user):
    # Seeded history, so that every figure (bill corrections too) has something to draw.
    seed_scale(claims=200, days=60)
    log_in(page, live_server, make_user(Role.SERVICE_MANAGER))
    assert_accessible(page, f"{live_server.url}/desk/", f"{live_server.url}/desk/dashboard/")


def test_portal_pages(page, live_server, make_user, make_claim):
    claim = make_claim()
    assert_accessible(page, f"{live_server.url}/portal/status/")
    user = make_user(Role.SUBSCRIBER)
    link_account(claim.subscriber, user)
    log_in(page, live_server, user)
    assert_accessible(page, f"{live_server.url}/portal/claims/{claim.tracking_code}/")


def test_office_pages(page, live_server, operator_a):  # noqa: F811
    log_in(page, live_server, operator_a)
    assert_accessible(page, f"{live_server.url}/office/", f"{live_server.url}/office/claims/new/")


def test_help_pages(page, live_server, make_user, installed, roles):
    from apps.meter_service.demo.knowledge import ensure_knowledge_articles

    ensure_knowledge_articles(actor=None)
    assert_accessible(
        page, f"{live_server.url}/portal/help/", f"{live_server.url}/portal/help/?q=هزینه"
    )
    user = make_user(Role.SUBSCRIBER)
    link_account(installed.subscriber, user)
    log_in(page, live_server, user)
    assert_accessible(page, f"{live_server.url}/portal/complaints/new/?topic=fees")
