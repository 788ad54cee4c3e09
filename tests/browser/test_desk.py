"""The desk in a real browser: Persian, right to left, Vazirmatn, Jalali dates."""

from __future__ import annotations

import datetime

import pytest

from apps.meter_service.core.identifiers import normalize_digits
from apps.meter_service.doctype.meter.models import Meter
from apps.meter_service.permissions import Role
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/desk/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/")


def test_staff_desk_is_persian_rtl_with_vazirmatn(page, live_server, make_user, installed):
    user = make_user(Role.SERVICE_MANAGER)
    _login(page, live_server, user.username)
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "fa"
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px \"Vazirmatn FD\"')")
    family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Vazirmatn FD" in family
    page.goto(f"{live_server.url}/desk/meter_service/meterinstallation/")
    # 2022-03-21 is 1401/01/01 (Nowruz), shown with Persian digits.
    assert "۱۴۰۱/۰۱/۰۱" in page.content()


def test_clerk_cannot_reach_what_the_role_lacks(page, live_server, make_user):
    user = make_user(Role.TECHNICIAN)
    _login(page, live_server, user.username)
    response = page.goto(f"{live_server.url}/desk/meter_service/importbatch/")
    assert response.status == 403


def test_meter_form_takes_jalali_date_with_persian_digits(page, live_server, make_user):
    user = make_user(Role.SYSTEM_ADMIN)
    _login(page, live_server, user.username)
    page.goto(f"{live_server.url}/desk/meter_service/meter/add/")
    page.fill("input[name=serial]", "GT-۱۴۰۳-۰۰۰۹")
    page.fill("input[name=make]", "Gaz Tajhiz")
    page.select_option("select[name=size]", "G4")
    page.fill("input[name=install_date]", "۱۴۰۳/۰۵/۱۲")
    page.click("button[name=_save]")
    page.wait_for_url(f"{live_server.url}/desk/meter_service/meter/")
    meter = Meter.objects.get()
    assert meter.serial == "GT-1403-0009"
    assert meter.install_date == datetime.date(2024, 8, 2)


def test_bad_input_shows_a_persian_error_and_saves_nothing(page, live_server, make_user):
    user = make_user(Role.SYSTEM_ADMIN)
    _login(page, live_server, user.username)
    page.goto(f"{live_server.url}/desk/meter_service/subscriber/add/")
    page.fill("input[name=subscription_number]", "1402001")
    page.fill("input[name=bill_id]", "140200128131")
    page.fill("input[name=national_id]", "0012345678")
    page.fill("input[name=name]", "سارا محمدی")
    page.fill("input[name=mobile]", "۰۹۱۲۱۲۳۴۵۶۷")
    page.fill("input[name=city]", "قزوین")
    page.fill("textarea[name=address]", "خیابان نادری")
    page.click("button[name=_save]")
    page.wait_for_load_state()
    text = page.content()
    assert "رقم کنترل آن درست نیست" in text
    from apps.meter_service.doctype.subscriber.models import Subscriber

    assert Subscriber.objects.count() == 0


def test_jalali_calendar_pops_up_and_fills_the_date(page, live_server, make_user):
    user = make_user(Role.SYSTEM_ADMIN)
    _login(page, live_server, user.username)
    page.goto(f"{live_server.url}/desk/meter_service/meter/add/")
    page.fill("input[name=install_date]", "۱۴۰۳/۰۵/۱۲")
    page.click("input[name=serial]")
    page.click("input[name=install_date]")
    calendar = page.locator("jdp-container")
    calendar.wait_for(state="visible")
    # The calendar opens on the month typed (Persian digits read), Mordad 1403.
    assert page.locator("jdp-container .jdp-day.selected").inner_text().strip() in ("12", "۱۲")
    page.locator("jdp-container .jdp-day:not(.not-in-month)", has_text="20").first.click()
    assert page.input_value("input[name=install_date]") == "1403/05/20"


def _box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_desk_lays_out_right_to_left(page, live_server, make_user, make_meter, settings, tmp_path):
    """Unfold's left-to-right margins are mirrored: icons clear their labels, the list's page
    count follows its page links, and a status badge is as wide as its text."""
    settings.METER_JOBS_MODE = "inline"
    settings.MEDIA_ROOT = tmp_path
    for _ in range(51):  # one more than a page
        make_meter()
    user = make_user(Role.SYSTEM_ADMIN)
    _login(page, live_server, user.username)
    page.goto(f"{live_server.url}/desk/meter_service/meter/")

    # The sidebar's active item: its icon on the right, a gap before the label on its left.
    icon = _box(page, "#nav-sidebar-apps a.active > .material-symbols-outlined")
    label = _box(page, "#nav-sidebar-apps a.active > .material-symbols-outlined + span")
    assert icon["x"] - (label["x"] + label["width"]) >= 8

    # Pagination: the count reads after (left of) the page links, without a stray "-".
    pages = _box(page, ".meter-pagination__pages")
    count = page.locator(".meter-pagination__count")
    assert count.bounding_box()["x"] + count.bounding_box()["width"] < pages["x"]
    assert "-" not in page.inner_text(".meter-pagination")
    assert "51" in normalize_digits(count.inner_text())

    # An import's status badge inside a card holds its whole text.
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.meter_service.doctype.import_batch.services import import_batch_create

    header = "subscription_number,bill_id,customer_type,national_id,name,mobile,city,address"
    rows = f"{header}\n1,2,x,3,name,mobile,city,address\n".encode()  # checked: "has errors"
    batch = import_batch_create(
        target="subscriber",
        uploaded_file=SimpleUploadedFile("s.csv", rows, "text/csv"),
        actor=user,
    )
    page.goto(f"{live_server.url}/desk/meter_service/importbatch/{batch.pk}/change/")
    page.evaluate("document.fonts.ready")
    badge = page.locator("#content-main dl dd > span").first
    assert badge.evaluate("el => el.scrollWidth <= el.clientWidth")


def test_a_technician_sees_a_mobile_masked_and_reveals_it(page, live_server, make_user, installed):
    """The reveal control posts from inside the change form with its CSRF token; the full
    value is shown on its own page (and recorded)."""
    import os

    from apps.meter_service.audit.models import DocumentEvent

    subscriber = installed.subscriber
    shots = os.environ.get("METER_SCREENSHOTS")
    user = make_user(Role.TECHNICIAN)
    _login(page, live_server, user.username)
    page.goto(f"{live_server.url}/desk/meter_service/subscriber/")
    listed = normalize_digits(page.content())
    assert "0912***4567" in listed and subscriber.mobile not in listed
    if shots:
        page.screenshot(path=f"{shots}/subscriber_list_technician.png", full_page=True)
    page.goto(f"{live_server.url}/desk/meter_service/subscriber/{subscriber.pk}/change/")
    form = normalize_digits(page.content())
    assert subscriber.national_id not in form and subscriber.mobile not in form
    if shots:
        page.screenshot(path=f"{shots}/subscriber_form_technician.png", full_page=True)
    page.locator('button.meter-reveal[formaction*="/reveal/mobile/"]').click()
    page.wait_for_url("**/reveal/**")
    assert subscriber.mobile in normalize_digits(page.locator("#personal-value").inner_text())
    if shots:
        page.screenshot(path=f"{shots}/subscriber_reveal_technician.png", full_page=True)
    assert DocumentEvent.objects.filter(event_type="personal_data_revealed", actor=user).exists()
