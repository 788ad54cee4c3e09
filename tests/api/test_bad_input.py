"""Bad input to filing: 400 with the message on the field, and nothing written."""

from __future__ import annotations

import datetime

import jdatetime
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.payment.models import Payment
from apps.meter_service.permissions import Role
from tests.api.conftest import valid_claim_body
from tests.doctype.bill.conftest import foreign_payment_id

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def agency_client(api, make_user, installed, tariffs):
    """An agency's API client, and the body of a valid claim for a walk-in subscriber."""
    user = make_user(Role.AGENCY_CLIENT)
    Agency.objects.create(code="g2g", name="G2G").users.add(user)
    subscriber = installed.subscriber
    body = valid_claim_body(
        subscriber, bill_id=subscriber.bill_id, national_id=subscriber.national_id
    )
    return api(user), body


@pytest.fixture
def nothing_written():
    """Assert, after the test, that no claim, claim event or payment row was added."""
    from django.contrib.contenttypes.models import ContentType

    claim_type = ContentType.objects.get_for_model(Claim)

    def counts():
        events = DocumentEvent.objects.filter(content_type=claim_type).count()
        return Claim.objects.count(), events, Payment.objects.count()

    before = counts()
    yield
    assert counts() == before


def _wrong_check_digit(value: str, position: int = -1) -> str:
    digits = list(value)
    digits[position] = str((int(digits[position]) + 1) % 10)
    return "".join(digits)


def _field_error(response, field: str, code: str | None = None) -> list[str]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["extra"]["fields"], body
    if code is not None:
        assert code in body["extra"]["codes"][field], body
    return body["extra"]["fields"][field]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("national_id", "wrong-check-digit", "national_id_checksum"),
        ("bill_id", "wrong-check-digit", "bill_id_checksum"),
        ("last_bill_id", "wrong-check-digit", "bill_id_checksum"),
        # A payment ID ends in two check digits: its own, then one over bill and payment ID.
        ("last_payment_id", "wrong-first-check-digit", "payment_id_checksum"),
        ("last_payment_id", "wrong-check-digit", "payment_id_mismatch"),
        ("contact_mobile", "0812345678", "mobile_format"),
        ("last_reading", "50", "reading_below_record"),
        ("last_reading", "-1", "min_value"),
        ("last_reading_date", "1403/13/45", "invalid"),
        ("last_reading", "not a number", "invalid"),
        ("reason", "bored", "invalid_choice"),
        ("payment_method", "counter_office", "payment_method_not_offered"),
    ],
)
def test_bad_field_is_400_on_that_field(agency_client, nothing_written, field, value, code):
    client, body = agency_client
    if value == "wrong-check-digit":
        value = _wrong_check_digit(body[field])
    elif value == "wrong-first-check-digit":
        value = _wrong_check_digit(body[field], -2)
    body[field] = value
    response = client.post("/api/v1/claims/", body, format="json")
    _field_error(response, field, code)


def test_a_body_in_a_media_type_the_operation_does_not_take_is_415(agency_client, nothing_written):
    """415 was undocumented in the schema (schemathesis found it); the `api` client checks
    the answer against the schema."""
    client, _body = agency_client
    response = client.generic("POST", "/api/v1/claims/", "reason=fast", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["extra"]["code"] == "unsupported_media_type"


def test_future_reading_date_is_refused(agency_client, nothing_written):
    client, body = agency_client
    body["last_reading_date"] = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    _field_error(client.post("/api/v1/claims/", body, format="json"), "last_reading_date")


def test_payment_id_of_another_bill_is_refused(agency_client, make_subscriber, nothing_written):
    client, body = agency_client
    other = make_subscriber()
    body["last_payment_id"] = foreign_payment_id(other.bill_id, body["last_bill_id"])
    response = client.post("/api/v1/claims/", body, format="json")
    _field_error(response, "last_payment_id", "payment_id_mismatch")


def test_missing_fields_are_each_reported(agency_client, nothing_written):
    client, _body = agency_client
    response = client.post("/api/v1/claims/", {}, format="json")
    fields = response.json()["extra"]["fields"]
    assert {"reason", "last_reading", "last_reading_date", "contact_mobile"} <= set(fields)


def test_identity_that_does_not_match_the_bill_is_refused(
    agency_client, make_subscriber, nothing_written
):
    client, body = agency_client
    body["national_id"] = make_subscriber().national_id
    _field_error(
        client.post("/api/v1/claims/", body, format="json"),
        "national_id",
        "subscriber_not_identified",
    )


def test_both_national_ids_are_refused(agency_client, nothing_written):
    client, body = agency_client
    body["national_legal_id"] = "10100387830"
    _field_error(client.post("/api/v1/claims/", body, format="json"), "national_legal_id")


def test_a_second_open_claim_is_refused_naming_the_first(agency_client):
    client, body = agency_client
    first = client.post("/api/v1/claims/", body, format="json")
    assert first.status_code == 201
    count = Claim.objects.count()
    second = client.post("/api/v1/claims/", body, format="json")
    messages = _field_error(second, "meter", "open_claim_exists")
    code = first.json()["tracking_code"]
    grouped = f"{code[:3]}-{code[3:6]}-{code[6:]}"
    # In a Persian sentence the code has Persian digits, in a left-to-right isolate.
    assert any(f"\u2066{to_persian_digits(grouped)}\u2069" in m for m in messages)
    assert Claim.objects.count() == count


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (PNG + b"\x00" * (2 * 1024 * 1024), "scan_too_large"),
        (b"just some text, not a scan", "scan_wrong_type"),
    ],
)
def test_bad_scan_is_refused_and_not_stored(
    agency_client, settings, tmp_path, nothing_written, content, code
):
    settings.MEDIA_ROOT = tmp_path
    client, body = agency_client
    del body["last_bill_id"], body["last_payment_id"]
    body["last_bill_scan"] = SimpleUploadedFile("bill.png", content, content_type="image/png")
    response = client.post("/api/v1/claims/", body, format="multipart")
    _field_error(response, "last_bill_scan", code)
    assert not any(tmp_path.rglob("*.*"))


def test_a_scan_instead_of_the_bill_ids_is_stored(agency_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client, body = agency_client
    del body["last_bill_id"], body["last_payment_id"]
    body["last_bill_scan"] = SimpleUploadedFile("bill.png", PNG, content_type="image/png")
    response = client.post("/api/v1/claims/", body, format="multipart")
    assert response.status_code == 201, response.content
    claim = Claim.objects.get(tracking_code=response.json()["tracking_code"])
    assert claim.last_bill_scan.read() == PNG


def test_persian_digits_and_a_jalali_date_are_accepted(agency_client):
    client, body = agency_client
    today = timezone.localdate()
    jalali = jdatetime.date.fromgregorian(date=today).strftime("%Y/%m/%d")
    persian = {
        key: to_persian_digits(body[key])
        for key in ("bill_id", "national_id", "last_bill_id", "last_payment_id")
    }
    body.update(persian)
    body["contact_mobile"] = "۰۹۱۲ ۱۲۳ ۴۵۶۷"
    body["last_reading"] = "۸۵۰٫۵"
    body["last_reading_date"] = to_persian_digits(jalali)
    response = client.post("/api/v1/claims/", body, format="json")
    assert response.status_code == 201, response.content
    claim = Claim.objects.get(tracking_code=response.json()["tracking_code"])
    assert claim.last_reading_date == today
    assert str(claim.last_reading) == "850.500"
    assert claim.contact_mobile == "09121234567"
    assert claim.last_payment_id.isascii()
    code = to_persian_digits(f"{claim.tracking_code[:3]}-{claim.tracking_code[3:]}")
    assert client.get(f"/api/v1/claims/{code}/").status_code == 200


def test_subscriber_files_with_a_subscription_number_in_persian_digits(
    api, make_user, installed, tariffs
):
    from apps.meter_service.doctype.subscriber.services import subscriber_update

    user = make_user(Role.SUBSCRIBER)
    subscriber = subscriber_update(subscriber=installed.subscriber, user=user)
    body = valid_claim_body(
        subscriber, subscription_number=to_persian_digits(subscriber.subscription_number)
    )
    response = api(user).post("/api/v1/claims/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["channel"] == "web"
