"""A walk-in subscriber at the counter: identify, file with the office fee, collect, print."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import (
    build_payment_id,
    national_legal_id_check_digit,
    to_persian_digits,
)
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.claim.models import Claim, ClaimStatus
from apps.meter_service.doctype.payment.models import Payment, PaymentStatus
from apps.meter_service.office.forms import NO_MATCH_LEGAL_ID_MESSAGE, NO_MATCH_MESSAGE
from apps.meter_service.office.views import WALK_IN_SESSION_KEY
from tests.conftest import OFFICE_FEE, TEST_FEE

WALK_IN = reverse("office:walk_in")
CLAIM_NEW = reverse("office:claim_new")
VAT = TEST_FEE // 10
TOTAL = TEST_FEE + VAT + OFFICE_FEE  # 1,759,000 Rial


def _rows() -> tuple[int, int, int]:
    return Claim.objects.count(), Payment.objects.count(), DocumentEvent.objects.count()


def _identify(client, installation, **overrides):
    subscriber = installation.subscriber
    data = {
        "bill_id": to_persian_digits(subscriber.bill_id),
        "identity": to_persian_digits(subscriber.national_id),
    }
    data.update(overrides)
    return client.post(WALK_IN, data)


def _claim_form(installation, **overrides) -> dict:
    bill_id = installation.subscriber.bill_id
    data = {
        "reason": "fast",
        "reason_text": "",
        "last_reading": "۸۵۰",
        "last_reading_date": format_date(timezone.localdate()),
        "last_bill_id": to_persian_digits(bill_id),
        "last_payment_id": build_payment_id(bill_id, 2_350_000, 5, 6),
        "contact_mobile": "۰۹۱۲۱۲۳۴۵۶۷",
        "preferred_visit": "any",
        "payment_method": "counter_office",
    }
    data.update(overrides)
    return data


# --- identification -------------------------------------------------------------------


def test_right_pair_in_persian_digits_identifies_the_subscriber(office_client, installed, tariffs):
    response = _identify(office_client, installed)

    assert response.status_code == 302 and response["Location"] == CLAIM_NEW
    assert office_client.session[WALK_IN_SESSION_KEY]["subscriber"] == installed.subscriber.pk
    page = office_client.get(CLAIM_NEW)
    assert page.status_code == 200
    assert installed.subscriber.name in page.content.decode()


def test_wrong_national_id_is_refused_and_nothing_is_written(
    office_client, installed, make_subscriber, tariffs
):
    someone_else = make_subscriber()
    before = _rows()

    response = _identify(office_client, installed, identity=someone_else.national_id)

    assert response.status_code == 200
    assert escape(str(NO_MATCH_MESSAGE)) in response.content.decode()
    assert WALK_IN_SESSION_KEY not in office_client.session
    assert _rows() == before
    # Without an identification there is no claim form.
    assert office_client.get(CLAIM_NEW)["Location"] == WALK_IN


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        # A national ID whose check digit is wrong.
        ({"identity": "4381275617"}, "کد ملی ۱۰ رقمی معتبر وارد کنید؛ رقم کنترل آن درست نیست."),
        # A bill ID whose check digit is wrong.
        ({"bill_id": "140200128131"}, "شناسه قبض معتبر وارد کنید؛ رقم کنترل آن درست نیست."),
    ],
)
def test_malformed_identifiers_get_persian_errors(
    office_client, installed, tariffs, overrides, message
):
    before = _rows()

    response = _identify(office_client, installed, **overrides)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert _rows() == before


def test_business_is_identified_by_its_national_legal_id(office_client, make_installation, tariffs):
    legal_id = "1086016275" + str(national_legal_id_check_digit("1086016275"))
    installation = make_installation(
        {"customer_type": "g2b", "national_id": "", "national_legal_id": legal_id}
    )

    response = _identify(office_client, installation, identity=to_persian_digits(legal_id))

    assert response.status_code == 302 and response["Location"] == CLAIM_NEW


def test_a_legal_id_that_does_not_match_is_named_as_a_legal_id(
    office_client, make_installation, tariffs
):
    """The "no match" message names the number typed: a national legal ID, not a national ID."""
    legal_id = "1086016275" + str(national_legal_id_check_digit("1086016275"))
    other = "1038028479" + str(national_legal_id_check_digit("1038028479"))
    installation = make_installation(
        {"customer_type": "g2b", "national_id": "", "national_legal_id": legal_id}
    )

    response = _identify(office_client, installation, identity=to_persian_digits(other))

    assert response.status_code == 200
    page = response.content.decode()
    assert escape(str(NO_MATCH_LEGAL_ID_MESSAGE)) in page
    assert escape(str(NO_MATCH_MESSAGE)) not in page
    assert WALK_IN_SESSION_KEY not in office_client.session


# --- filing ---------------------------------------------------------------------------


def test_claim_form_previews_the_fee_with_the_office_fee(office_client, installed, tariffs):
    _identify(office_client, installed)

    response = office_client.get(CLAIM_NEW)

    quote = response.context["quote"]
    assert (quote.test_fee, quote.vat, quote.channel_fee, quote.total) == (
        TEST_FEE,
        VAT,
        OFFICE_FEE,
        TOTAL,
    )
    page = response.content.decode()
    for amount in ("۱٬۵۰۰٬۰۰۰", "۱۵۰٬۰۰۰", "۱۰۹٬۰۰۰", "۱٬۷۵۹٬۰۰۰"):
        assert amount in page
    assert Claim.objects.count() == 0  # the preview files nothing


def test_operator_files_a_claim_with_the_office_fee(
    office_client, installed, tariffs, office_a, operator_a
):
    _identify(office_client, installed)

    response = office_client.post(CLAIM_NEW, _claim_form(installed))

    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("office:claim_detail", args=[claim.tracking_code])
    assert claim.channel == "counter_office" and claim.counter_office == office_a
    assert claim.payment_method == "counter_office"
    assert claim.status == ClaimStatus.AWAITING_PAYMENT
    assert (claim.test_fee, claim.vat, claim.channel_fee, claim.total_fee) == (
        TEST_FEE,
        VAT,
        OFFICE_FEE,
        TOTAL,
    )
    assert claim.filed_by == operator_a
    # The identification is used up: the next subscriber is identified afresh.
    assert WALK_IN_SESSION_KEY not in office_client.session
    page = office_client.get(response["Location"]).content.decode()
    assert (
        "۱٬۷۵۹٬۰۰۰" in page and reverse("office:claim_collect", args=[claim.tracking_code]) in page
    )
    # the message names the code in Persian digits, in a left-to-right isolate (groups in order)
    code = to_persian_digits(tracking.display(claim.tracking_code))
    assert f"\u2066{code}\u2069" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"last_reading": "۵۰"}, "کارکرد نمی‌تواند کمتر از آخرین کارکرد ثبت‌شده"),
        ({"last_bill_id": "140200128131"}, "شناسه قبض معتبر وارد کنید؛ رقم کنترل آن درست نیست."),
        ({"payment_method": "gateway"}, "یک گزینهٔ معتبر انتخاب کنید"),
    ],
)
def test_bad_claim_input_gets_a_persian_error_and_writes_nothing(
    office_client, installed, tariffs, overrides, message
):
    _identify(office_client, installed)
    before = _rows()

    response = office_client.post(CLAIM_NEW, _claim_form(installed, **overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert _rows() == before


def _error_summary(page: str) -> str:
    start = page.index('id="error-summary"')
    return page[start : page.index("</ul>", start)]


def test_refused_claim_form_sums_up_its_errors_with_links_to_the_fields(
    office_client, installed, tariffs
):
    _identify(office_client, installed)
    page = office_client.post(CLAIM_NEW, _claim_form(installed, last_reading="۵۰")).content
    page = page.decode()
    # A field's error links to its input, which the page has.
    summary = _error_summary(page)
    assert 'href="#id_last_reading"' in summary and "کارکرد نمی‌تواند کمتر" in summary
    assert 'id="id_last_reading"' in page
    # The payment method is a hidden input here: its error is listed, with nothing to link to.
    page = office_client.post(CLAIM_NEW, _claim_form(installed, payment_method="gateway")).content
    summary = _error_summary(page.decode())
    assert "یک گزینهٔ معتبر انتخاب کنید" in summary and "href=" not in summary


def test_second_open_claim_is_refused_in_persian_and_nothing_is_written(
    office_client, installed, office_a, operator_a, file_office_claim
):
    first = file_office_claim(installed, office_a, operator_a)
    _identify(office_client, installed)
    before = _rows()

    response = office_client.post(CLAIM_NEW, _claim_form(installed))

    assert response.status_code == 200
    page = response.content.decode()
    assert "درخواست باز دیگری با کد رهگیری" in page
    assert to_persian_digits(first.tracking_code[:3]) in page  # the open claim is named
    assert _rows() == before


# --- collecting and the receipt -------------------------------------------------------


def test_operator_collects_the_fee(
    office_client, installed, office_a, operator_a, file_office_claim
):
    claim = file_office_claim(installed, office_a, operator_a)

    response = office_client.post(
        reverse("office:claim_collect", args=[claim.tracking_code]), {"receipt_number": "۴۵۶۷۸"}
    )

    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.claim == claim and payment.status == PaymentStatus.PAID
    assert payment.method == "counter_office" and payment.amount_rial == TOTAL
    assert payment.recorded_by == operator_a and payment.receipt_number == "45678"
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    page = office_client.get(response["Location"]).content.decode()
    assert "۱٬۷۵۹٬۰۰۰" in page
    assert reverse("office:claim_receipt", args=[claim.tracking_code]) in page


def test_collecting_twice_records_one_payment(
    office_client, installed, office_a, operator_a, file_office_claim
):
    claim = file_office_claim(installed, office_a, operator_a)
    url = reverse("office:claim_collect", args=[claim.tracking_code])

    office_client.post(url, {})
    response = office_client.post(url, {}, follow=True)

    assert Payment.objects.count() == 1
    assert "در انتظار پرداخت نیست" in response.content.decode()


def test_receipt_is_a_pdf(office_client, installed, office_a, operator_a, file_office_claim):
    claim = file_office_claim(installed, office_a, operator_a)

    response = office_client.get(reverse("office:claim_receipt", args=[claim.tracking_code]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
