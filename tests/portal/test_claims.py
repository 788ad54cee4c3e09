"""Filing and following claims in the subscriber portal."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from apps.meter_service.core import jalali, tracking
from apps.meter_service.core.identifiers import normalize_digits, to_persian_digits
from apps.meter_service.doctype.claim.models import Claim, ClaimStatus
from apps.meter_service.doctype.meter.services import meter_install
from apps.meter_service.permissions import Role
from tests.conftest import TEST_FEE
from tests.portal.conftest import link_account, png_bytes

pytestmark = pytest.mark.django_db

VAT = TEST_FEE // 10
TOTAL = TEST_FEE + VAT


def persian_amount(value: int) -> str:
    """Return an amount as the rial filter shows it in Persian: ۱٬۶۵۰٬۰۰۰."""
    return to_persian_digits(f"{value:,}".replace(",", "\u066c"))


def persian_today() -> str:
    with translation.override("fa"):
        return jalali.format_date(timezone.localdate())


def form_data(**overrides) -> dict:
    """What a subscriber types into the form, in Persian digits, with a PNG of the bill."""
    data = {
        "reason": "fast",
        "reason_text": "",
        "last_reading": "۸۵۰٫۵",
        "last_reading_date": persian_today(),
        "last_bill_id": "",
        "last_payment_id": "",
        "last_bill_scan": SimpleUploadedFile("bill.png", png_bytes(), content_type="image/png"),
        "contact_mobile": "۰۹۱۲ ۳۴۵ ۶۷۸۹",
        "preferred_visit": "morning",
        "payment_method": "gateway",
    }
    data.update(overrides)
    return data


def new_claim_url(installation) -> str:
    return reverse(
        "portal:claim_new",
        kwargs={"subscription_number": installation.subscriber.subscription_number},
    )


def page_text(response) -> str:
    return normalize_digits(response.content.decode())


# --- the form -------------------------------------------------------------------------


def test_form_shows_the_subscription_meter_and_fee_before_submitting(
    portal_client, installed, tariffs
):
    response = portal_client.get(new_claim_url(installed))

    assert response.status_code == 200
    html = response.content.decode()
    assert to_persian_digits(installed.subscriber.subscription_number) in html
    assert installed.meter.serial in html
    assert ">G4<" in html
    # 1,500,000 fee + 10% VAT = 1,650,000 Rial, that is 165,000 Toman.
    assert persian_amount(TEST_FEE) in html
    assert persian_amount(VAT) in html
    assert persian_amount(TOTAL) in html
    assert persian_amount(TOTAL // 10) in html
    with translation.override("fa"):
        assert (
            translation.gettext("That is %(amount)s Toman (1 Toman = 10 Rial).")
            % {"amount": persian_amount(TOTAL // 10)}
            in html
        )
    assert 'enctype="multipart/form-data"' in html
    # The web channel offers the gateway and the next bill, nothing else.
    assert 'value="gateway"' in html and 'value="next_bill"' in html
    assert 'value="counter_office"' not in html and 'value="in_person"' not in html


def test_filing_with_persian_digits_and_a_png_scan(portal_client, installed, tariffs):
    response = portal_client.post(new_claim_url(installed), form_data())

    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:claim_detail", args=[claim.tracking_code])
    assert claim.channel == "web"
    assert claim.subscriber == installed.subscriber
    assert claim.last_reading == Decimal("850.5")
    assert claim.last_reading_date == timezone.localdate()
    assert claim.contact_mobile == "09123456789"
    assert claim.preferred_visit == "morning"
    assert claim.total_fee == TOTAL
    assert claim.status == ClaimStatus.AWAITING_PAYMENT
    assert claim.last_bill_scan.name.endswith(".png")
    assert claim.filed_by is not None

    page = portal_client.get(response["Location"])
    text = page_text(page)
    assert tracking.display(claim.tracking_code) in text
    # Awaiting an online payment: the pay button posts to the payment view.
    assert f'action="/pay/{claim.tracking_code}/"' in page.content.decode()


def test_next_bill_claims_go_ahead_without_a_pay_button(portal_client, installed, tariffs):
    portal_client.post(new_claim_url(installed), form_data(payment_method="next_bill"))

    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.PAID
    page = portal_client.get(reverse("portal:claim_detail", args=[claim.tracking_code]))
    assert "/pay/" not in page.content.decode()


def test_a_second_open_claim_is_refused_naming_the_first(
    portal_client, installed, tariffs, make_claim
):
    first = make_claim()

    response = portal_client.post(new_claim_url(installed), form_data())

    assert response.status_code == 200
    assert Claim.objects.count() == 1
    errors = response.context["form"].non_field_errors()
    assert [e.code for e in errors.as_data()] == ["open_claim_exists"]
    # the code in Persian digits, in a left-to-right isolate (its groups in order)
    assert f"\u2066{to_persian_digits(tracking.display(first.tracking_code))}\u2069" in errors[0]
    assert installed.meter.serial in errors[0]
    assert errors[0] in response.content.decode()


def test_with_an_open_claim_the_form_points_to_it_instead(portal_client, installed, make_claim):
    first = make_claim()

    response = portal_client.get(new_claim_url(installed))

    html = response.content.decode()
    assert 'class="form claim-form"' not in html
    assert reverse("portal:claim_detail", args=[first.tracking_code]) in html


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (
            SimpleUploadedFile("big.png", png_bytes(padding=2 * 1024 * 1024), "image/png"),
            "scan_too_large",
        ),
        (SimpleUploadedFile("bill.gif", b"GIF89a" + b"\x00" * 64, "image/gif"), "scan_wrong_type"),
        (SimpleUploadedFile("bill.png", b"<html>not a png</html>", "image/png"), "scan_wrong_type"),
    ],
    ids=["too-large", "gif", "fake-png"],
)
def test_oversize_or_wrong_type_scans_are_refused(portal_client, installed, tariffs, upload, code):
    response = portal_client.post(new_claim_url(installed), form_data(last_bill_scan=upload))

    assert response.status_code == 200
    assert Claim.objects.count() == 0
    errors = response.context["form"].errors.as_data()["last_bill_scan"]
    assert [e.code for e in errors] == [code]


def test_field_errors_are_shown_and_nothing_is_written(portal_client, installed, tariffs):
    future = timezone.localdate() + datetime.timedelta(days=3)
    with translation.override("fa"):
        future_text = jalali.format_date(future)

    response = portal_client.post(
        new_claim_url(installed),
        form_data(last_reading_date=future_text, contact_mobile="12345"),
    )

    assert response.status_code == 200
    assert Claim.objects.count() == 0
    assert "contact_mobile" in response.context["form"].errors


def test_someone_elses_subscription_has_no_form(portal_client, make_subscriber, tariffs):
    other = make_subscriber()

    response = portal_client.get(
        reverse("portal:claim_new", kwargs={"subscription_number": other.subscription_number})
    )

    assert response.status_code == 404


def test_a_subscriber_with_several_subscriptions_chooses_one(
    portal_client, subscriber_user, installed, make_subscriber, make_meter, tariffs
):
    second = make_subscriber(name="فروشگاه محمدی")
    meter_install(
        subscriber=second,
        meter=make_meter(size="G6"),
        installed_on=datetime.date(2023, 3, 21),
        initial_reading=Decimal("10"),
    )
    link_account(second, subscriber_user)

    chooser = portal_client.get(reverse("portal:claim_start"))
    assert chooser.status_code == 200
    html = chooser.content.decode()
    for subscription in (installed.subscriber, second):
        assert new_claim_url_for(subscription) in html

    response = portal_client.post(new_claim_url_for(second), form_data())
    claim = Claim.objects.get()
    assert response.status_code == 302
    assert claim.subscriber == second
    assert claim.meter.size == "G6"


def new_claim_url_for(subscriber) -> str:
    return reverse(
        "portal:claim_new", kwargs={"subscription_number": subscriber.subscription_number}
    )


def test_one_subscription_goes_straight_to_the_form(portal_client, installed):
    response = portal_client.get(reverse("portal:claim_start"))

    assert response.status_code == 302
    assert response["Location"] == new_claim_url(installed)


# --- access ---------------------------------------------------------------------------


def test_claim_pages_need_a_subscriber_login(client, installed, tariffs, make_claim):
    claim = make_claim()
    for url in (
        reverse("portal:claim_list"),
        reverse("portal:claim_start"),
        new_claim_url(installed),
        reverse("portal:claim_detail", args=[claim.tracking_code]),
        reverse("portal:claim_receipt", args=[claim.tracking_code]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:login") + "?next=")


def test_my_claims_lists_only_my_own(
    portal_client, installed, make_claim, make_subscriber, make_meter
):
    mine = make_claim()
    other_installation = meter_install(
        subscriber=make_subscriber(),
        meter=make_meter(),
        installed_on=datetime.date(2022, 3, 21),
        initial_reading=Decimal("100"),
    )
    theirs = make_claim(installation=other_installation)

    response = portal_client.get(reverse("portal:claim_list"))

    assert response.status_code == 200
    text = page_text(response)
    assert tracking.display(mine.tracking_code) in text
    assert tracking.display(theirs.tracking_code) not in text
    assert persian_amount(TOTAL) in response.content.decode()


@pytest.fixture
def other_claim(make_claim, make_subscriber, make_meter, make_user):
    """Subscriber B's claim, B having a portal account of their own."""
    installation = meter_install(
        subscriber=make_subscriber(),
        meter=make_meter(),
        installed_on=datetime.date(2022, 3, 21),
        initial_reading=Decimal("100"),
    )
    link_account(installation.subscriber, make_user(Role.SUBSCRIBER))
    return make_claim(installation=installation)


def test_someone_elses_claim_is_not_found(portal_client, other_claim):
    code = other_claim.tracking_code
    assert portal_client.get(reverse("portal:claim_detail", args=[code])).status_code == 404
    assert portal_client.get(reverse("portal:claim_receipt", args=[code])).status_code == 404
    assert portal_client.post(reverse("portal:claim_cancel", args=[code])).status_code == 404

    other_claim.refresh_from_db()
    assert other_claim.status == ClaimStatus.AWAITING_PAYMENT
    assert other_claim.is_open is True


def test_an_unknown_code_is_not_found_either(portal_client):
    assert portal_client.get(reverse("portal:claim_detail", args=["1234567890"])).status_code == 404
    assert portal_client.get(reverse("portal:claim_detail", args=["abc"])).status_code == 404


# --- the claim page -------------------------------------------------------------------


def test_claim_page_shows_details_and_a_persian_timeline(portal_client, make_claim):
    claim = make_claim()

    response = portal_client.get(reverse("portal:claim_detail", args=[claim.tracking_code]))

    html = response.content.decode()
    with translation.override("fa"):
        filed = translation.gettext("Claim filed")
        assert f'<span class="timeline__label">{filed}</span>' in html
        assert jalali.format_date(claim.filed_at) in html
    assert "claim_filed" in html  # the timeline item's class, not its label
    assert persian_amount(TOTAL) in html
    assert reverse("portal:claim_cancel", args=[claim.tracking_code]) in html
    assert reverse("portal:claim_receipt", args=[claim.tracking_code]) in html


def test_cancel_an_unpaid_claim(portal_client, make_claim):
    claim = make_claim()

    response = portal_client.post(reverse("portal:claim_cancel", args=[claim.tracking_code]))

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED
    page = portal_client.get(response["Location"])
    assert reverse("portal:claim_cancel", args=[claim.tracking_code]) not in page.content.decode()
    with translation.override("fa"):
        cancelled = translation.gettext("Claim cancelled")
    assert f'<span class="timeline__label">{cancelled}</span>' in page.content.decode()


def test_a_paid_claim_cannot_be_cancelled(portal_client, make_claim):
    claim = make_claim(payment_method="next_bill")

    response = portal_client.post(
        reverse("portal:claim_cancel", args=[claim.tracking_code]), follow=True
    )

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_cancel_needs_post(portal_client, make_claim):
    claim = make_claim()
    response = portal_client.get(reverse("portal:claim_cancel", args=[claim.tracking_code]))
    assert response.status_code == 405
