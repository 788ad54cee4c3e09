"""The subscriber portal in a real browser: log in by SMS code, file a claim, see its code."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from apps.meter_service.core import jalali, tracking
from apps.meter_service.core.identifiers import normalize_digits, to_persian_digits
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.permissions import Role
from tests.integrations.sms_fake import fake_sms, sms_fake_server  # noqa: F401
from tests.portal.conftest import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_subscriber_files_a_claim_in_persian(page, live_server, installed, tariffs, fake_sms):  # noqa: F811
    from apps.meter_service.doctype.notification.services import message_templates_ensure_defaults

    message_templates_ensure_defaults()
    subscriber = installed.subscriber
    with translation.override("fa"):
        today = jalali.format_date(timezone.localdate())

    # The home page sends a visitor who wants to file a claim to the login.
    page.goto(f"{live_server.url}/")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    page.click("a.btn--primary[href='/portal/claims/new/']")
    page.wait_for_url("**/portal/login/**")

    # Step one: the subscription number in Persian digits; step two: the texted code.
    page.fill("input[name=identifier]", to_persian_digits(subscriber.subscription_number))
    page.click("main button[type=submit]")
    page.wait_for_selector("input[name=code]")
    code = fake_sms.last_code(subscriber.mobile)
    page.fill("input[name=code]", to_persian_digits(code))
    page.click("main button[type=submit]")

    # One subscription: straight to its form, with the fee shown before submitting.
    page.wait_for_url(f"**/portal/claims/new/{subscriber.subscription_number}/")
    assert installed.meter.serial in page.inner_text(".summary")
    assert "۱٬۶۵۰٬۰۰۰" in page.inner_text(".fee")
    page.evaluate("document.fonts.ready")
    assert "Vazirmatn FD" in page.evaluate("getComputedStyle(document.body).fontFamily")

    page.check("input[name=reason][value=fast]")
    page.fill("input[name=last_reading]", "۸۵۰")
    # The date from the Jalali calendar that opens on the field: its "today" button.
    page.click("input[name=last_reading_date]")
    page.locator("jdp-container").wait_for(state="visible")
    page.click("jdp-container .jdp-btn-today")
    assert page.input_value("input[name=last_reading_date]") == normalize_digits(today)
    page.click("h1")
    page.locator("jdp-container").wait_for(state="hidden")
    page.set_input_files(
        "input[name=last_bill_scan]",
        files=[{"name": "bill.png", "mimeType": "image/png", "buffer": png_bytes()}],
    )
    assert page.input_value("input[name=contact_mobile]") == subscriber.mobile
    page.check("input[name=payment_method][value=gateway]")
    page.click("form.claim-form button[type=submit]")

    page.wait_for_url("**/portal/claims/*/")
    claim = Claim.objects.get()
    shown = normalize_digits(page.inner_text(".claim-head__code"))
    assert shown == tracking.display(claim.tracking_code)
    assert page.locator(f"form[action='/pay/{claim.tracking_code}/'] button").is_visible()
    assert claim.channel == "web" and claim.last_bill_scan.name.endswith(".png")
    assert claim.last_reading_date == timezone.localdate()


def _fits(page) -> bool:
    page.evaluate("document.fonts.ready")
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_portal_pages_fit_a_360_px_phone(browser, live_server, installed, make_claim, make_user):
    """No page is wider than a small phone's screen, not even with a long status badge."""
    from apps.meter_service.doctype.claim.services import claim_mark_paid
    from tests.browser.test_accessibility import log_in
    from tests.portal.conftest import link_account

    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="fa-IR")
    page = context.new_page()
    try:
        user = make_user(Role.SUBSCRIBER)
        link_account(installed.subscriber, user)
        log_in(page, live_server, user)
        page.goto(
            f"{live_server.url}/portal/claims/new/{installed.subscriber.subscription_number}/"
        )
        assert _fits(page), "claim form"
        page.click("form.claim-form button[type=submit]")  # empty: the errors show
        page.wait_for_selector(".claim-form .field--invalid")
        assert _fits(page), "claim form with errors"

        claim = claim_mark_paid(claim=make_claim(), reference="x")  # "paid, awaiting the test"
        page.goto(f"{live_server.url}/portal/claims/{claim.tracking_code}/")
        assert _fits(page), "claim page"
        page.goto(f"{live_server.url}/portal/status/")
        assert _fits(page), "status page"
        page.fill("input[name=code]", claim.tracking_code)
        page.fill("input[name=mobile_last4]", claim.contact_mobile[-4:])
        page.click("main button[type=submit]")
        page.wait_for_selector(".result")
        assert _fits(page), "status page with the claim's status"
    finally:
        context.close()


def test_refused_claim_form_opens_on_a_summary_linking_each_error(
    page, live_server, installed, tariffs, make_user
):
    from tests.browser.test_accessibility import axe_violations, log_in
    from tests.portal.conftest import link_account

    user = make_user(Role.SUBSCRIBER)
    link_account(installed.subscriber, user)
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/portal/claims/new/{installed.subscriber.subscription_number}/")
    page.fill("input[name=last_reading]", "۸۵۰")
    page.click("form.claim-form button[type=submit]")
    page.wait_for_selector("#error-summary")

    # The summary has the focus, so it is on screen and read out, though the form is long.
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.locator("#error-summary").is_visible()
    top = "document.getElementById('error-summary').getBoundingClientRect().top"
    assert 0 <= page.evaluate(top) < page.evaluate("window.innerHeight")
    # One link per field in error, each to that field's input.
    invalid = page.locator(".claim-form .field--invalid").count()
    links = page.locator("#error-summary a")
    assert invalid >= 2 and links.count() == invalid
    for index in range(links.count()):
        target = links.nth(index).get_attribute("href")
        assert page.locator(f".field--invalid {target}").count() == 1, target
    assert axe_violations(page) == []
    links.first.click()
    target = links.first.get_attribute("href")
    assert page.evaluate("'#' + document.activeElement.id") == target
