"""A subscriber files a complaint through the Persian portal form and finds it in the list."""

from __future__ import annotations

import pytest

from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import normalize_digits, to_persian_digits
from apps.meter_service.doctype.complaint.models import Complaint
from tests.doctype.complaint.conftest import topics  # noqa: F401
from tests.integrations.sms_fake import fake_sms, sms_fake_server  # noqa: F401
from tests.portal.conftest import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_subscriber_files_a_complaint_in_persian(page, live_server, installed, topics, fake_sms):  # noqa: F811
    subscriber = installed.subscriber

    # Complaints need a login: the list sends the visitor to it, and back after the code.
    page.goto(f"{live_server.url}/portal/complaints/")
    page.wait_for_url("**/portal/login/**")
    page.fill("input[name=identifier]", to_persian_digits(subscriber.subscription_number))
    page.click("main button[type=submit]")
    page.wait_for_selector("input[name=code]")
    page.fill("input[name=code]", to_persian_digits(fake_sms.last_code(subscriber.mobile)))
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/complaints/")
    assert page.evaluate("document.documentElement.dir") == "rtl"

    page.click(".page-head a.btn--primary")
    page.wait_for_url("**/portal/complaints/new/")
    assert page.input_value("input[name=contact_mobile]") == subscriber.mobile
    page.check(f"input[name=topic][value='{topics['fees'].pk}']")
    page.fill("input[name=title]", "پرداخت دوبار کسر شد")
    page.fill("textarea[name=description]", "مبلغ ۱٬۶۵۰٬۰۰۰ ریال دو بار از حسابم کسر شد.")
    page.set_input_files(
        "input[name=attachment]",
        files=[{"name": "receipt.png", "mimeType": "image/png", "buffer": png_bytes()}],
    )
    page.fill("input[name=contact_mobile]", "۰۹۱۲۳۴۵۶۷۸۹")
    page.click("form.complaint-form button[type=submit]")

    page.wait_for_url("**/portal/complaints/*/")
    complaint = Complaint.objects.get()
    assert complaint.contact_mobile == "09123456789"
    assert complaint.ticket.queue == topics["fees"]
    code = tracking.display(complaint.tracking_code)
    assert normalize_digits(page.inner_text(".flash-list")).count(code) == 1
    assert "۱٬۶۵۰٬۰۰۰" in page.inner_text(".conversation")
    assert page.locator(".message__files a").inner_text().startswith("receipt.png")

    page.click(".crumbs a")
    page.wait_for_url("**/portal/complaints/")
    assert code in normalize_digits(page.inner_text(".complaint-cards"))
    assert "پرداخت دوبار کسر شد" in page.inner_text(".complaint-cards")
