"""Desk forms and lists: Persian digits, Jalali dates, services behind every save."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core import identifiers
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.meter.models import Meter, MeterInstallation
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.permissions import Role
from tests.conftest import national_id


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(Role.SYSTEM_ADMIN))
    return client


def _subscriber_form(**overrides) -> dict:
    number = "1402001"
    data = {
        "subscription_number": to_persian_digits(number),
        "bill_id": to_persian_digits(identifiers.build_bill_id(number, "281", 3)),
        "customer_type": "g2c",
        "national_id": to_persian_digits(national_id(1402001)),
        "national_legal_id": "",
        "name": "سارا محمدی",
        "mobile": "+98 ۹۱۲ ۱۲۳ ۴۵۶۷",
        "city": "قزوین",
        "address": "خیابان نادری، پلاک ۴",
        "postal_code": "٣٤١٥٦٧٨٩٠١",  # Arabic-Indic digits
        "tariff_group": "household",
        "climate_zone": "1",
        "installations-TOTAL_FORMS": "0",
        "installations-INITIAL_FORMS": "0",
        "installations-MIN_NUM_FORMS": "0",
        "installations-MAX_NUM_FORMS": "1000",
        "_save": "1",
    }
    data.update(overrides)
    return data


def test_subscriber_added_with_persian_digits_is_stored_normalised(admin_client):
    response = admin_client.post(reverse("admin:meter_service_subscriber_add"), _subscriber_form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    subscriber = Subscriber.objects.get()
    assert subscriber.subscription_number == "1402001"
    assert subscriber.mobile == "09121234567"
    assert subscriber.postal_code == "3415678901"
    assert DocumentEvent.objects.filter(event_type="subscriber_created").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("national_id", "۰۰۱۲۳۴۵۶۷۸", "رقم کنترل آن درست نیست"),
        ("mobile", "0812", "شماره همراه معتبر وارد کنید"),
        ("bill_id", "140200128131", "رقم کنترل آن درست نیست"),
        ("subscription_number", "1402002", "متعلق به شماره اشتراک"),
    ],
)
def test_bad_subscriber_input_is_refused_in_persian(admin_client, field, value, message):
    events = DocumentEvent.objects.count()
    response = admin_client.post(
        reverse("admin:meter_service_subscriber_add"), _subscriber_form(**{field: value})
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Subscriber.objects.count() == 0
    assert DocumentEvent.objects.count() == events


def test_change_goes_through_the_service_and_is_audited(admin_client, make_subscriber):
    subscriber = make_subscriber(number="1402001")
    url = reverse("admin:meter_service_subscriber_change", args=[subscriber.pk])
    form = _subscriber_form(
        national_id=subscriber.national_id, mobile="09351112233", name=subscriber.name
    )
    response = admin_client.post(url, form)
    assert response.status_code == 302
    event = DocumentEvent.objects.get(event_type="subscriber_updated")
    assert event.parameters["changes"]["mobile"] == ["09121234567", "09351112233"]


def test_meter_list_filters_by_jalali_range(admin_client, make_meter):
    make_meter(serial="OLD-0001", install_date=datetime.date(2023, 3, 20))  # 1401/12/29
    make_meter(serial="NEW-0001", install_date=datetime.date(2023, 3, 21))  # 1402/01/01
    url = reverse("admin:meter_service_meter_changelist")
    response = admin_client.get(url, {"install_date_from": "۱۴۰۲/۰۱/۰۱"})
    serials = [m.serial for m in response.context["cl"].result_list]
    assert serials == ["NEW-0001"]
    assert "۱۴۰۲/۰۱/۰۱" in response.content.decode()


def test_install_form_requires_the_old_meters_final_reading(admin_client, installed, make_meter):
    new_meter = make_meter()
    url = reverse("admin:meter_service_meterinstallation_add")
    data = {
        "subscriber": installed.subscriber.pk,
        "meter": new_meter.pk,
        "installed_on": "۱۴۰۳/۰۱/۱۵",
        "initial_reading": "۰",
        "reason": "fault",
        "removed_meter_final_reading": "",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "کارکرد نهایی کنتور برداشته‌شده را وارد کنید" in response.content.decode()
    assert MeterInstallation.objects.count() == 1
    data["removed_meter_final_reading"] = "۱۲۳۴٫۵"
    response = admin_client.post(url, data)
    assert response.status_code == 302
    installed.refresh_from_db()
    assert installed.final_reading == 1234.5 and installed.removed_on == datetime.date(2024, 4, 3)
    assert Meter.objects.get(pk=installed.meter_id).status == "faulty"


def test_desk_switches_to_english(admin_client):
    response = admin_client.post(reverse("set_language"), {"language": "en", "next": "/desk/"})
    assert response.status_code == 302
    page = admin_client.get("/desk/")
    assert 'lang="en"' in page.content.decode() and 'dir="ltr"' in page.content.decode()
