"""Filing claims: fees, documents, the reading, one open claim per meter, cancel, expiry."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import build_payment_id, to_persian_digits
from apps.meter_service.doctype.claim.models import Claim, ClaimStatus
from apps.meter_service.doctype.claim.services import (
    claim_cancel,
    claim_expire_unpaid,
    claim_mark_paid,
)
from tests.conftest import OFFICE_FEE, TEST_FEE

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _nothing_written(before: tuple[int, int]) -> bool:
    return (Claim.objects.count(), DocumentEvent.objects.count()) == before


@pytest.fixture
def counts(installed, tariffs):
    return Claim.objects.count(), DocumentEvent.objects.count()


@pytest.mark.django_db
def test_web_claim_costs_the_test_fee_plus_vat(make_claim):
    claim = make_claim()
    assert tracking.is_valid(claim.tracking_code)
    assert claim.status == ClaimStatus.AWAITING_PAYMENT
    assert (claim.test_fee, claim.vat, claim.channel_fee) == (TEST_FEE, 150_000, 0)
    assert claim.total_fee == 1_650_000
    assert claim.expires_at - claim.filed_at == datetime.timedelta(days=7)
    assert claim.meter == claim.subscriber.installations.get().meter


@pytest.mark.django_db
def test_counter_office_claim_adds_the_office_fee(make_claim, make_office):
    claim = make_claim(
        channel="counter_office", counter_office=make_office(), payment_method="counter_office"
    )
    assert claim.channel_fee == OFFICE_FEE
    assert claim.total_fee == TEST_FEE + 150_000 + OFFICE_FEE


@pytest.mark.django_db
def test_fee_charged_to_the_next_bill_lets_the_claim_go_ahead(make_claim):
    claim = make_claim(payment_method="next_bill")
    assert claim.status == ClaimStatus.PAID and claim.expires_at is None


@pytest.mark.django_db
def test_second_open_claim_is_refused_naming_the_first(make_claim, counts):
    first = make_claim()
    with pytest.raises(ValidationError) as error:
        make_claim()
    # ۱۲۳-۴۵۶-۷۸۹۰ in a left-to-right isolate: the Persian sentence keeps the groups in order
    code = to_persian_digits(tracking.display(first.tracking_code))
    assert f"\u2066{code}\u2069" in error.value.message_dict["meter"][0]
    assert Claim.objects.count() == 1


@pytest.mark.django_db
def test_database_backs_the_one_open_claim_rule(make_claim):
    from django.db import IntegrityError, transaction

    first = make_claim()
    duplicate = Claim.objects.get(pk=first.pk)
    duplicate.pk = None
    duplicate.tracking_code = tracking.generate()
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


@pytest.mark.django_db
def test_after_cancel_a_new_claim_may_be_filed(make_claim):
    first = make_claim()
    claim_cancel(claim=first, reason="filed by mistake")
    second = make_claim()
    first.refresh_from_db()
    assert first.status == ClaimStatus.CANCELLED and first.is_open is None
    assert second.status == ClaimStatus.AWAITING_PAYMENT


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"last_reading": Decimal("99")}, "last_reading", "reading_below_record"),
        ({"last_reading": Decimal("99999999")}, "last_reading", "reading_implausible"),
        (
            {"last_reading_date": timezone.localdate() + datetime.timedelta(days=1)},
            "last_reading_date",
            "reading_future",
        ),
        (
            {"last_reading_date": datetime.date(2022, 3, 1)},
            "last_reading_date",
            "reading_too_old",
        ),
        ({"reason": "other", "reason_text": " "}, "reason_text", "reason_text_required"),
        ({"payment_method": "counter_office"}, "payment_method", "payment_method_not_offered"),
        (
            {"channel": "counter_office", "payment_method": "counter_office"},
            "counter_office",
            "office_required",
        ),
        ({"last_bill_id": "x", "last_payment_id": ""}, "last_payment_id", "bill_pair_incomplete"),
    ],
)
def test_bad_claims_are_refused_and_nothing_is_written(make_claim, counts, overrides, field, code):
    with pytest.raises(ValidationError) as error:
        make_claim(**overrides)
    assert error.value.error_dict[field][0].code == code
    assert _nothing_written(counts)


@pytest.mark.django_db
def test_bill_pair_must_match_the_subscription(make_claim, make_subscriber, installed, tariffs):
    other = make_subscriber()
    counts = Claim.objects.count(), DocumentEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        make_claim(
            last_bill_id=other.bill_id,
            last_payment_id=build_payment_id(other.bill_id, 2_350_000, 5, 6),
        )
    assert error.value.error_dict["last_bill_id"][0].code == "bill_not_subscribers"
    tampered = build_payment_id(installed.subscriber.bill_id, 2_350_000, 5, 6)
    tampered = tampered[:-2] + str((int(tampered[-2]) + 1) % 10) + tampered[-1]
    with pytest.raises(ValidationError):
        make_claim(last_bill_id=installed.subscriber.bill_id, last_payment_id=tampered)
    assert _nothing_written(counts)


@pytest.mark.django_db
def test_a_scan_can_stand_for_the_bill_ids(make_claim, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    scan = SimpleUploadedFile("bill.png", PNG, content_type="image/png")
    claim = make_claim(last_bill_scan=scan)
    assert claim.last_bill_scan.name.endswith(".png")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"MZ\x90\x00 not an image", "scan_wrong_type"),
        (PNG + b"\x00" * 3_000_000, "scan_too_large"),
    ],
)
def test_bad_scans_are_refused(make_claim, counts, settings, tmp_path, content, code):
    settings.MEDIA_ROOT = tmp_path
    scan = SimpleUploadedFile("bill.png", content, content_type="image/png")  # name lies
    with pytest.raises(ValidationError) as error:
        make_claim(last_bill_scan=scan)
    assert error.value.error_dict["last_bill_scan"][0].code == code
    assert _nothing_written(counts)
    assert not list(tmp_path.rglob("*.png"))


@pytest.mark.django_db
def test_no_tariff_in_force_is_a_clear_error(installed, counts):
    from apps.meter_service.doctype.claim.services import claim_file
    from apps.meter_service.doctype.fee_tariff.models import FeeTariff

    FeeTariff.objects.all().delete()
    with pytest.raises(ValidationError) as error:
        claim_file(subscriber=installed.subscriber, **_fields_with_bill(installed))
    assert error.value.code == "no_tariff"


def _fields_with_bill(installed):
    from tests.conftest import claim_fields

    bill = installed.subscriber.bill_id
    return claim_fields(last_bill_id=bill, last_payment_id=build_payment_id(bill, 2_350_000, 5, 6))


@pytest.mark.django_db
def test_paid_claim_cannot_be_cancelled_or_paid_twice(make_claim):
    claim = make_claim()
    claim_mark_paid(claim=claim, reference="gw:1")
    with pytest.raises(ValidationError):
        claim_cancel(claim=claim)
    with pytest.raises(ValidationError):
        claim_mark_paid(claim=claim, reference="gw:2")
    assert DocumentEvent.objects.filter(event_type="claim_paid").count() == 1


@pytest.mark.django_db
def test_unpaid_claims_expire_after_the_setting(make_claim, settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "PAYMENT_EXPIRY_DAYS": 3}
    claim = make_claim()
    assert claim_expire_unpaid(now=claim.filed_at + datetime.timedelta(days=2)) == []
    assert claim_expire_unpaid(now=claim.filed_at + datetime.timedelta(days=3, seconds=1)) == [
        claim.tracking_code
    ]
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.EXPIRED and claim.is_open is None


def test_tracking_codes_catch_slips_and_swaps():
    code = tracking.generate()
    assert tracking.is_valid(code) and tracking.is_valid(tracking.display(code))
    for i in range(len(code)):
        for d in "0123456789":
            if d != code[i]:
                assert not tracking.is_valid(code[:i] + d + code[i + 1 :])
    for i in range(len(code) - 1):
        swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
        if swapped != code:
            assert not tracking.is_valid(swapped)


# --- the last settled bill against the bills on file --------------------------------------


def _bill_on_file(subscriber, *, thousands: int, period: int, start: datetime.date):
    """A bill of the subscriber as the billing system sent it; return its payment ID."""
    from apps.meter_service.doctype.bill.services import bill_upsert

    payment_id = build_payment_id(subscriber.bill_id, thousands * 1000, 3, period)
    bill_upsert(
        data={
            "bill_id": subscriber.bill_id,
            "payment_id": payment_id,
            "period_start": start,
            "period_end": start + datetime.timedelta(days=60),
            "previous_reading": 100 + period * 10,
            "current_reading": 110 + period * 10,
            "amount_rial": thousands * 1000,
        },
        source="import",
    )
    return payment_id


@pytest.fixture
def bills_on_file(installed):
    """Five bimonthly bills of the installed subscriber, oldest first (payment IDs)."""
    subscriber = installed.subscriber
    return [
        _bill_on_file(
            subscriber,
            thousands=120 + n,
            period=n + 1,
            start=datetime.date(2023, 3, 21) + datetime.timedelta(days=60 * n),
        )
        for n in range(5)
    ]


@pytest.mark.django_db
def test_a_pair_matching_no_bill_on_file_is_refused(make_claim, bills_on_file, installed, counts):
    subscriber = installed.subscriber
    forged = build_payment_id(subscriber.bill_id, 2_350_000, 5, 6)  # checksum-valid
    with pytest.raises(ValidationError) as info:
        make_claim(last_bill_id=subscriber.bill_id, last_payment_id=forged)
    assert info.value.error_dict["last_payment_id"][0].code == "bill_not_on_file"
    assert _nothing_written(counts)


@pytest.mark.django_db
def test_the_latest_or_a_recent_bill_is_accepted(make_claim, bills_on_file, installed):
    subscriber = installed.subscriber
    claim = make_claim(last_bill_id=subscriber.bill_id, last_payment_id=bills_on_file[-1])
    assert claim.last_payment_id == bills_on_file[-1]
    claim_cancel(claim=claim)
    # The third newest: the newest two may not be paid yet.
    claim = make_claim(last_bill_id=subscriber.bill_id, last_payment_id=bills_on_file[-3])
    assert claim.last_payment_id == bills_on_file[-3]


@pytest.mark.django_db
def test_an_old_bill_is_refused_and_recent_is_a_setting(
    make_claim, bills_on_file, installed, counts, settings
):
    subscriber = installed.subscriber
    with pytest.raises(ValidationError) as info:
        make_claim(last_bill_id=subscriber.bill_id, last_payment_id=bills_on_file[0])
    assert info.value.error_dict["last_payment_id"][0].code == "bill_not_recent"
    assert _nothing_written(counts)

    settings.METER_SERVICE = {**settings.METER_SERVICE, "LAST_BILL_RECENT_COUNT": 5}
    claim = make_claim(last_bill_id=subscriber.bill_id, last_payment_id=bills_on_file[0])
    assert claim.last_payment_id == bills_on_file[0]


@pytest.mark.django_db
def test_without_bills_on_file_a_valid_pair_stands(make_claim, installed):
    subscriber = installed.subscriber
    payment_id = build_payment_id(subscriber.bill_id, 2_350_000, 5, 6)
    claim = make_claim(last_bill_id=subscriber.bill_id, last_payment_id=payment_id)
    assert claim.last_payment_id == payment_id


@pytest.mark.django_db
def test_the_refusal_is_translated(make_claim, bills_on_file, installed):
    from django.utils import translation

    subscriber = installed.subscriber
    forged = build_payment_id(subscriber.bill_id, 2_350_000, 5, 6)
    with translation.override("fa"):
        with pytest.raises(ValidationError) as info:
            make_claim(last_bill_id=subscriber.bill_id, last_payment_id=forged)
        message = info.value.error_dict["last_payment_id"][0].messages[0]
    assert "قبض" in message and "This bill ID" not in message


@pytest.mark.django_db
def test_a_cancel_the_process_does_not_take_changes_nothing(make_claim):
    from apps.meter_service.engine.models import InstanceStatus, ProcessInstance

    claim = make_claim()
    # The claim still awaits its fee, but its process has moved on (here: ended).
    ProcessInstance.objects.filter(claim=claim).update(status=InstanceStatus.COMPLETED)
    before = (Claim.objects.count(), DocumentEvent.objects.count())

    with pytest.raises(ValidationError) as refused:
        claim_cancel(claim=claim, reason="changed my mind")

    assert refused.value.code == "process_refused_cancel"
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AWAITING_PAYMENT
    assert _nothing_written(before)
