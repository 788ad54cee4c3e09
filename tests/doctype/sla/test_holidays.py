"""The 1405 holiday list: Jalali in the fixture and the desk, Gregorian in the table."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.sla.calendar import working_seconds_between
from apps.meter_service.doctype.sla.models import Holiday
from apps.meter_service.doctype.sla.services import holidays_load, read_holiday_rows
from apps.meter_service.permissions import Role
from tests.doctype.sla.conftest import HOUR, at

pytestmark = pytest.mark.django_db


def test_fixture_loads_jalali_dates_as_gregorian():
    created = holidays_load()
    assert len(created) == Holiday.objects.count() == 26
    nowruz = Holiday.objects.get(date=datetime.date(2026, 3, 21))  # 1 Farvardin 1405
    assert "نوروز" in nowruz.name and nowruz.name_en.startswith("Nowruz")
    assert not nowruz.half_day
    expected = {
        datetime.date(2026, 3, 24): "Nowruz",  # 4 Farvardin
        datetime.date(2026, 4, 1): "Islamic Republic Day",  # 12 Farvardin
        datetime.date(2026, 4, 2): "Nature Day (Sizdah Bedar)",  # 13 Farvardin
        datetime.date(2026, 6, 4): "Passing of Imam Khomeini; Eid al-Ghadir",  # 14 Khordad
        datetime.date(2026, 6, 5): "15 Khordad uprising",
        datetime.date(2027, 2, 11): "Victory of the Islamic Revolution",  # 22 Bahman
        datetime.date(2027, 3, 20): "Oil Nationalization Day",  # 29 Esfand 1405
    }
    for day, name in expected.items():
        assert Holiday.objects.get(date=day).name_en == name
    # All of them inside 1405: 21 March 2026 to 20 March 2027.
    dates = list(Holiday.objects.values_list("date", flat=True))
    assert min(dates) == datetime.date(2026, 3, 21) and max(dates) == datetime.date(2027, 3, 20)


def test_loading_twice_adds_nothing_and_keeps_staff_edits():
    holidays_load()
    Holiday.objects.filter(date=datetime.date(2026, 6, 24)).update(name="تاسوعا (ویرایش)")
    assert holidays_load() == []
    call_command("load_fixtures", verbosity=0)
    assert Holiday.objects.count() == 26
    assert Holiday.objects.get(date=datetime.date(2026, 6, 24)).name == "تاسوعا (ویرایش)"


def test_nowruz_takes_the_first_days_of_1405_out():
    holidays_load()
    # Fri 20 Mar 2026 10:00 -> Wed 25 Mar 2026 10:00: Fri off, Sat-Tue 1-4 Farvardin are
    # holidays; Wed 07:00-10:00 counts, 3 h.
    assert working_seconds_between(at(2026, 3, 20, 10), at(2026, 3, 25, 10)) == 3 * HOUR


def test_the_file_format():
    text = (
        "# a note\n"
        "jalali_date,name_fa,name_en,half_day\n"
        "1405/01/01,نوروز,Nowruz,\n"
        "۱۴۰۵/۰۱/۱۲,روز جمهوری,Republic Day,1\n"
    )
    rows = read_holiday_rows(text)
    assert [(r["date"], r["half_day"]) for r in rows] == [
        (datetime.date(2026, 3, 21), False),
        (datetime.date(2026, 4, 1), True),
    ]


def test_a_date_listed_twice_is_refused(tmp_path):
    path = tmp_path / "holidays.csv"
    path.write_text(
        "jalali_date,name_fa,name_en\n1405/01/01,a,a\n1405/01/01,b,b\n", encoding="utf-8"
    )
    with pytest.raises(ValueError):
        holidays_load(path=path)
    assert not Holiday.objects.exists()


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(Role.SYSTEM_ADMIN, is_superuser=True))
    return client


def test_desk_takes_and_shows_holidays_in_jalali(admin_client):
    response = admin_client.post(
        reverse("admin:meter_service_holiday_add"),
        {"date": "۱۴۰۵/۰۲/۱۰", "name": "تعطیلی استانی", "name_en": "", "half_day": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    holiday = Holiday.objects.get(name="تعطیلی استانی")
    assert holiday.date == datetime.date(2026, 4, 30) and holiday.half_day
    assert DocumentEvent.objects.filter(event_type="holiday_created").count() == 1
    listing = admin_client.get(reverse("admin:meter_service_holiday_changelist"), {"year": "1405"})
    assert listing.status_code == 200
    assert "۱۴۰۵/۰۲/۱۰" in listing.content.decode()
    page = admin_client.get(reverse("admin:meter_service_holiday_change", args=[holiday.pk]))
    assert "۱۴۰۵/۰۲/۱۰" in page.content.decode()
