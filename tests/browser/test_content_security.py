"""Every main page works under its Content-Security-Policy: no violation, no script error.

A page that the policy breaks shows it here: a blocked script, style, image, font or form
target is a securitypolicyviolation event and a console error, and a script that dies on a
blocked eval is a page error. Each test also checks that the page's scripts did their work
(the chart drawn, Alpine started, the calendar opened), so a page cannot pass by running
nothing. Screenshots go to METER_SCREENSHOTS (default /tmp).
"""

from __future__ import annotations

import os

import pytest

from apps.meter_service.demo.scale import seed_scale
from apps.meter_service.doctype.claim.services import claim_mark_paid
from apps.meter_service.engine.models import ProcessTask
from apps.meter_service.permissions import Role
from tests.browser.test_accessibility import log_in
from tests.conftest import PASSWORD
from tests.integrations.fakes import running_gateway
from tests.office.conftest import make_operator, office_a, operator_a  # noqa: F401
from tests.portal.conftest import link_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("METER_SCREENSHOTS", "/tmp")


def visit(page, url: str, *, status: int = 200) -> None:
    response = page.goto(url)
    assert response.status == status, url
    assert "content-security-policy" in response.headers
    page.wait_for_load_state("networkidle")


def assert_clean(page, *, other_origin: str | None = None) -> None:
    """No violation, no script error, no console error on any page the test opened.

    Console errors of a page on `other_origin` (not ours) are left out once the page has
    settled: its favicon request may fail after any earlier look.
    """
    page.wait_for_load_state("networkidle")
    page.evaluate("new Promise((resolve) => setTimeout(resolve, 100))")  # events dispatched
    problems = page.problems
    console_errors = [
        error
        for error in problems.console_errors
        if other_origin is None or not error.startswith(other_origin)
    ]
    assert problems.violations == [], problems.summary()
    assert problems.script_errors == []
    assert console_errors == []


def assert_alpine_started(page) -> None:
    # Alpine removes x-cloak from <html> when it has started; without it nothing of the desk's
    # menus, tabs or dialogs works.
    page.wait_for_function("window.Alpine !== undefined")
    page.wait_for_function("!document.documentElement.hasAttribute('x-cloak')")


def test_public_portal_and_process_chart(page, live_server, roles, tariffs):
    visit(page, f"{live_server.url}/portal/")
    page.screenshot(path=f"{SCREENSHOTS}/csp-portal-home.png", full_page=True)
    visit(page, f"{live_server.url}/portal/login/")
    visit(page, f"{live_server.url}/portal/status/")
    visit(page, f"{live_server.url}/process/")
    page.wait_for_selector("#process-public.is-ready", timeout=20_000)
    assert page.locator("#process-public .djs-element").count() > 10
    page.click("#process-public [data-zoom=in]")
    page.screenshot(path=f"{SCREENSHOTS}/csp-process.png", full_page=True)
    visit(page, f"{live_server.url}/portal/nope/", status=404)
    # The 404 itself is a console error ("Failed to load resource"); nothing else may be.
    page.problems.console_errors = [e for e in page.problems.console_errors if "404" not in e]
    assert_clean(page)


def test_subscriber_portal_claim_form_and_payment(
    page, live_server, installed, make_claim, make_user, settings
):
    user = make_user(Role.SUBSCRIBER)
    link_account(installed.subscriber, user)
    log_in(page, live_server, user)
    visit(page, f"{live_server.url}/portal/claims/")

    # The claim form: the Jalali calendar (a script file) opens; a refused form focuses its
    # error summary (an inline script with the nonce).
    visit(page, f"{live_server.url}/portal/claims/new/{installed.subscriber.subscription_number}/")
    page.click("input[name=last_reading_date]")
    page.locator("jdp-container").wait_for(state="visible")
    page.wait_for_timeout(400)  # the calendar's 0.3 s opening animation, for the picture
    page.screenshot(path=f"{SCREENSHOTS}/csp-portal-claim-form.png", full_page=True)
    page.click("h1")
    page.click("form.claim-form button[type=submit]")
    page.wait_for_selector("#error-summary")
    assert page.evaluate("document.activeElement.id") == "error-summary"

    claim = make_claim()
    # Paying: the form posts to /pay/, which sends the payer on to the gateway's origin
    # (another port: another origin), which form-action must allow, and only it.
    with running_gateway(settings):
        visit(page, f"{live_server.url}/portal/claims/{claim.tracking_code}/")
        page.click(f"form[action='/pay/{claim.tracking_code}/'] button")
        gateway = settings.METER_GATEWAY["BASE_URL"]
        page.wait_for_url(f"{gateway}/pg/StartPay/**")
        assert page.locator("form button").count() >= 1  # the fake bank's page
        # The fake bank's page is not ours (it has no /favicon.ico).
        assert_clean(page, other_origin=gateway)


def test_office_pages(page, live_server, operator_a):  # noqa: F811
    visit(page, f"{live_server.url}/office/login/")
    log_in(page, live_server, operator_a)
    visit(page, f"{live_server.url}/office/")
    visit(page, f"{live_server.url}/office/claims/new/")
    visit(page, f"{live_server.url}/office/statement/")
    page.screenshot(path=f"{SCREENSHOTS}/csp-office-statement.png", full_page=True)
    # The print button's handler is a script file, not an onclick attribute.
    page.evaluate("window.print = () => { window.printed = true; }")
    page.click("[data-print]")
    assert page.evaluate("window.printed") is True
    assert_clean(page)


def test_desk_list_change_inbox_and_dashboard(page, live_server, make_user, make_claim, roles):
    seed_scale(claims=60, days=30)  # the dashboard's figures and bars
    claim = claim_mark_paid(claim=make_claim(), reference="x")  # a task in the technician's lane
    task = ProcessTask.objects.filter(instance__claim=claim, completed_at__isnull=True).first()
    user = make_user(Role.SERVICE_MANAGER)
    user.groups.add(roles[Role.TECHNICIAN])

    # The sign-in form itself, posted by the browser (form-action 'self').
    visit(page, f"{live_server.url}/desk/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/")
    assert_alpine_started(page)
    page.screenshot(path=f"{SCREENSHOTS}/csp-desk-home.png", full_page=True)

    visit(page, f"{live_server.url}/desk/meter_service/claim/")
    assert_alpine_started(page)
    page.screenshot(path=f"{SCREENSHOTS}/csp-desk-list.png", full_page=True)

    visit(page, f"{live_server.url}/desk/meter_service/claim/{claim.pk}/change/")
    assert_alpine_started(page)
    page.wait_for_selector("#claim-process .process-diagram.is-ready", timeout=20_000)
    page.screenshot(path=f"{SCREENSHOTS}/csp-desk-change.png", full_page=True)

    visit(page, f"{live_server.url}/desk/meter_service/processtask/")
    assert_alpine_started(page)
    assert task is not None
    visit(page, f"{live_server.url}/desk/meter_service/processtask/{task.pk}/change/")
    assert_alpine_started(page)
    page.screenshot(path=f"{SCREENSHOTS}/csp-desk-task.png", full_page=True)

    visit(page, f"{live_server.url}/desk/dashboard/")
    assert_alpine_started(page)
    page.screenshot(path=f"{SCREENSHOTS}/csp-desk-dashboard.png", full_page=True)
    assert_clean(page)


def test_desk_add_form(page, live_server, make_user):
    """The meter form: Alpine started, the Jalali calendar opens."""
    log_in(page, live_server, make_user(Role.SYSTEM_ADMIN))
    visit(page, f"{live_server.url}/desk/meter_service/meter/add/")
    assert_alpine_started(page)
    page.fill("input[name=install_date]", "۱۴۰۳/۰۵/۱۲")
    page.click("input[name=serial]")
    page.click("input[name=install_date]")
    page.locator("jdp-container").wait_for(state="visible")
    assert_clean(page)


def test_api_docs(page, live_server):
    visit(page, f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert page.locator(".swagger-ui .opblock").count() > 5
    page.screenshot(path=f"{SCREENSHOTS}/csp-api-docs.png")
    assert_clean(page)
