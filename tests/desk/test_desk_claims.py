"""Claims in the desk: in-person intake with its checklist and fee preview, the claim page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core.identifiers import build_payment_id, to_persian_digits
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.claim.models import Claim, ClaimStatus
from apps.meter_service.permissions import Role


@pytest.fixture
def clerk(client, make_user):
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    return client


def _intake(installed, **overrides) -> dict:
    subscriber = installed.subscriber
    data = {
        "subscriber_identifier": to_persian_digits(subscriber.bill_id),
        "reason": "fast",
        "reason_text": "",
        "last_reading": "۸۵۰",
        "last_reading_date": format_date(timezone.localdate()),
        "last_bill_id": subscriber.bill_id,
        "last_payment_id": build_payment_id(subscriber.bill_id, 2_350_000, 5, 6),
        "contact_mobile": "۰۹۱۲۱۲۳۴۵۶۷",
        "preferred_visit": "morning",
        "payment_method": "in_person",
        "national_id_seen": "on",
        "bill_seen": "on",
        "_file": "1",
    }
    data.update(overrides)
    return data


def test_clerk_previews_the_fee_without_filing(clerk, installed, tariffs):
    data = _intake(installed)
    data.pop("_file")
    data["_preview"] = "1"
    response = clerk.post(reverse("admin:meter_service_claim_intake"), data)
    assert response.status_code == 200
    assert response.context["quote"].total == 1_650_000
    assert Claim.objects.count() == 0


def test_clerk_files_an_in_person_claim_with_the_checklist(clerk, installed, tariffs):
    response = clerk.post(reverse("admin:meter_service_claim_intake"), _intake(installed))
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert claim.channel == "in_person" and claim.status == ClaimStatus.AWAITING_PAYMENT
    assert claim.documents_checked == {
        "national_id_seen": True,
        "reading_seen": False,
        "bill_seen": True,
    }
    page = clerk.get(response["Location"])
    assert page.status_code == 200
    assert "ثبت درخواست" in page.content.decode()  # the timeline's first event


def test_intake_refuses_bad_input_and_writes_nothing(clerk, installed, tariffs):
    url = reverse("admin:meter_service_claim_intake")
    before = DocumentEvent.objects.count()
    for overrides, message in [
        ({"subscriber_identifier": "99999999"}, "مشترکی با این شماره اشتراک"),
        ({"last_reading": "10"}, "کمتر از آخرین کارکرد ثبت‌شده"),
        ({"payment_method": "gateway"}, "یک گزینهٔ معتبر انتخاب کنید"),
        ({"last_payment_id": "1234567"}, "شناسه پرداخت"),
    ]:
        response = clerk.post(url, _intake(installed, **overrides))
        assert response.status_code == 200, overrides
        assert message in response.content.decode(), overrides
    assert Claim.objects.count() == 0
    assert DocumentEvent.objects.count() == before


def test_cancel_from_the_desk_needs_post_and_an_unpaid_claim(clerk, make_claim):
    claim = make_claim()
    url = reverse("admin:meter_service_claim_cancel_action", args=[claim.pk])
    assert clerk.get(url).status_code == 200
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AWAITING_PAYMENT
    response = clerk.post(url, {"reason": "به درخواست مشترک"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED


def test_the_claim_page_offers_cancel_and_payment_only_while_unpaid(clerk, make_claim):
    claim = make_claim(channel="in_person", payment_method="in_person")
    page = reverse("admin:meter_service_claim_change", args=[claim.pk])
    cancel = reverse("admin:meter_service_claim_cancel_action", args=[claim.pk])
    pay = reverse("admin:meter_service_claim_record_payment_action", args=[claim.pk])
    html = clerk.get(page).content.decode()
    assert cancel in html and pay in html
    clerk.post(cancel, {"reason": "به درخواست مشترک"})
    html = clerk.get(page).content.decode()
    assert cancel not in html and pay not in html
    assert clerk.get(cancel).status_code == 200  # the confirm page still says why not


def test_technician_cannot_file_or_cancel(client, make_user, make_claim):
    client.force_login(make_user(Role.TECHNICIAN))
    claim = make_claim()
    assert client.get(reverse("admin:meter_service_claim_intake")).status_code == 403
    url = reverse("admin:meter_service_claim_cancel_action", args=[claim.pk])
    client.post(url)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AWAITING_PAYMENT


def test_clerk_records_a_payment_in_person_once(clerk, make_claim):
    claim = make_claim(channel="in_person", payment_method="in_person")
    url = reverse("admin:meter_service_claim_record_payment_action", args=[claim.pk])
    assert clerk.get(url).status_code == 200
    assert clerk.post(url, {"receipt_number": "۱۲۳۴"}).status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert claim.payments.get().receipt_number == "1234"
    clerk.post(url, {"receipt_number": "1234"})
    assert claim.payments.filter(status="paid").count() == 1
