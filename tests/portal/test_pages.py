"""The portal's public pages: home, language switch, the site's root."""

from __future__ import annotations

import pytest
from django.utils import translation

pytestmark = pytest.mark.django_db


def fa(msgid: str) -> str:
    with translation.override("fa"):
        return translation.gettext(msgid)


def test_the_root_goes_to_the_portal(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/"


def test_home_is_persian_right_to_left_with_the_card(client, tariffs):
    response = client.get("/portal/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fa" dir="rtl">' in html
    assert fa("Qazvin Province Gas Company") in html
    assert fa("File a claim") in html and fa("Track a claim") in html
    assert "۱۰۹٬۰۰۰" in html  # the counter offices' fee
    assert "۱٬۵۰۰٬۰۰۰" in html  # today's general test fee
    for number in ("۳۳۳۷۲۴۶۵", "۳۳۳۷۲۶۶۴", "۵۰۰۰۲۵۱۹۴", "۳۳۳۷۲۴۰۹", "۳۱۹۴"):
        assert number in html
    assert "meter_service/css/portal.css" in html
    assert "http://" not in html.replace("http://www.w3.org", "")  # nothing from outside


def test_english_is_chosen_with_the_language_switch(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/portal/"})
    assert response.status_code == 302

    page = client.get("/portal/")

    assert '<html lang="en" dir="ltr">' in page.content.decode()
    assert "Qazvin Province Gas Company" in page.content.decode()
