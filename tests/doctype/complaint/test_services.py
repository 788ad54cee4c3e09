"""Complaints as services: filing, answering, reopening by reply, closing, escalation."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from helpdesk.models import FollowUp, Ticket

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.complaint import rules, services
from apps.meter_service.doctype.complaint.models import Complaint
from apps.meter_service.doctype.notification.models import SmsMessage
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_filing_about_a_claim_opens_an_assigned_ticket_and_tells_both_sides(
    file_complaint, make_claim, subscriber_user, officer
):
    claim = make_claim()
    complaint = file_complaint(claim=claim, actor=subscriber_user)

    ticket = complaint.ticket
    assert ticket.status == Ticket.OPEN_STATUS
    assert ticket.queue.slug == "meter-test"
    assert ticket.assigned_to == officer
    assert complaint.subscriber == claim.subscriber
    assert complaint.contact_mobile == claim.contact_mobile
    assert complaint.complainant_name == claim.subscriber.name
    assert complaint.due_at > complaint.filed_at
    assert ticket.due_date == complaint.due_at
    first = FollowUp.objects.get(ticket=ticket)
    assert first.public and first.comment == "مأمور در زمان اعلام‌شده نیامد."
    sms = SmsMessage.objects.get(template_key="complaint_filed")
    assert sms.to == claim.contact_mobile
    code = to_persian_digits(tracking.display(complaint.tracking_code))
    assert f"\u2066{code}\u2069" in sms.body  # in a left-to-right isolate: groups in order
    assert "شکایت شما ثبت شد" in sms.body
    assert [m.to for m in mail.outbox] == [["officer@gas.example"]]
    assert DocumentEvent.objects.filter(event_type="complaint_filed").count() == 1


def test_claim_of_another_subscriber_is_refused_and_nothing_is_written(
    file_complaint, make_claim, make_subscriber
):
    claim = make_claim()
    stranger = make_subscriber()
    with pytest.raises(ValidationError) as error:
        file_complaint(claim=claim, subscriber=stranger)
    assert "claim" in error.value.message_dict
    assert not Ticket.objects.exists() and not Complaint.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"description": ""}, "description"),
        ({"contact_mobile": "0912"}, "contact_mobile"),
        ({"contact_mobile": "", "contact_email": ""}, "contact_mobile"),
        (
            {"attachments": [SimpleUploadedFile("a.exe", b"MZ" + b"\x00" * 40)]},
            "attachment",
        ),
    ],
)
def test_bad_input_is_refused_without_writing(file_complaint, overrides, field):
    fields = {"complainant_name": "علی رضایی", "contact_mobile": "09121112233", **overrides}
    with pytest.raises(ValidationError) as error:
        file_complaint(channel="phone", **fields)
    assert field in error.value.message_dict
    assert not Ticket.objects.exists() and not FollowUp.objects.exists()


def test_oversize_attachment_is_refused(file_complaint, settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "COMPLAINT_ATTACHMENT_MAX_BYTES": 32}
    with pytest.raises(ValidationError) as error:
        file_complaint(
            channel="phone",
            complainant_name="علی",
            contact_mobile="۰۹۱۲۱۱۱۲۲۳۳",
            attachments=[SimpleUploadedFile("p.png", PNG)],
        )
    assert "attachment" in error.value.message_dict
    assert not Ticket.objects.exists()


def test_persian_digits_in_mobile_and_reference_are_accepted(file_complaint, make_user):
    agency_user = make_user(Role.AGENCY_CLIENT)
    from apps.meter_service.doctype.agency.models import Agency

    agency = Agency.objects.create(code="3194", name="سامانه ۳۱۹۴")
    agency.users.add(agency_user)
    complaint = file_complaint(
        channel="national_system",
        complainant_name="علی رضایی",
        contact_mobile="۰۹۱۲۱۱۱۲۲۳۳",
        agency=agency,
        external_reference="۹۸۷۶۵",
    )
    assert complaint.contact_mobile == "09121112233"
    assert complaint.external_reference == "98765"
    again = file_complaint(
        channel="national_system",
        complainant_name="علی رضایی",
        contact_mobile="09121112233",
        agency=agency,
        external_reference="98765",
    )
    assert again.pk == complaint.pk
    assert Complaint.objects.count() == 1


def test_answer_reply_reopens_and_close(act, file_complaint, make_claim, subscriber_user, officer):
    claim = make_claim()
    complaint = file_complaint(claim=claim, actor=subscriber_user)
    mail.outbox.clear()

    act(
        services.complaint_answer,
        complaint=complaint,
        actor=officer,
        text="بازدید برای فردا تنظیم شد.",
        resolve=True,
    )
    complaint.refresh_from_db()
    complaint.ticket.refresh_from_db()
    assert complaint.ticket.status == Ticket.RESOLVED_STATUS
    assert complaint.first_answered_at is not None and complaint.resolved_at is not None
    assert SmsMessage.objects.filter(template_key="complaint_resolved").count() == 1

    act(
        services.complaint_subscriber_reply,
        complaint=complaint,
        actor=subscriber_user,
        text="فردا هم کسی نیامد.",
    )
    complaint.refresh_from_db()
    complaint.ticket.refresh_from_db()
    assert complaint.ticket.status == Ticket.REOPENED_STATUS
    assert complaint.reopen_count == 1 and complaint.resolved_at is None
    # The assignee is told, by email.
    assert [m.to for m in mail.outbox] == [["officer@gas.example"]]
    assert "فردا هم کسی نیامد." in mail.outbox[0].body
    assert SmsMessage.objects.filter(template_key="complaint_reopened").count() == 1

    act(services.complaint_answer, complaint=complaint, actor=officer, text="یادداشت", public=False)
    act(services.complaint_close, complaint=complaint, actor=officer, text="بازدید انجام شد.")
    complaint.refresh_from_db()
    complaint.ticket.refresh_from_db()
    assert complaint.ticket.status == Ticket.CLOSED_STATUS
    assert complaint.closed_at is not None
    public = [f.title for f in FollowUp.objects.filter(ticket=complaint.ticket, public=True)]
    assert len(public) == 4  # filed, answer, reply, closed; the note is private
    status_changes = complaint.ticket.followup_set.filter(ticketchange__isnull=False).count()
    assert status_changes >= 3

    with pytest.raises(ValidationError):
        act(
            services.complaint_subscriber_reply,
            complaint=complaint,
            actor=subscriber_user,
            text="؟",
        )
    with pytest.raises(ValidationError):
        act(services.complaint_close, complaint=complaint, actor=officer)


def test_reply_to_an_open_complaint_tells_but_does_not_reopen(
    act, file_complaint, make_claim, subscriber_user
):
    complaint = file_complaint(claim=make_claim(), actor=subscriber_user)
    act(
        services.complaint_subscriber_reply, complaint=complaint, actor=subscriber_user, text="عجله"
    )
    complaint.ticket.refresh_from_db()
    assert complaint.ticket.status == Ticket.OPEN_STATUS
    assert not SmsMessage.objects.filter(template_key="complaint_reopened").exists()


def test_resolving_twice_is_refused(act, file_complaint, make_claim, officer):
    complaint = file_complaint(claim=make_claim())
    act(services.complaint_answer, complaint=complaint, actor=officer, text="پاسخ", resolve=True)
    with pytest.raises(ValidationError):
        act(services.complaint_answer, complaint=complaint, actor=officer, text="باز", resolve=True)


def test_assign_only_to_officers(act, file_complaint, make_claim, officer, make_user):
    complaint = file_complaint(claim=make_claim())
    technician = make_user(Role.TECHNICIAN, username="tech.9", first_name="علی", last_name="رضایی")
    with pytest.raises(ValidationError) as refused:
        act(services.complaint_assign, complaint=complaint, actor=officer, assignee=technician)
    [message] = refused.value.message_dict["assignee"]
    assert message.startswith("علی رضایی ") and "tech.9" not in message  # a name, not a login
    manager = make_user(Role.SERVICE_MANAGER, email="boss@gas.example")
    mail.outbox.clear()
    act(services.complaint_assign, complaint=complaint, actor=officer, assignee=manager)
    complaint.ticket.refresh_from_db()
    assert complaint.ticket.assigned_to == manager
    assert [m.to for m in mail.outbox] == [["boss@gas.example"]]


def test_overdue_complaints_escalate_once(act, file_complaint, make_claim, make_user):
    manager = make_user(Role.SERVICE_MANAGER, email="boss@gas.example")
    complaint = file_complaint(claim=make_claim())
    mail.outbox.clear()
    assert (
        act(services.complaints_escalate_overdue, now=complaint.due_at - datetime.timedelta(1)) == 0
    )
    later = complaint.due_at + datetime.timedelta(minutes=1)
    assert act(services.complaints_escalate_overdue, now=later) == 1
    assert act(services.complaints_escalate_overdue, now=later) == 0
    complaint.refresh_from_db()
    complaint.ticket.refresh_from_db()
    assert complaint.escalated_at == later
    assert complaint.ticket.priority == rules.ESCALATED_PRIORITY
    assert sorted(mail.outbox[0].to) == ["boss@gas.example", "officer@gas.example"]
    assert manager.email in mail.outbox[0].to
    note = FollowUp.objects.filter(ticket=complaint.ticket, public=False).get()
    assert note.ticketchange_set.count() == 1


def test_answered_complaints_are_not_escalated(act, file_complaint, make_claim, officer):
    complaint = file_complaint(claim=make_claim())
    act(services.complaint_answer, complaint=complaint, actor=officer, text="پاسخ", resolve=True)
    assert (
        act(services.complaints_escalate_overdue, now=complaint.due_at + datetime.timedelta(1)) == 0
    )


def test_answered_complaints_close_after_the_waiting_days(act, file_complaint, make_claim, officer):
    complaint = file_complaint(claim=make_claim())
    act(services.complaint_answer, complaint=complaint, actor=officer, text="پاسخ", resolve=True)
    complaint.refresh_from_db()
    wait = rules.auto_close_after()
    assert act(services.complaints_close_resolved, now=complaint.resolved_at + wait / 2) == 0
    assert act(services.complaints_close_resolved, now=complaint.resolved_at + wait) == 1
    complaint.ticket.refresh_from_db()
    assert complaint.ticket.status == Ticket.CLOSED_STATUS
    assert SmsMessage.objects.filter(template_key="complaint_closed").count() == 1


def test_email_status_messages_go_to_the_complainant(file_complaint):
    file_complaint(
        channel="phone", complainant_name="علی", contact_mobile="", contact_email="ali@mail.example"
    )
    sent = [m for m in mail.outbox if m.to == ["ali@mail.example"]]
    assert len(sent) == 1 and "شکایت" in sent[0].body
    assert not SmsMessage.objects.exists()


def test_a_staff_only_topic_takes_no_portal_complaint(file_complaint, topics, subscriber_user):
    topics["staff"].allow_public_submission = False
    topics["staff"].save()
    with pytest.raises(ValidationError) as error:
        file_complaint(topic="staff", actor=subscriber_user, contact_mobile="09121112233")
    assert error.value.message_dict.keys() == {"topic"}
    assert not Ticket.objects.exists()
    phoned = file_complaint(
        topic="staff", channel="phone", complainant_name="علی", contact_mobile="09121112233"
    )
    assert phoned.ticket.queue == topics["staff"]


# --- SMS bombing ----------------------------------------------------------------------------
def test_a_typed_mobile_is_not_texted_unless_staff_filed_it(
    file_complaint, installed, subscriber_user, make_user, fake_sms
):
    """A signed-in subscriber could make the service text any number typed in the form."""
    victim = "09351234567"
    complaint = file_complaint(
        subscriber=installed.subscriber, actor=subscriber_user, contact_mobile=victim
    )
    assert complaint.contact_mobile == victim
    assert not SmsMessage.objects.filter(to=victim).exists()
    assert SmsMessage.objects.filter(to=installed.subscriber.mobile).exists()

    clerk = make_user(Role.SERVICE_DESK_CLERK)
    file_complaint(
        subscriber=installed.subscriber,
        actor=clerk,
        channel="phone",
        contact_mobile=victim,
    )
    assert SmsMessage.objects.filter(to=victim).count() == 1


def test_a_subscriber_files_a_few_complaints_a_day(
    file_complaint, installed, subscriber_user, settings
):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "COMPLAINTS_PER_SUBSCRIBER_PER_DAY": 2}
    for _number in range(2):
        file_complaint(subscriber=installed.subscriber, actor=subscriber_user)
    count = Complaint.objects.count()
    with pytest.raises(ValidationError) as refused:
        file_complaint(subscriber=installed.subscriber, actor=subscriber_user)
    assert refused.value.code == "complaints_daily_limit"
    assert Complaint.objects.count() == count


def test_texts_to_one_mobile_stop_at_the_hourly_limit(settings, db):
    from apps.meter_service.doctype.notification.services import sms_send

    settings.METER_SERVICE = {**settings.METER_SERVICE, "SMS_PER_MOBILE_PER_HOUR": 3}
    sent = [sms_send(to="09121112233", body=f"text {n}") for n in range(5)]
    assert all(m.status != "failed" for m in sent[:3])
    assert [m.status for m in sent[3:]] == ["failed", "failed"]
    assert "too many texts" in sent[3].last_error
