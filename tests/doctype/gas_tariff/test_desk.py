"""Gas tariffs in the desk: a table and its blocks are saved together, through the service."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.gas_tariff.models import GasTariff
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db


def form(blocks: list[tuple[str, str, str]], **fields) -> dict:
    data = {
        "name": "خانگی ۱۴۰۳، ماه‌های گرم",
        "tariff_group": "household",
        "season": "warm",
        "climate_zone": "",
        "pricing_method": "slab",
        "effective_from": "۱۴۰۳/۰۱/۱۶",
        "effective_to": "۱۴۰۳/۰۸/۱۵",
        "blocks-TOTAL_FORMS": str(len(blocks)),
        "blocks-INITIAL_FORMS": "0",
        "blocks-MIN_NUM_FORMS": "0",
        "blocks-MAX_NUM_FORMS": "1000",
    }
    for index, (start, end, price) in enumerate(blocks):
        data.update(
            {
                f"blocks-{index}-from_m3": start,
                f"blocks-{index}-to_m3": end,
                f"blocks-{index}-rial_per_m3": price,
            }
        )
    data.update(fields)
    return data


@pytest.fixture
def officer(client, make_user):
    client.force_login(make_user(Role.BILLING_OFFICER))
    return client


def test_a_table_with_persian_digits_is_added_with_its_blocks(officer):
    response = officer.post(
        reverse("admin:meter_service_gastariff_add"),
        form([("۰", "۴۵", "۱۰۸۱"), ("۴۶", "", "۱۳۱۱")]),
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    tariff = GasTariff.objects.get()
    assert tariff.effective_from == datetime.date(2024, 4, 4)
    assert tariff.effective_to == datetime.date(2024, 11, 5)
    assert list(tariff.blocks.values_list("from_m3", "to_m3", "rial_per_m3")) == [
        (0, 45, 1081),
        (46, None, 1311),
    ]
    assert DocumentEvent.objects.filter(event_type="gas_tariff_created").count() == 1
    page = officer.get(reverse("admin:meter_service_gastariff_changelist"))
    assert "۱۴۰۳/۰۱/۱۶" in page.content.decode()


def test_a_gap_between_blocks_is_shown_on_the_form_and_nothing_saved(officer):
    response = officer.post(
        reverse("admin:meter_service_gastariff_add"),
        form([("0", "45", "1081"), ("50", "", "1311")]),
    )
    assert response.status_code == 200
    assert "46" in response.content.decode()
    assert GasTariff.objects.count() == 0


def test_overlapping_days_are_shown_on_the_form(officer):
    url = reverse("admin:meter_service_gastariff_add")
    assert officer.post(url, form([("0", "", "1081")])).status_code == 302
    response = officer.post(url, form([("0", "", "1200")], name="again"))
    assert response.status_code == 200
    assert GasTariff.objects.count() == 1


def test_changing_the_blocks_in_the_desk(officer):
    url = reverse("admin:meter_service_gastariff_add")
    officer.post(url, form([("0", "45", "1081"), ("46", "", "1311")]))
    tariff = GasTariff.objects.get()
    blocks = list(tariff.blocks.order_by("from_m3"))
    data = form([("0", "45", "1100"), ("46", "", "1311")])
    data["blocks-INITIAL_FORMS"] = "2"
    for index, block in enumerate(blocks):
        data[f"blocks-{index}-id"] = str(block.pk)
        data[f"blocks-{index}-tariff"] = str(tariff.pk)
    response = officer.post(reverse("admin:meter_service_gastariff_change", args=[tariff.pk]), data)
    assert response.status_code == 302
    assert list(tariff.blocks.values_list("rial_per_m3", flat=True)) == [1100, 1311]
    assert DocumentEvent.objects.filter(event_type="gas_tariff_changed").count() == 1


def test_a_technician_views_but_cannot_change(client, make_user, officer):
    officer.post(reverse("admin:meter_service_gastariff_add"), form([("0", "", "1081")]))
    tariff = GasTariff.objects.get()
    client.force_login(make_user(Role.TECHNICIAN))
    url = reverse("admin:meter_service_gastariff_change", args=[tariff.pk])
    assert client.get(url).status_code == 200
    client.post(url, form([("0", "", "1")]))
    assert tariff.blocks.get().rial_per_m3 == 1081
