"""Complaints in the subscriber portal: filing, following, replying, and who sees what."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from helpdesk.models import FollowUp, FollowUpAttachment, Ticket

from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import normalize_digits, to_persian_digits
from apps.meter_service.doctype.complaint import rules, services
from apps.meter_service.doctype.complaint.models import Complaint
from apps.meter_service.doctype.meter.services import meter_install
from apps.meter_service.doctype.notification.models import SmsMessage
from apps.meter_service.permissions import Role
from tests.doctype.complaint.conftest import act, file_complaint, officer, topics  # noqa: F401
from tests.portal.conftest import link_account, png_bytes

pytestmark = pytest.mark.django_db

LIST_URL = reverse("portal:complaint_list")
NEW_URL = reverse("portal:complaint_new")


def detail_url(complaint) -> str:
    return reverse("portal:complaint_detail", args=[complaint.tracking_code])


def reply_url(complaint) -> str:
    return reverse("portal:complaint_reply", args=[complaint.tracking_code])


def png_upload(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def form_data(topics, **overrides) -> dict:  # noqa: F811
    data = {
        "topic": topics["meter-test"].pk,
        "title": "مأمور نیامد",
        "description": "روز ۱۲ آبان منتظر ماندم و کسی نیامد.",
        "contact_mobile": "",
    }
    data.update(overrides)
    return data


def in_english(client) -> None:
    """Have the client's next pages in English (the language cookie the switch sets)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def page_text(response) -> str:
    return normalize_digits(response.content.decode())


@pytest.fixture
def post(portal_client, django_capture_on_commit_callbacks, fake_sms):
    """POST as the logged-in subscriber, running the on-commit jobs (SMS to the fake)."""

    def call(url, data, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return portal_client.post(url, data, **kwargs)

    return call


@pytest.fixture
def other_user(make_user, make_subscriber, make_meter):
    """Subscriber B: another subscription with its own portal account."""
    installation = meter_install(
        subscriber=make_subscriber(),
        meter=make_meter(),
        installed_on=datetime.date(2022, 3, 21),
        initial_reading=Decimal("100"),
    )
    user = make_user(Role.SUBSCRIBER)
    link_account(installation.subscriber, user)
    user.installation = installation
    return user


# --- filing ----------------------------------------------------------------------------


def test_the_form_offers_the_public_topics_and_the_mobile_on_record(
    portal_client,
    installed,
    topics,  # noqa: F811
):
    hidden = topics["general"]
    hidden.allow_public_submission = False
    hidden.save()

    response = portal_client.get(NEW_URL)

    assert response.status_code == 200
    form = response.context["form"]
    assert form["contact_mobile"].value() == installed.subscriber.mobile
    html = response.content.decode()
    with translation.override("fa"):
        assert rules.topic_label(topics["billing"]) in html
    assert f'value="{topics["billing"].pk}"' in html
    assert f'value="{hidden.pk}"' not in html
    assert 'enctype="multipart/form-data"' in html
    assert "subscription" not in form.fields  # one subscription: nothing to choose


def test_filing_a_general_complaint_with_a_persian_mobile(
    post,
    portal_client,
    installed,
    subscriber_user,
    topics,  # noqa: F811
):
    response = post(NEW_URL, form_data(topics, contact_mobile="۰۹۱۲ ۳۴۵ ۶۷۸۹"))

    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(complaint)
    assert complaint.channel == "portal"
    assert complaint.subscriber == installed.subscriber
    assert complaint.claim is None
    assert complaint.filed_by == subscriber_user
    assert complaint.contact_mobile == "09123456789"
    ticket = complaint.ticket
    assert ticket.queue == topics["meter-test"]
    assert ticket.status == Ticket.OPEN_STATUS
    assert ticket.title == "مأمور نیامد"
    # The subscriber's own words keep their Persian digits.
    assert FollowUp.objects.get(ticket=ticket).comment == "روز ۱۲ آبان منتظر ماندم و کسی نیامد."
    # Texts go to the mobile on record, never to a number typed in the form (SMS bombing).
    sms = SmsMessage.objects.get(template_key="complaint_filed")
    assert sms.to == installed.subscriber.mobile != "09123456789"

    page = portal_client.get(response["Location"])
    assert [m.level_tag for m in page.context["messages"]] == ["success"]
    assert tracking.display(complaint.tracking_code) in page_text(page)


def test_filing_about_a_claim_from_its_page(
    post,
    portal_client,
    make_claim,
    topics,  # noqa: F811
):
    claim = make_claim(contact_mobile="09350001122")
    claim_page = portal_client.get(reverse("portal:claim_detail", args=[claim.tracking_code]))
    link = f"{NEW_URL}?claim={claim.tracking_code}"
    assert link in claim_page.content.decode()

    form_page = portal_client.get(link)

    form = form_page.context["form"]
    assert form["claim"].value() == claim.tracking_code
    assert form["topic"].value() == topics["meter-test"].pk
    assert form["contact_mobile"].value() == "09350001122"
    assert f'<option value="{claim.tracking_code}" selected>' in form_page.content.decode()

    response = post(
        NEW_URL,
        form_data(
            topics,
            claim=claim.tracking_code,
            contact_mobile="09350001122",
            attachment=png_upload(),
        ),
    )

    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert complaint.claim == claim
    assert complaint.subscriber == claim.subscriber
    attachment = FollowUpAttachment.objects.get()
    assert attachment.followup.ticket == complaint.ticket
    assert attachment.mime_type == "image/png"
    assert SmsMessage.objects.filter(template_key="complaint_filed", to="09350001122").exists()
    # The claim's page lists it.
    again = portal_client.get(reverse("portal:claim_detail", args=[claim.tracking_code]))
    assert detail_url(complaint) in again.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"description": "   "}, "description", "required"),
        ({"title": ""}, "title", "required"),
        ({"topic": ""}, "topic", "required"),
        ({"contact_mobile": "۰۹۱۲"}, "contact_mobile", None),
        (
            {"attachment": SimpleUploadedFile("a.gif", b"GIF89a" + b"\x00" * 64, "image/gif")},
            "attachment",
            "attachment_wrong_type",
        ),
        (
            {"attachment": SimpleUploadedFile("a.png", b"<html>no png</html>", "image/png")},
            "attachment",
            "attachment_wrong_type",
        ),
    ],
    ids=["empty-text", "empty-title", "no-topic", "short-mobile", "gif", "fake-png"],
)
def test_bad_input_is_refused_and_nothing_is_written(
    post,
    installed,
    topics,  # noqa: F811
    overrides,
    field,
    code,
):
    response = post(NEW_URL, form_data(topics, **overrides))

    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()
    assert field in errors
    if code:
        assert [e.code for e in errors[field]] == [code]
    assert errors[field][0].messages[0] in response.content.decode()
    assert not Complaint.objects.exists() and not Ticket.objects.exists()
    assert not SmsMessage.objects.exists()


def test_someone_elses_claim_posted_is_refused(
    post,
    portal_client,
    installed,
    make_claim,
    other_user,
    topics,  # noqa: F811
):
    make_claim()  # one of mine, so the claim field is there
    theirs = make_claim(installation=other_user.installation)

    response = post(NEW_URL, form_data(topics, claim=theirs.tracking_code))

    assert response.status_code == 200
    assert "claim" in response.context["form"].errors
    in_english(portal_client)
    response = post(NEW_URL, form_data(topics, claim=theirs.tracking_code))
    assert "None of your claims has this tracking code." in response.content.decode()
    assert not Complaint.objects.exists() and not Ticket.objects.exists()


def test_someone_elses_claim_in_the_address_is_not_preselected(
    portal_client,
    installed,
    make_claim,
    other_user,
    topics,  # noqa: F811
):
    mine = make_claim()
    theirs = make_claim(installation=other_user.installation)

    response = portal_client.get(f"{NEW_URL}?claim={theirs.tracking_code}")

    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    html = response.content.decode()
    assert f'value="{theirs.tracking_code}"' not in html  # not offered
    assert f'<option value="{mine.tracking_code}">' in html  # offered, not selected
    assert response.context["form"]["claim"].value() is None


def test_with_several_subscriptions_the_subscription_is_chosen_or_taken_from_the_claim(
    post,
    subscriber_user,
    installed,
    make_claim,
    make_subscriber,
    topics,  # noqa: F811
):
    second = make_subscriber(name="فروشگاه محمدی")
    link_account(second, subscriber_user)
    claim = make_claim()

    response = post(NEW_URL, form_data(topics))
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].errors.as_data()["subscription"]] == [
        "no_subscription"
    ]
    assert not Complaint.objects.exists()

    post(NEW_URL, form_data(topics, subscription=second.subscription_number))
    post(NEW_URL, form_data(topics, claim=claim.tracking_code))

    general, about_claim = Complaint.objects.order_by("id")
    assert general.subscriber == second and general.claim is None
    assert about_claim.subscriber == installed.subscriber and about_claim.claim == claim


def test_a_claim_of_another_of_my_subscriptions_must_match_the_one_chosen(
    post,
    subscriber_user,
    installed,
    make_claim,
    make_subscriber,
    topics,  # noqa: F811
):
    second = make_subscriber()
    link_account(second, subscriber_user)
    claim = make_claim()

    response = post(
        NEW_URL,
        form_data(topics, claim=claim.tracking_code, subscription=second.subscription_number),
    )

    assert response.status_code == 200
    assert [e.code for e in response.context["form"].errors.as_data()["claim"]] == [
        "claim_not_subscribers"
    ]
    assert not Complaint.objects.exists()


# --- the list and the page -------------------------------------------------------------


def test_my_complaints_newest_first_and_only_mine(
    portal_client,
    subscriber_user,
    make_claim,
    other_user,
    file_complaint,  # noqa: F811
):
    claim = make_claim()
    older = file_complaint(claim=claim, actor=subscriber_user, title="اولی")
    newer = file_complaint(claim=claim, actor=subscriber_user, title="دومی", topic="billing")
    theirs = file_complaint(
        claim=make_claim(installation=other_user.installation), actor=other_user
    )

    response = portal_client.get(LIST_URL)

    assert response.status_code == 200
    assert [c.pk for c in response.context["complaints"]] == [newer.pk, older.pk]
    text = page_text(response)
    assert text.index(tracking.display(newer.tracking_code)) < text.index(
        tracking.display(older.tracking_code)
    )
    assert tracking.display(theirs.tracking_code) not in text
    with translation.override("fa"):
        assert rules.topic_label(newer.ticket.queue) in response.content.decode()
        assert rules.status_label(rules.OPEN) in response.content.decode()


def test_the_page_shows_the_public_conversation_without_staff_names(
    act,  # noqa: F811
    portal_client,
    subscriber_user,
    make_claim,
    officer,  # noqa: F811
    file_complaint,  # noqa: F811
):
    claim = make_claim()
    complaint = file_complaint(claim=claim, actor=subscriber_user)
    act(
        services.complaint_answer,
        complaint=complaint,
        actor=officer,
        text="یادداشت داخلی",
        public=False,
    )
    act(services.complaint_answer, complaint=complaint, actor=officer, text="پیگیری می‌کنیم.")

    in_english(portal_client)
    response = portal_client.get(detail_url(complaint))

    html = response.content.decode()
    assert response.status_code == 200
    assert "مأمور در زمان اعلام‌شده نیامد." in html
    assert "پیگیری می‌کنیم." in html
    assert "یادداشت داخلی" not in html
    assert officer.username not in html
    assert [e.author for e in response.context["entries"]] == ["You", "Gas company"]
    assert reverse("portal:claim_detail", args=[claim.tracking_code]) in html
    assert reply_url(complaint) in html


def test_a_reply_reopens_an_answered_complaint(
    act,  # noqa: F811
    post,
    portal_client,
    subscriber_user,
    make_claim,
    officer,  # noqa: F811
    file_complaint,  # noqa: F811
):
    complaint = file_complaint(claim=make_claim(), actor=subscriber_user)
    act(
        services.complaint_answer,
        complaint=complaint,
        actor=officer,
        text="انجام شد.",
        resolve=True,
    )
    page = portal_client.get(detail_url(complaint))
    assert page.context["reply_reopens"] is True

    response = post(reply_url(complaint), {"text": "هنوز کسی نیامده."})

    assert response.status_code == 302
    assert response["Location"] == detail_url(complaint)
    complaint.refresh_from_db()
    assert complaint.ticket.status == rules.REOPENED
    assert complaint.reopen_count == 1
    last = FollowUp.objects.filter(ticket=complaint.ticket).latest("id")
    assert last.user == subscriber_user and last.comment == "هنوز کسی نیامده."
    assert SmsMessage.objects.filter(template_key="complaint_reopened").exists()
    page = portal_client.get(response["Location"])
    assert page.context["entries"][-1].mine is True


def test_an_empty_reply_is_refused(
    post,
    subscriber_user,
    make_claim,
    file_complaint,  # noqa: F811
):
    complaint = file_complaint(claim=make_claim(), actor=subscriber_user)
    before = FollowUp.objects.count()

    response = post(reply_url(complaint), {"text": "  "})

    assert response.status_code == 400
    assert "text" in response.context["form"].errors
    assert FollowUp.objects.count() == before


def test_a_closed_complaint_takes_no_reply(
    act,  # noqa: F811
    post,
    portal_client,
    subscriber_user,
    make_claim,
    officer,  # noqa: F811
    file_complaint,  # noqa: F811
):
    complaint = file_complaint(claim=make_claim(), actor=subscriber_user)
    act(services.complaint_close, complaint=complaint, actor=officer, text="بسته شد.")
    before = FollowUp.objects.count()

    page = portal_client.get(detail_url(complaint))
    assert page.context["form"] is None
    assert reply_url(complaint) not in page.content.decode()

    response = post(reply_url(complaint), {"text": "چرا بستید؟"}, follow=True)

    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert FollowUp.objects.count() == before
    complaint.refresh_from_db()
    assert complaint.ticket.status == rules.CLOSED


def test_reply_needs_post(portal_client, subscriber_user, make_claim, file_complaint):  # noqa: F811
    complaint = file_complaint(claim=make_claim(), actor=subscriber_user)
    assert portal_client.get(reply_url(complaint)).status_code == 405


# --- attachments and access ------------------------------------------------------------


def test_attachments_go_to_the_complaints_subscriber_only(
    client,
    portal_client,
    subscriber_user,
    make_claim,
    other_user,
    file_complaint,  # noqa: F811
):
    complaint = file_complaint(
        claim=make_claim(), actor=subscriber_user, attachments=[png_upload("bill.png")]
    )
    attachment = FollowUpAttachment.objects.get()
    url = reverse("portal:complaint_attachment", args=[complaint.tracking_code, attachment.pk])
    assert url in portal_client.get(detail_url(complaint)).content.decode()

    response = portal_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert "attachment" in response["Content-Disposition"]

    client.force_login(other_user)
    assert client.get(url).status_code == 404
    assert client.get(detail_url(complaint)).status_code == 404
    assert client.post(reply_url(complaint), {"text": "سلام"}).status_code == 404
    # B's own complaint does not open A's file either.
    theirs = file_complaint(
        claim=make_claim(installation=other_user.installation), actor=other_user
    )
    crossed = reverse("portal:complaint_attachment", args=[theirs.tracking_code, attachment.pk])
    assert client.get(crossed).status_code == 404
    assert FollowUp.objects.filter(ticket=complaint.ticket).count() == 1


def test_a_private_notes_attachment_is_not_served(
    act,  # noqa: F811
    portal_client,
    subscriber_user,
    make_claim,
    officer,  # noqa: F811
    file_complaint,  # noqa: F811
):
    complaint = file_complaint(claim=make_claim(), actor=subscriber_user)
    act(
        services.complaint_answer,
        complaint=complaint,
        actor=officer,
        text="سند داخلی",
        public=False,
        attachments=[png_upload("internal.png")],
    )
    attachment = FollowUpAttachment.objects.get()
    url = reverse("portal:complaint_attachment", args=[complaint.tracking_code, attachment.pk])

    assert portal_client.get(url).status_code == 404
    assert "internal.png" not in portal_client.get(detail_url(complaint)).content.decode()


def test_unknown_numbers_are_not_found(portal_client):
    assert (
        portal_client.get(reverse("portal:complaint_detail", args=["1234567890"])).status_code
        == 404
    )
    assert portal_client.get(reverse("portal:complaint_detail", args=["abc"])).status_code == 404


def test_complaint_pages_need_a_subscriber_login(
    client,
    subscriber_user,
    make_claim,
    file_complaint,  # noqa: F811
):
    complaint = file_complaint(
        claim=make_claim(), actor=subscriber_user, attachments=[png_upload()]
    )
    attachment = FollowUpAttachment.objects.get()
    for url in (
        LIST_URL,
        NEW_URL,
        detail_url(complaint),
        reverse("portal:complaint_attachment", args=[complaint.tracking_code, attachment.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:login") + "?next=")
    response = client.post(reply_url(complaint), {"text": "سلام"})
    assert response.status_code == 302
    assert FollowUp.objects.filter(ticket=complaint.ticket).count() == 1
    # Rating on the complaint's page too (the SMS's signed link needs no login: test_csat).
    rate = reverse("portal:complaint_rate", args=[complaint.tracking_code])
    response = client.post(rate, {"score": "5"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login") + "?next=")


def test_the_portal_navigation_links_to_complaints(portal_client):
    response = portal_client.get(reverse("portal:claim_list"))
    assert f'href="{LIST_URL}"' in response.content.decode()


def test_persian_digits_are_shown_on_the_page(
    portal_client,
    subscriber_user,
    make_claim,
    file_complaint,  # noqa: F811
):
    complaint = file_complaint(claim=make_claim(), actor=subscriber_user)
    response = portal_client.get(detail_url(complaint))
    assert to_persian_digits(tracking.display(complaint.tracking_code)) in response.content.decode()
