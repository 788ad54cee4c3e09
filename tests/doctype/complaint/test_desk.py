"""Complaints in the staff desk: the list, the complaint page's actions, phone filing,
the topics, the claim page's complaints, and who may reach which page."""

from __future__ import annotations

import contextlib
import datetime
import html

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from helpdesk.models import FollowUp, FollowUpAttachment, Queue, Ticket, TicketChange

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.complaint import rules
from apps.meter_service.doctype.complaint.models import Complaint
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LIST = "admin:meter_service_complaint_changelist"
FILE = "admin:meter_service_complaint_file"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def complaint(file_complaint, make_claim):
    return file_complaint(claim=make_claim())


@pytest.fixture
def as_officer(client, officer):
    client.force_login(officer)
    return client


def _url(name: str, complaint: Complaint, *args) -> str:
    return reverse(f"admin:meter_service_complaint_{name}", args=[complaint.pk, *args])


def _png(name: str = "receipt.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@contextlib.contextmanager
def english(client):
    """Pages (the language cookie) and lazy messages in English, for message texts."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    try:
        with translation.override("en"):
            yield
    finally:
        del client.cookies[settings.LANGUAGE_COOKIE_NAME]


def _writes() -> tuple[int, int, int]:
    return FollowUp.objects.count(), Ticket.objects.count(), DocumentEvent.objects.count()


# --- the officer's actions --------------------------------------------------------------------


def test_officer_answers_and_the_answer_is_public(as_officer, complaint):
    response = as_officer.post(
        _url("message", complaint), {"text": "کنتور فردا بررسی می‌شود.", "kind": "answer"}
    )
    assert response.status_code == 302 and response["Location"] == _url("change", complaint)
    answer = FollowUp.objects.filter(ticket=complaint.ticket).latest("id")
    assert answer.public and answer.comment == "کنتور فردا بررسی می‌شود."
    complaint.refresh_from_db()
    assert complaint.ticket.status == rules.OPEN and complaint.first_answered_at is not None
    page = as_officer.get(response["Location"]).content.decode()
    assert "کنتور فردا بررسی می‌شود." in page


def test_officer_answers_and_resolves(as_officer, complaint):
    response = as_officer.post(
        _url("message", complaint), {"text": "کنتور تعویض شد.", "kind": "resolve"}
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.ticket.status == rules.RESOLVED and complaint.resolved_at is not None
    assert complaint.ticket.resolution == "کنتور تعویض شد."


def test_internal_note_with_attachment_is_private_and_downloadable(as_officer, complaint):
    response = as_officer.post(
        _url("message", complaint),
        {"text": "با واحد قبوض هماهنگ شد.", "kind": "note", "attachment": _png()},
    )
    assert response.status_code == 302
    note = FollowUp.objects.filter(ticket=complaint.ticket).latest("id")
    assert not note.public
    attachment = FollowUpAttachment.objects.get(followup=note)
    assert attachment.mime_type == "image/png"
    complaint.refresh_from_db()
    assert complaint.first_answered_at is None  # a note is no answer
    page = as_officer.get(_url("change", complaint)).content.decode()
    download = _url("attachment", complaint, attachment.pk)
    assert "با واحد قبوض هماهنگ شد." in page and download in page
    file = as_officer.get(download)
    assert file.status_code == 200 and b"".join(file.streaming_content) == PNG
    assert as_officer.get(_url("attachment", complaint, attachment.pk + 99)).status_code == 404


def test_officer_assigns_to_a_manager_and_the_change_is_shown(as_officer, complaint, make_user):
    manager = make_user(Role.SERVICE_MANAGER, first_name="رضا", last_name="کریمی")
    response = as_officer.post(_url("assign", complaint), {"assignee": manager.pk})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.ticket.assigned_to == manager
    page = as_officer.get(_url("change", complaint)).content.decode()
    assert manager.username in page  # the recorded owner change, old → new
    # Unassigning is assigning to nobody.
    assert as_officer.post(_url("assign", complaint), {"assignee": ""}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.ticket.assigned_to is None


def test_only_officers_and_managers_can_be_assigned(as_officer, complaint, make_user, officer):
    clerk = make_user(Role.SERVICE_DESK_CLERK)
    before = _writes()
    response = as_officer.post(_url("assign", complaint), {"assignee": clerk.pk})
    assert response.status_code == 400
    assert "assignee" in response.context["assign_form"].errors
    complaint.refresh_from_db()
    assert complaint.ticket.assigned_to == officer and _writes() == before


def test_officer_closes_and_then_no_more_messages(as_officer, complaint):
    response = as_officer.post(_url("close", complaint), {"text": "پیگیری پایان یافت."})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.ticket.status == rules.CLOSED and complaint.closed_at is not None
    page = as_officer.get(_url("change", complaint))
    assert page.context["may_write"] is False
    assert 'id="complaint-message-form"' not in page.content.decode()
    before = _writes()
    with english(as_officer):
        refused = as_officer.post(_url("message", complaint), {"text": "باز", "kind": "answer"})
        again = as_officer.post(_url("close", complaint), {"text": ""})
        assert refused.status_code == 400 and again.status_code == 400
        assert [str(m) for m in refused.context["refused"]] == [str(rules.CLOSED_MESSAGE)]
        assert [str(m) for m in again.context["refused"]] == [str(rules.NOT_CLOSABLE_MESSAGE)]
    assert "already closed" in again.content.decode()
    assert _writes() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "  ", "kind": "answer"}, "Write the text of the message."),
        (
            {"text": "پیوست", "kind": "note", "attachment": "fake"},
            "An attachment must be a PDF, JPEG or PNG file.",
        ),
    ],
)
def test_bad_message_shows_the_service_error_and_writes_nothing(
    as_officer, complaint, data, message
):
    if data.get("attachment") == "fake":
        data["attachment"] = SimpleUploadedFile("x.png", b"MZ not an image", "image/png")
    before = _writes()
    with english(as_officer):
        response = as_officer.post(_url("message", complaint), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _writes() == before and not FollowUpAttachment.objects.exists()


def test_resolve_is_refused_on_an_answered_complaint(as_officer, complaint):
    as_officer.post(_url("message", complaint), {"text": "پاسخ", "kind": "resolve"})
    before = _writes()
    with english(as_officer):
        response = as_officer.post(_url("message", complaint), {"text": "باز", "kind": "resolve"})
    assert response.status_code == 400
    assert "Only an open or reopened complaint" in response.content.decode()
    assert _writes() == before


def test_get_on_an_action_only_goes_back_to_the_page(as_officer, complaint):
    before = _writes()
    response = as_officer.get(_url("close", complaint))
    assert response.status_code == 302 and response["Location"] == _url("change", complaint)
    assert _writes() == before


# --- the page and the list ---------------------------------------------------------------------


def test_page_shows_ticket_private_notes_and_changes(as_officer, complaint, officer):
    as_officer.post(_url("message", complaint), {"text": "یادداشت داخلی", "kind": "note"})
    as_officer.post(_url("message", complaint), {"text": "پاسخ نهایی", "kind": "resolve"})
    with english(as_officer):
        page = as_officer.get(_url("change", complaint))
    text = html.unescape(page.content.decode())
    assert page.status_code == 200
    assert complaint.ticket.title in text and complaint.ticket.description in text
    assert "یادداشت داخلی" in text and "Internal note: not shown to the complainant" in text
    # The status change the resolve recorded, as it was written.
    change = TicketChange.objects.get(followup__ticket=complaint.ticket)
    assert f"{change.field}: {change.old_value} → {change.new_value}" in text
    assert page.context["claim_url"] == reverse(
        "admin:meter_service_claim_change", args=[complaint.claim_id]
    )


def test_list_columns_filters_and_search(as_officer, complaint, file_complaint, officer):
    other = file_complaint(
        topic="billing", complainant_name="مریم احمدی", contact_mobile="09351112233"
    )
    past = timezone.now() - datetime.timedelta(hours=1)
    Complaint.objects.filter(pk=other.pk).update(due_at=past)
    Ticket.objects.filter(pk=other.ticket_id).update(assigned_to=None)
    url = reverse(LIST)

    def found(**query) -> set[int]:
        response = as_officer.get(url, query)
        assert response.status_code == 200
        return {c.pk for c in response.context["cl"].result_list}

    assert found() == {complaint.pk, other.pk}
    assert found(overdue="yes") == {other.pk}
    assert found(assigned="me") == {complaint.pk}
    assert found(assigned="none") == {other.pk}
    assert found(topic=str(Queue.objects.get(slug="billing").pk)) == {other.pk}
    assert found(status=str(rules.OPEN)) == {complaint.pk, other.pk}
    assert found(status=str(rules.CLOSED)) == set()
    assert found(channel="portal") == {complaint.pk, other.pk}
    code = to_persian_digits(tracking.display(complaint.tracking_code))
    assert found(q=code) == {complaint.pk}
    assert found(q=to_persian_digits(complaint.claim.tracking_code)) == {complaint.pk}
    assert found(q="۰۹۳۵۱۱۱۲۲۳۳") == {other.pk}
    assert found(q="احمدی") == {other.pk}
    with english(as_officer):
        page = as_officer.get(url).content.decode()
    assert "(overdue)" in page


# --- filing by phone ----------------------------------------------------------------------------


def _filing(topics, **overrides) -> dict:
    data = {
        "channel": "phone",
        "topic": topics["billing"].pk,
        "title": "قبض اشتباه",
        "description": "مبلغ قبض این دوره دو برابر شده است.",
        "complainant_name": "علی رضایی",
        "contact_mobile": "۰۹۱۲۷۶۵۴۳۲۱",
        "contact_email": "",
        "subscriber": "",
        "claim": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def clerk(client, make_user, topics):
    user = make_user(Role.SERVICE_DESK_CLERK)
    client.force_login(user)
    client.user = user
    return client


def test_clerk_files_a_phone_complaint_with_persian_digits(clerk, topics, make_claim, officer):
    claim = make_claim()
    data = _filing(
        topics,
        subscriber=to_persian_digits(claim.subscriber.bill_id),
        claim=to_persian_digits(tracking.display(claim.tracking_code)),
        attachment=_png(),
    )
    response = clerk.post(reverse(FILE), data)
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert response["Location"] == _url("change", complaint)
    assert complaint.channel == "phone" and complaint.filed_by == clerk.user
    assert complaint.contact_mobile == "09127654321"
    assert complaint.claim == claim and complaint.subscriber == claim.subscriber
    assert complaint.complainant_name == "علی رضایی"
    assert complaint.ticket.queue.slug == "billing"
    assert FollowUpAttachment.objects.filter(followup__ticket=complaint.ticket).count() == 1
    # The clerk sees the complaint but gets no action forms.
    page = clerk.get(response["Location"])
    assert page.status_code == 200 and page.context["may_act"] is False
    assert 'id="complaint-message-form"' not in page.content.decode()


def test_in_person_complaint_without_a_subscriber(clerk, topics):
    data = _filing(topics, channel="in_person", contact_mobile="", contact_email="a@b.example")
    assert clerk.post(reverse(FILE), data).status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.channel == "in_person" and complaint.subscriber is None
    assert complaint.contact_email == "a@b.example"


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("empty_text", "description", "Write the text of the message."),
        ("wrong_attachment", "attachment", "An attachment must be a PDF, JPEG or PNG file."),
        ("others_claim", "claim", "is not this subscriber's"),
        ("unknown_claim", "claim", "No claim has this tracking code."),
        ("no_contact", "contact_mobile", "Give a mobile number or an email"),
        ("bad_mobile", "contact_mobile", ""),
        ("no_name", "complainant_name", "Write the complainant's name."),
        ("portal_channel", "channel", ""),
    ],
)
def test_filing_refuses_bad_input_and_writes_nothing(
    clerk, topics, make_claim, make_subscriber, case, field, message
):
    claim = make_claim()
    overrides = {
        "empty_text": {"description": "   "},
        "wrong_attachment": {"attachment": SimpleUploadedFile("a.pdf", b"GIF89a....", "x/y")},
        "others_claim": {
            "subscriber": make_subscriber().subscription_number,
            "claim": claim.tracking_code,
        },
        "unknown_claim": {"claim": "1234567890"},
        "no_contact": {"contact_mobile": ""},
        "bad_mobile": {"contact_mobile": "۰۲۱۱۲۳"},
        "no_name": {"complainant_name": ""},
        "portal_channel": {"channel": "portal"},
    }[case]
    before = _writes()
    with english(clerk):
        response = clerk.post(reverse(FILE), _filing(topics, **overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert message in html.unescape(response.content.decode())
    assert not Complaint.objects.exists() and _writes() == before


def test_add_button_goes_to_the_filing_page(clerk):
    response = clerk.get(reverse("admin:meter_service_complaint_add"))
    assert response.status_code == 302 and response["Location"] == reverse(FILE)


# --- who may do what ------------------------------------------------------------------------------

FULL = [Role.COMPLAINTS_OFFICER, Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN]
NO_ACCESS = [Role.TECHNICIAN, Role.EMERGENCY_CREW, Role.BILLING_OFFICER]
OUTSIDE = [Role.SUBSCRIBER, Role.AGENCY_CLIENT, Role.COUNTER_OFFICE_OPERATOR]


@pytest.mark.parametrize("role", [*FULL, Role.SERVICE_DESK_CLERK, *NO_ACCESS])
def test_complaint_pages_by_role(client, make_user, complaint, role):
    client.force_login(make_user(role))
    views = role in FULL or role == Role.SERVICE_DESK_CLERK
    acts = role in FULL
    pages = [reverse(LIST), _url("change", complaint), reverse(FILE), _url("history", complaint)]
    attachment = FollowUp.objects.filter(ticket=complaint.ticket).first()
    assert attachment is not None
    for url in pages:
        assert client.get(url).status_code == (200 if views else 403), url
    page = client.get(_url("change", complaint))
    if views:
        assert page.context["may_act"] is acts
    before = _writes()
    for name, data in [
        ("message", {"text": "پاسخ", "kind": "note"}),
        ("assign", {"assignee": ""}),
        ("close", {"text": ""}),
    ]:
        status = client.post(_url(name, complaint), data).status_code
        assert status == (302 if acts else 403), (name, status)
    if not acts:
        assert _writes() == before
        complaint.refresh_from_db()
        assert complaint.ticket.status == rules.OPEN
    # The raw change form takes nothing, whoever posts.
    client.post(_url("change", complaint), {"complainant_name": "forged"})
    complaint.refresh_from_db()
    assert complaint.complainant_name != "forged"
    assert client.post(_url("delete", complaint)).status_code in (403, 404)
    assert Complaint.objects.filter(pk=complaint.pk).exists()


@pytest.mark.parametrize("role", OUTSIDE)
def test_outside_roles_never_reach_the_complaint_pages(client, make_user, complaint, role):
    client.force_login(make_user(role, is_staff=True))
    login = reverse("admin:login")
    for url in [
        reverse(LIST),
        _url("change", complaint),
        reverse(FILE),
        reverse("admin:helpdesk_queue_changelist"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(login), url
    response = client.post(_url("message", complaint), {"text": "x", "kind": "answer"})
    assert response.status_code == 302 and response["Location"].startswith(login)
    assert FollowUp.objects.filter(ticket=complaint.ticket).count() == 1


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (Role.COMPLAINTS_OFFICER, True),
        (Role.SERVICE_DESK_CLERK, True),
        (Role.TECHNICIAN, False),
        (Role.BILLING_OFFICER, False),
    ],
)
def test_sidebar_and_claim_page_show_complaints_by_permission(
    client, make_user, complaint, role, shown
):
    client.force_login(make_user(role))
    home = client.get(reverse("admin:index")).content.decode()
    assert (reverse(LIST) in home) is shown
    claim_page = client.get(reverse("admin:meter_service_claim_change", args=[complaint.claim_id]))
    assert claim_page.status_code == 200
    assert (_url("change", complaint) in claim_page.content.decode()) is shown


def test_claim_page_says_when_no_complaint_is_about_it(as_officer, make_claim):
    claim = make_claim()
    with english(as_officer):
        page = as_officer.get(reverse("admin:meter_service_claim_change", args=[claim.pk]))
    assert "No complaint is about this claim." in page.content.decode()


# --- topics ----------------------------------------------------------------------------


def _topic_url(name: str, *args) -> str:
    return reverse(f"admin:helpdesk_queue_{name}", args=args)


def test_manager_changes_a_topics_owner_and_portal_offer(client, make_user, topics, officer):
    manager = make_user(Role.SERVICE_MANAGER)
    client.force_login(manager)
    topic = topics["fees"]
    response = client.post(
        _topic_url("change", topic.pk),
        {"title": "هزینه‌ها", "slug": "forged", "default_owner": officer.pk},
    )
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.default_owner == officer and topic.slug == "fees"
    assert topic.title == "هزینه‌ها" and topic.allow_public_submission is False
    assert DocumentEvent.objects.filter(event_type="complaint_topic_changed").exists()


def test_topic_owner_must_be_an_officer_or_manager(client, make_user, topics):
    client.force_login(make_user(Role.SERVICE_MANAGER))
    clerk = make_user(Role.SERVICE_DESK_CLERK)
    topic = topics["fees"]
    response = client.post(
        _topic_url("change", topic.pk),
        {"title": topic.title, "default_owner": clerk.pk, "allow_public_submission": "on"},
    )
    assert response.status_code == 200  # the form again, with the error
    topic.refresh_from_db()
    assert topic.default_owner is None


def test_system_admin_adds_a_topic(client, make_user, topics):
    client.force_login(make_user(Role.SYSTEM_ADMIN))
    response = client.post(
        _topic_url("add"),
        {"title": "انشعاب", "slug": "branch", "default_owner": "", "allow_public_submission": "on"},
    )
    assert response.status_code == 302
    topic = Queue.objects.get(slug="branch")
    assert topic.allow_public_submission and not topic.allow_email_submission
    assert topic.locale == "fa"


@pytest.mark.parametrize(
    ("role", "view", "change", "add"),
    [
        (Role.SYSTEM_ADMIN, 200, True, 200),
        (Role.SERVICE_MANAGER, 200, True, 403),
        (Role.COMPLAINTS_OFFICER, 200, False, 403),
        (Role.SERVICE_DESK_CLERK, 403, False, 403),
        (Role.TECHNICIAN, 403, False, 403),
    ],
)
def test_topic_pages_by_role(client, make_user, topics, role, view, change, add):
    client.force_login(make_user(role))
    topic = topics["general"]
    assert client.get(_topic_url("changelist")).status_code == view
    assert client.get(_topic_url("change", topic.pk)).status_code == view
    assert client.get(_topic_url("add")).status_code == add
    client.post(_topic_url("change", topic.pk), {"title": "تغییر", "default_owner": ""})
    topic.refresh_from_db()
    assert (topic.title == "تغییر") is change
    assert client.post(_topic_url("delete", topic.pk)).status_code in (403, 404)
    assert Queue.objects.filter(pk=topic.pk).exists()


def test_list_shows_closed_and_escalated_labels_as_text(as_officer, complaint):
    as_officer.post(_url("close", complaint), {"text": ""})
    Complaint.objects.filter(pk=complaint.pk).update(escalated_at=timezone.now())
    with english(as_officer):
        page = html.unescape(as_officer.get(reverse(LIST)).content.decode())
        assert str(rules.status_label(rules.CLOSED)) in page and "Escalated" in page
    assert f">{rules.CLOSED}<" not in page.replace(" ", "").replace("\n", "")
