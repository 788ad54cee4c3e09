"""Complaints over the API: filing by a sending system (3194) and by subscribers, the list,
one complaint with its conversation, and the complainant's reply."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from helpdesk.models import FollowUp, FollowUpAttachment, Ticket

from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.complaint.models import Complaint
from apps.meter_service.doctype.complaint.services import (
    complaint_answer,
    complaint_close,
)
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/complaints/"


def _sent(**overrides) -> dict:
    """A complaint as the national complaints system sends it."""
    body = {
        "topic": "meter-test",
        "title": "تست کنتور انجام نشد",
        "text": "مأمور در زمان اعلام‌شده نیامد.",
        "complainant_name": "مریم احمدی",
        "contact_mobile": "09121234567",
        "external_reference": "3194-100",
    }
    body.update(overrides)
    return body


def _portal(**overrides) -> dict:
    body = {"topic": "billing", "title": "قبض اشتباه", "text": "مبلغ قبض درست نیست."}
    body.update(overrides)
    return body


def _counts() -> tuple[int, int, int]:
    return Complaint.objects.count(), Ticket.objects.count(), FollowUp.objects.count()


@pytest.fixture
def nothing_written():
    """Assert, after the test, that no complaint, ticket or follow-up was added."""
    before = _counts()
    yield
    assert _counts() == before


def _unused_claim_code() -> str:
    code = tracking.generate()
    while Claim.objects.filter(tracking_code=code).exists():
        code = tracking.generate()
    return code


def _field_codes(response, field: str) -> list[str]:
    assert response.status_code == 400, response.content
    return response.json()["extra"]["codes"][field]


@pytest.fixture
def other_agency(make_user):
    """A second sending system with its own API client."""
    user = make_user(Role.AGENCY_CLIENT, username="agency-y")
    Agency.objects.create(code="other", name="سامانهٔ دیگر").users.add(user)
    return user


class TestFilingBySendingSystem:
    def test_files_about_a_subscription_and_its_claim(self, api, world):
        subscriber, claim = world.subscribers["a"], world.claims["a"]
        body = _sent(subscription_number=subscriber.subscription_number, claim=claim.tracking_code)
        response = api(world.users["agency"]).post(URL, body, format="json")
        assert response.status_code == 201, response.content
        data = response.json()
        complaint = Complaint.objects.get(tracking_code=data["tracking_code"])
        assert complaint.channel == "national_system"
        assert complaint.agency == world.agencies["agency"]
        assert (complaint.subscriber, complaint.claim) == (subscriber, claim)
        assert complaint.external_reference == "3194-100"
        assert complaint.complainant_name == "مریم احمدی"
        assert complaint.ticket.queue.slug == "meter-test"
        assert data["status"] == "open" and data["may_reply"] is True
        # The sending system is told neither the subscription nor another's claim, nor
        # the complainant's details back.
        assert data["claim"] is None and data["subscription_number"] is None
        assert data["complainant_name"] is data["contact_mobile"] is data["contact_email"] is None
        assert [(m["author"], m["text"]) for m in data["conversation"]] == [
            ("subscriber", "مأمور در زمان اعلام‌شده نیامد.")
        ]

    def test_the_same_reference_again_returns_the_same_complaint(self, api, world):
        client = api(world.users["agency"])
        first = client.post(URL, _sent(), format="json")
        assert first.status_code == 201
        counts = _counts()
        # Sent again, with the reference's digits in Persian: still the same reference.
        again = client.post(URL, _sent(external_reference="۳۱۹۴-۱۰۰"), format="json")
        assert again.status_code == 200, again.content
        assert again.json()["tracking_code"] == first.json()["tracking_code"]
        assert _counts() == counts
        assert Complaint.objects.filter(external_reference="3194-100").count() == 1

    def test_references_are_per_sending_system(self, api, world, other_agency):
        first = api(world.users["agency"]).post(URL, _sent(), format="json")
        other = api(other_agency).post(URL, _sent(), format="json")
        assert (first.status_code, other.status_code) == (201, 201)
        assert first.json()["tracking_code"] != other.json()["tracking_code"]

    def test_a_claim_alone_names_its_subscriber(self, api, world):
        claim = world.claims["b"]
        body = _sent(claim=tracking.display(claim.tracking_code))
        response = api(world.users["agency"]).post(URL, body, format="json")
        assert response.status_code == 201, response.content
        complaint = Complaint.objects.get(tracking_code=response.json()["tracking_code"])
        assert (complaint.claim, complaint.subscriber) == (claim, world.subscribers["b"])

    def test_a_subscription_by_bill_id(self, api, world):
        subscriber = world.subscribers["x"]
        body = _sent(bill_id=to_persian_digits(subscriber.bill_id))
        response = api(world.users["agency"]).post(URL, body, format="json")
        assert response.status_code == 201, response.content
        assert Complaint.objects.get().subscriber == subscriber

    def test_a_claim_it_filed_itself_is_shown(self, api, world):
        claim = world.claims["agency"]
        response = api(world.users["agency"]).post(
            URL, _sent(claim=claim.tracking_code), format="json"
        )
        assert response.status_code == 201, response.content
        assert response.json()["claim"] == claim.tracking_code
        assert response.json()["subscription_number"] is None

    @pytest.mark.parametrize(
        "named",
        ["unknown_subscription", "unknown_claim", "claim_of_another_subscription"],
    )
    def test_the_answer_does_not_tell_whether_what_it_named_exists(self, api, world, named):
        """The 3194 system could check any subscription number or claim code, and learn a
        claim's subscription number; now every complaint it sends gets the same answer."""
        client = api(world.users["agency"])
        subscriber, claim = world.subscribers["a"], world.claims["a"]
        real = client.post(
            URL,
            _sent(subscription_number=subscriber.subscription_number, claim=claim.tracking_code),
            format="json",
        )
        body = {
            "unknown_subscription": {"subscription_number": "99999999"},
            "unknown_claim": {"claim": _unused_claim_code()},
            "claim_of_another_subscription": {
                "subscription_number": subscriber.subscription_number,
                "claim": world.claims["b"].tracking_code,
            },
        }[named]
        other = client.post(URL, _sent(external_reference="3194-200", **body), format="json")

        assert real.status_code == other.status_code == 201, other.content
        varying = {"tracking_code", "filed_at", "due_at", "external_reference", "conversation"}
        assert {k: v for k, v in real.json().items() if k not in varying} == {
            k: v for k, v in other.json().items() if k not in varying
        }
        # Staff find what did not match in an internal note of the complaint.
        complaint = Complaint.objects.get(tracking_code=other.json()["tracking_code"])
        note = FollowUp.objects.get(ticket=complaint.ticket, public=False)
        unmatched = body.get("claim") if named == "unknown_claim" else body["subscription_number"]
        assert unmatched in note.comment
        if named == "claim_of_another_subscription":
            # The claim, the more precise of the two, is linked with its own subscription.
            assert complaint.claim == world.claims["b"]
            assert complaint.subscriber == world.subscribers["b"]

    def test_its_list_shows_no_subscription(self, api, world):
        client = api(world.users["agency"])
        client.post(
            URL,
            _sent(subscription_number=world.subscribers["a"].subscription_number),
            format="json",
        )
        rows = client.get(URL).json()["results"]
        assert rows and all(row["subscription_number"] is None for row in rows)

    def test_what_a_sending_system_must_send_is_each_reported(self, api, world, nothing_written):
        body = _sent()
        for name in ("external_reference", "complainant_name", "contact_mobile"):
            del body[name]
        response = api(world.users["agency"]).post(URL, body, format="json")
        assert response.status_code == 400
        assert set(response.json()["extra"]["fields"]) == {
            "external_reference",
            "complainant_name",
            "contact_mobile",
        }

    def test_a_client_of_no_active_agency_is_refused(self, api, make_user, nothing_written):
        response = api(make_user(Role.AGENCY_CLIENT)).post(URL, _sent(), format="json")
        assert response.status_code == 403


class TestFilingBySubscriber:
    def test_files_about_their_own_claim(self, api, world):
        claim = world.claims["a"]
        response = api(world.users["subscriber_a"]).post(
            URL, _portal(claim=claim.tracking_code), format="json"
        )
        assert response.status_code == 201, response.content
        data = response.json()
        complaint = Complaint.objects.get(tracking_code=data["tracking_code"])
        assert (complaint.channel, complaint.agency, complaint.external_reference) == (
            "portal",
            None,
            None,
        )
        assert (complaint.claim, complaint.subscriber) == (claim, world.subscribers["a"])
        # Name and mobile default to the subscription's and the claim's.
        assert data["complainant_name"] == world.subscribers["a"].name
        assert data["contact_mobile"] == claim.contact_mobile
        assert data["topic"] == "billing" and data["topic_label"]

    def test_someone_elses_claim_reads_as_no_such_claim(self, api, world, nothing_written):
        client = api(world.users["subscriber_a"])
        others = client.post(URL, _portal(claim=world.claims["b"].tracking_code), format="json")
        missing = client.post(URL, _portal(claim=_unused_claim_code()), format="json")
        assert _field_codes(others, "claim") == ["no_such_claim"]
        assert others.content == missing.content

    def test_someone_elses_subscription_is_refused(self, api, world, nothing_written):
        number = world.subscribers["b"].subscription_number
        response = api(world.users["subscriber_a"]).post(
            URL, _portal(subscription_number=number), format="json"
        )
        assert _field_codes(response, "subscription_number") == ["no_such_subscription"]

    def test_a_subscriber_names_a_subscription_or_a_claim(self, api, world, nothing_written):
        response = api(world.users["subscriber_a"]).post(URL, _portal(), format="json")
        assert _field_codes(response, "subscription_number") == ["required"]

    def test_persian_digits_are_accepted_and_the_text_kept_as_written(self, api, world):
        subscriber, claim = world.subscribers["a"], world.claims["a"]
        body = _portal(
            title="قبض ۱۴۰۳/۰۵",
            subscription_number=to_persian_digits(subscriber.subscription_number),
            claim=to_persian_digits(tracking.display(claim.tracking_code)),
            contact_mobile="۰۹۱۲ ۳۴۵ ۶۷۸۹",
        )
        response = api(world.users["subscriber_a"]).post(URL, body, format="json")
        assert response.status_code == 201, response.content
        complaint = Complaint.objects.get(tracking_code=response.json()["tracking_code"])
        assert complaint.contact_mobile == "09123456789"
        assert (complaint.claim, complaint.subscriber) == (claim, subscriber)
        assert complaint.ticket.title == "قبض ۱۴۰۳/۰۵"

    def test_a_topic_closed_to_the_public_is_not_offered(self, api, world, nothing_written):
        from helpdesk.models import Queue

        Queue.objects.filter(slug="staff").update(allow_public_submission=False)
        body = _portal(topic="staff", claim=world.claims["a"].tracking_code)
        response = api(world.users["subscriber_a"]).post(URL, body, format="json")
        assert _field_codes(response, "topic") == ["invalid_choice"]
        response = api(world.users["agency"]).post(URL, _sent(topic="staff"), format="json")
        assert _field_codes(response, "topic") == ["invalid_choice"]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"title": None}, "title", "required"),
        ({"title": "   "}, "title", "blank"),
        ({"text": None}, "text", "required"),
        ({"contact_mobile": "0812345678"}, "contact_mobile", "mobile_format"),
        ({"contact_email": "not-an-email"}, "contact_email", "invalid"),
        ({"topic": "weather"}, "topic", "invalid_choice"),
        ({"bill_id": "1234"}, "bill_id", None),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_written(
    api, world, nothing_written, change, field, code
):
    body = _sent()
    for name, value in change.items():
        if value is None:
            del body[name]
        else:
            body[name] = value
    response = api(world.users["agency"]).post(URL, body, format="json")
    codes = _field_codes(response, field)
    if code is not None:
        assert codes == [code]


def test_error_messages_are_translated(api, world, nothing_written):
    client = api(world.users["agency"])
    body = _sent(topic="weather")
    del body["title"]
    english = client.post(f"{URL}?lang=en", body, format="json").json()
    assert english["extra"]["fields"]["topic"] == ["Choose one of the topics."]
    assert english["extra"]["fields"]["title"] == ["This field is required."]
    persian = client.post(URL, {k: v for k, v in body.items() if k != "topic"}, format="json")
    assert persian.json()["extra"]["fields"]["title"] == ["این مقدار لازم است."]


class TestReading:
    def test_a_subscriber_sees_only_their_own(self, api, world, complaints):
        client = api(world.users["subscriber_a"])
        listed = client.get(URL).json()
        assert [row["tracking_code"] for row in listed["results"]] == [
            complaints["a"].tracking_code
        ]
        assert listed["count"] == 1
        assert client.get(f"{URL}{complaints['b'].tracking_code}/").status_code == 404
        assert client.get(f"{URL}{complaints['a'].tracking_code}/").status_code == 200

    def test_a_sending_system_sees_only_what_it_sent(self, api, world, complaints, other_agency):
        sent = api(other_agency).post(URL, _sent(), format="json").json()["tracking_code"]
        x, y = api(world.users["agency"]), api(other_agency)
        assert [row["tracking_code"] for row in x.get(URL).json()["results"]] == [
            complaints["agency"].tracking_code
        ]
        assert [row["tracking_code"] for row in y.get(URL).json()["results"]] == [sent]
        assert x.get(f"{URL}{sent}/").status_code == 404
        assert y.get(f"{URL}{complaints['agency'].tracking_code}/").status_code == 404

    def test_list_rows_and_the_status_filter(self, api, world, complaints, officer):
        complaint_answer(complaint=complaints["a"], actor=officer, text="بررسی شد.", resolve=True)
        client = api(world.users["subscriber_a"])
        row = client.get(URL).json()["results"][0]
        assert (row["status"], row["claim"]) == ("answered", world.claims["a"].tracking_code)
        assert row["first_answered_at"] and row["resolved_at"] and row["closed_at"] is None
        assert client.get(URL, {"status": "answered"}).json()["count"] == 1
        assert client.get(URL, {"status": "open"}).json()["count"] == 0
        assert client.get(URL, {"status": "lost"}).status_code == 400

    def test_the_conversation_is_the_public_part_only(self, api, world, complaints, officer):
        complaint = complaints["a"]
        complaint_answer(complaint=complaint, actor=officer, text="یادداشت داخلی", public=False)
        complaint_answer(complaint=complaint, actor=officer, text="در حال پیگیری است.")
        data = api(world.users["subscriber_a"]).get(f"{URL}{complaint.tracking_code}/").json()
        assert [(m["author"], m["text"]) for m in data["conversation"]] == [
            ("subscriber", "در زمان اعلام‌شده کسی برای تست کنتور نیامد."),
            ("company", "در حال پیگیری است."),
        ]
        assert data["first_answered_at"] is not None

    def test_the_number_may_be_written_in_persian_digits(self, api, world, complaints):
        code = complaints["a"].tracking_code
        response = api(world.users["subscriber_a"]).get(
            f"{URL}{to_persian_digits(tracking.display(code))}/"
        )
        assert response.status_code == 200
        assert response.json()["tracking_code"] == code


@pytest.fixture
def officer(make_user):
    return make_user(Role.COMPLAINTS_OFFICER, username="officer")


class TestReplying:
    def test_a_reply_reopens_an_answered_complaint(self, api, world, complaints, officer):
        complaint = complaints["a"]
        complaint_answer(complaint=complaint, actor=officer, text="انجام شد.", resolve=True)
        response = api(world.users["subscriber_a"]).post(
            f"{URL}{complaint.tracking_code}/replies/",
            {"text": "مشکل هنوز باقی است."},
            format="json",
        )
        assert response.status_code == 201, response.content
        data = response.json()
        assert (data["status"], data["reopen_count"], data["resolved_at"]) == ("reopened", 1, None)
        assert data["conversation"][-1] == {
            **data["conversation"][-1],
            "author": "subscriber",
            "text": "مشکل هنوز باقی است.",
            "new_status": "reopened",
        }
        complaint.refresh_from_db()
        assert complaint.ticket.status == Ticket.REOPENED_STATUS

    def test_the_sending_system_relays_a_reply(self, api, world, complaints):
        complaint = complaints["agency"]
        response = api(world.users["agency"]).post(
            f"{URL}{complaint.tracking_code}/replies/", {"text": "پیگیری شهروند"}, format="json"
        )
        assert response.status_code == 201
        assert response.json()["conversation"][-1]["author"] == "subscriber"

    def test_a_closed_complaint_takes_no_reply(self, api, world, complaints, officer):
        complaint = complaints["a"]
        complaint_close(complaint=complaint, actor=officer, text="پایان")
        before = _counts()
        response = api(world.users["subscriber_a"]).post(
            f"{URL}{complaint.tracking_code}/replies/?lang=en", {"text": "چرا؟"}, format="json"
        )
        assert response.status_code == 409, response.content
        assert response.json() == {
            "message": "This complaint is closed; file a new one if you need to.",
            "extra": {"code": "complaint_closed"},
        }
        assert _counts() == before
        data = api(world.users["subscriber_a"]).get(f"{URL}{complaint.tracking_code}/").json()
        assert (data["status"], data["may_reply"]) == ("closed", False)

    def test_an_empty_reply_is_refused(self, api, world, complaints, nothing_written):
        response = api(world.users["subscriber_a"]).post(
            f"{URL}{complaints['a'].tracking_code}/replies/", {"text": "  "}, format="json"
        )
        assert _field_codes(response, "text") == ["blank"]


def test_the_ivr_account_may_not_use_complaints(api, world, complaints):
    ivr = world.users["ivr"]
    assert {Role.AGENCY_CLIENT, Role.IVR_CLIENT} <= set(ivr.groups.values_list("name", flat=True))
    client = api(ivr)
    assert client.get(URL).status_code == 403
    assert client.post(URL, _sent(), format="json").status_code == 403


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class TestAttachments:
    def test_a_complaint_filed_with_an_attachment(self, api, world, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        body = _sent(attachment=SimpleUploadedFile("photo.png", PNG, content_type="image/png"))
        response = api(world.users["agency"]).post(URL, body, format="multipart")
        assert response.status_code == 201, response.content
        first = response.json()["conversation"][0]
        assert first["attachments"] == [
            {"filename": "photo.png", "content_type": "image/png", "size": len(PNG)}
        ]
        stored = FollowUpAttachment.objects.get()
        assert stored.file.read() == PNG

    def test_a_reply_with_an_attachment(self, api, world, complaints, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        # Named .txt by the sender: the type is read from the content.
        scan = SimpleUploadedFile("receipt.txt", b"%PDF-1.4\n%%EOF\n", content_type="text/plain")
        response = api(world.users["subscriber_a"]).post(
            f"{URL}{complaints['a'].tracking_code}/replies/",
            {"text": "رسید پیوست است.", "attachment": scan},
            format="multipart",
        )
        assert response.status_code == 201, response.content
        last = response.json()["conversation"][-1]
        assert last["text"] == "رسید پیوست است."
        assert [a["content_type"] for a in last["attachments"]] == ["application/pdf"]

    @pytest.mark.parametrize(
        ("content", "code"),
        [
            (PNG + b"\x00" * (6 * 1024 * 1024), "attachment_too_large"),
            (b"MZ not a document", "attachment_wrong_type"),
        ],
    )
    def test_a_bad_attachment_is_refused_and_nothing_is_written(
        self, api, world, complaints, settings, tmp_path, nothing_written, content, code
    ):
        settings.MEDIA_ROOT = tmp_path
        settings.METER_SERVICE = {
            **settings.METER_SERVICE,
            "COMPLAINT_ATTACHMENT_MAX_BYTES": 1 << 20,
        }
        upload = SimpleUploadedFile("x.png", content, content_type="image/png")
        filed = api(world.users["agency"]).post(URL, _sent(attachment=upload), format="multipart")
        assert _field_codes(filed, "attachment") == [code]
        upload.seek(0)
        replied = api(world.users["subscriber_a"]).post(
            f"{URL}{complaints['a'].tracking_code}/replies/",
            {"text": "پیوست", "attachment": upload},
            format="multipart",
        )
        assert _field_codes(replied, "attachment") == [code]
        assert not any(tmp_path.rglob("*.*"))
