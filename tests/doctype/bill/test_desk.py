"""Bills in the desk: the list, a subscriber's page, and a bill entered by hand."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.bill.models import Bill
from apps.meter_service.doctype.bill.services import bill_upsert
from apps.meter_service.permissions import Role
from tests.doctype.bill.conftest import bill_data

pytestmark = pytest.mark.django_db


def test_the_list_and_the_subscribers_page_show_the_bills(
    client, make_user, make_subscriber, subscriber
):
    bill_upsert(data=bill_data(subscriber), source="import")
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    page = client.get(reverse("admin:meter_service_bill_changelist")).content.decode()
    assert "۱۴۰۳/۰۱/۰۱ – ۱۴۰۳/۰۲/۳۰" in page  # 2024-03-20 to 2024-05-19, Jalali
    assert "۱۳۶٬۶۲۰" in page
    url = reverse("admin:meter_service_subscriber_change", args=[subscriber.pk])
    assert "۱۴۰۳/۰۱/۰۱ – ۱۴۰۳/۰۲/۳۰" in client.get(url).content.decode()
    # its link lists that subscription's bills only
    other = make_subscriber()
    bill_upsert(data=bill_data(other), source="import")
    listing = client.get(
        reverse("admin:meter_service_bill_changelist"), {"subscriber__id__exact": subscriber.pk}
    )
    assert [b.subscriber for b in listing.context["cl"].result_list] == [subscriber]
    # a clerk reads bills but does not enter them
    assert client.get(reverse("admin:meter_service_bill_add")).status_code == 403


def desk_form(subscriber, **overrides) -> dict:
    data = bill_data(subscriber)
    form = {
        "subscriber": str(subscriber.pk),
        "bill_id": to_persian_digits(data["bill_id"]),
        "payment_id": to_persian_digits(data["payment_id"]),
        "period_start": "۱۴۰۳/۰۱/۰۱",
        "period_end": "۱۴۰۳/۰۳/۰۱",
        "previous_reading": "۱۰۰۰",
        "current_reading": "۱۱۲۰٫۵",
        "volume_m3": "۱۲۰٫۵",
        "amount_rial": "۱۳۶۶۲۰",
        "tariff_group": "household",
        "climate_zone": "2",
        "issued_on": "",
    }
    form.update(overrides)
    return form


def test_the_billing_officer_enters_a_bill_with_persian_digits(client, make_user, subscriber):
    client.force_login(make_user(Role.BILLING_OFFICER))
    url = reverse("admin:meter_service_bill_add")
    response = client.post(url, desk_form(subscriber))
    assert response.status_code == 302, response.context["errors"]
    bill = Bill.objects.get()
    assert (bill.source, str(bill.volume_m3), bill.period_start.isoformat()) == (
        "desk",
        "120.500",
        "2024-03-20",
    )
    # the same days again are refused on the form
    again = desk_form(subscriber, payment_id=bill_data(subscriber, period=2)["payment_id"])
    response = client.post(url, again)
    assert response.status_code == 200
    assert Bill.objects.count() == 1


def test_a_volume_that_is_not_the_readings_difference_is_refused(client, make_user, subscriber):
    client.force_login(make_user(Role.SERVICE_MANAGER))
    response = client.post(
        reverse("admin:meter_service_bill_add"), desk_form(subscriber, volume_m3="۹۹")
    )
    assert response.status_code == 200
    assert Bill.objects.count() == 0
