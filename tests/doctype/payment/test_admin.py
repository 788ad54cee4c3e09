"""The desk's payments and bill charges: read-only lists, and billing's CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from apps.meter_service.doctype.payment import services
from apps.meter_service.doctype.payment.models import BillCharge
from apps.meter_service.permissions import Role

EXPORT = "admin:meter_service_billcharge_export_pending"


@pytest.fixture
def paid_in_person(make_claim, make_user):
    claim = make_claim(channel="in_person", payment_method="in_person")
    payment = services.payment_record_in_person(
        claim=claim, actor=make_user(Role.SERVICE_DESK_CLERK), receipt_number="R-77"
    )
    return claim, payment


@pytest.mark.parametrize(
    "role",
    [Role.SERVICE_DESK_CLERK, Role.BILLING_OFFICER, Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN],
)
def test_staff_with_the_role_list_and_search_payments(client, make_user, paid_in_person, role):
    claim, payment = paid_in_person
    client.force_login(make_user(role))
    listing = client.get(
        reverse("admin:meter_service_payment_changelist"), {"q": claim.tracking_code}
    )
    assert listing.status_code == 200
    assert claim.tracking_code in listing.content.decode()
    page = client.get(reverse("admin:meter_service_payment_change", args=[payment.pk]))
    assert page.status_code == 200
    assert client.get(reverse("admin:meter_service_payment_add")).status_code == 403


def test_payments_are_not_for_field_staff(client, make_user, paid_in_person):
    client.force_login(make_user(Role.TECHNICIAN))
    assert client.get(reverse("admin:meter_service_payment_changelist")).status_code == 403
    assert client.get(reverse("admin:meter_service_billcharge_changelist")).status_code == 403


def test_billing_exports_pending_charges_once_from_the_desk(client, make_user, make_claim):
    # given
    claim = make_claim(payment_method="next_bill")
    client.force_login(make_user(Role.BILLING_OFFICER))
    listing = client.get(reverse("admin:meter_service_billcharge_changelist"))
    assert listing.status_code == 200
    assert reverse(EXPORT) in listing.content.decode()
    # when: the officer asks, then confirms
    confirm = client.get(reverse(EXPORT))
    download = client.post(reverse(EXPORT))
    again = client.post(reverse(EXPORT))
    # then
    assert confirm.status_code == 200
    assert BillCharge.objects.get(claim=claim).exported_at is not None
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    text = download.content.decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["tracking_code"] == claim.tracking_code
    assert again.status_code == 302


def test_the_clerk_sees_charges_but_may_not_export(client, make_user, make_claim):
    make_claim(payment_method="next_bill")
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    listing = client.get(reverse("admin:meter_service_billcharge_changelist"))
    assert listing.status_code == 200
    assert reverse(EXPORT) not in listing.content.decode()
    assert client.post(reverse(EXPORT)).status_code == 403
    assert BillCharge.objects.get().exported_at is None


def test_exported_charges_can_be_downloaded_again_without_change(client, make_user, make_claim):
    make_claim(payment_method="next_bill")
    officer = make_user(Role.BILLING_OFFICER)
    batch_id, _csv = services.bill_charges_export(actor=officer)
    client.force_login(officer)
    charge = BillCharge.objects.get()
    response = client.post(
        reverse("admin:meter_service_billcharge_changelist"),
        {"action": "download_again", "_selected_action": [charge.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    charge.refresh_from_db()
    assert charge.export_batch == batch_id
