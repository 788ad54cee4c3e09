"""The subscriber portal in a real browser: log in by SMS code, file a claim, see its code."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from apps.meter_service import jalali, tracking
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.identifiers import normalize_digits, to_persian_digits
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
