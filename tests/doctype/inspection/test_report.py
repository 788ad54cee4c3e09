"""The test report PDF, and who may download it from the portal."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import normalize_digits
from apps.meter_service.doctype.inspection.report import render_report_html, render_report_pdf
from apps.meter_service.doctype.otp.services import portal_user_for
from apps.meter_service.permissions import Role

from .conftest import HIGH_FLOW, LOW_FLOW, point

pytestmark = pytest.mark.django_db


def _url(claim) -> str:
    return reverse("portal:claim_test_report", args=[claim.tracking_code])


@pytest.fixture
def tested(at_test, record):
    return record(
        at_test,
        [point(HIGH_FLOW, 50, 52, temperature_c="18.5"), point(LOW_FLOW, 10, "9.8")],
        notes="Seal intact",
    )


def test_the_report_renders_as_a_pdf(tested):
    pdf = render_report_pdf(tested)
    assert pdf.startswith(b"%PDF")


@pytest.mark.parametrize("language", ["fa", "en"])
def test_the_report_holds_claim_meter_equipment_points_and_verdict(tested, language):
    html = normalize_digits(render_report_html(tested, language=language))
    claim = tested.claim
    assert tracking.display(claim.tracking_code) in html
    assert claim.subscriber.name in html and claim.meter.serial in html
    assert "PP-01" in html
    assert "+4" in html and "-2" in html  # each point's error
    assert "±1" in html and "±3" in html  # and its band's tolerance
    assert "Seal intact" in html
    if language == "en":
        assert "Runs fast" in html and "Calibrated until" in html
    else:
        assert 'dir="rtl"' in html


def test_the_subscriber_downloads_their_own_report(client, tested):
    owner = portal_user_for(tested.claim.subscriber)
    client.force_login(owner)
    response = client.get(_url(tested.claim))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "no-store" in response["Cache-Control"]


def test_the_claim_page_links_the_report_once_tested(client, tested):
    client.force_login(portal_user_for(tested.claim.subscriber))
    page = client.get(reverse("portal:claim_detail", args=[tested.claim.tracking_code]))
    assert _url(tested.claim) in page.content.decode()


def test_another_subscriber_gets_not_found(tested, make_subscriber):
    stranger = Client()
    stranger.force_login(portal_user_for(make_subscriber()))
    assert stranger.get(_url(tested.claim)).status_code == 404


def test_an_office_operator_gets_not_found(client, tested, make_user):
    client.force_login(make_user(Role.COUNTER_OFFICE_OPERATOR))
    assert client.get(_url(tested.claim)).status_code == 404


def test_no_report_before_the_test(client, at_test):
    client.force_login(portal_user_for(at_test.subscriber))
    assert client.get(_url(at_test)).status_code == 404
    page = client.get(reverse("portal:claim_detail", args=[at_test.tracking_code]))
    assert _url(at_test) not in page.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, tested):
    response = client.get(_url(tested.claim))
    assert response.status_code == 302 and "/portal/login/" in response["Location"]


def test_the_report_is_stored_and_printed_again_once_the_test_changes(tested, monkeypatch):
    from apps.meter_service.core import pdf
    from apps.meter_service.doctype.printout.models import PrintoutKind
    from apps.meter_service.doctype.printout.services import printout_pdf

    printed = []
    real = pdf.html_to_pdf
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: printed.append(1) or real(html))
    first = printout_pdf(kind=PrintoutKind.TEST_REPORT, document=tested)
    assert printout_pdf(kind=PrintoutKind.TEST_REPORT, document=tested) == first
    assert len(printed) == 1

    tested.notes = "Seal broken on a second look"
    tested.save(update_fields=["notes"])
    again = printout_pdf(kind=PrintoutKind.TEST_REPORT, document=tested)

    assert len(printed) == 2 and again != first
