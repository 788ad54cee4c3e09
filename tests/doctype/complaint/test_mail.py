"""Complaints by email: answers go out threaded, replies come back through Dovecot (IMAP)
and through the push endpoint, into the complaint as the complainant's reply."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.core import mail
from helpdesk.models import FollowUp, FollowUpAttachment, Ticket

from apps.meter_service import jobs
from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.complaint import mail as complaint_mail
from apps.meter_service.doctype.complaint import services
from apps.meter_service.doctype.complaint.models import (
    ComplaintMail,
    ComplaintMailDirection,
    ComplaintMailOutcome,
)
from tests.integrations.dovecot import imap_server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

SUPPORT = "support@gas.example"
SECRET = "mail-push-secret"
COMPLAINANT = "ali@mail.example"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _mailbox(settings):
    settings.METER_MAIL_IN = {"ADDRESS": SUPPORT, "INBOUND_SECRET": SECRET}


@pytest.fixture
def answered(act, file_complaint, officer, subscriber_user, installed):
    """A complaint by a portal subscriber with an email, answered and resolved by email."""
    complaint = file_complaint(
        actor=subscriber_user, subscriber=installed.subscriber, contact_email=COMPLAINANT
    )
    mail.outbox.clear()
    act(
        services.complaint_answer,
        complaint=complaint,
        actor=officer,
        text="کنتور شما فردا آزمایش می‌شود.",
        resolve=True,
    )
    complaint.refresh_from_db()
    return complaint


def _answer_email(complaint):
    sent = [m for m in mail.outbox if m.to == [COMPLAINANT]]
    assert len(sent) == 1
    return sent[0]


def reply(
    *,
    to_message=None,
    subject="Re: پاسخ شکایت",
    sender=COMPLAINANT,
    text="باز هم کسی نیامد.",
    message_id="<reply-1@mail.example>",
    html=None,
    files=(),
    authentication=(),
) -> bytes:
    message = EmailMessage()
    for header in authentication:
        message["Authentication-Results"] = header
    message["From"] = f"علی رضایی <{sender}>"
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Message-ID"] = message_id
    if to_message is not None:
        message["In-Reply-To"] = to_message
        message["References"] = f"<older@gas.example> {to_message}"
    if html is not None:
        message.set_content(html, subtype="html")
    else:
        message.set_content(text)
    for name, content, kind in files:
        main, sub = kind.split("/")
        message.add_attachment(content, maintype=main, subtype=sub, filename=name)
    return message.as_bytes()


def test_the_answer_email_carries_its_message_id_number_and_reply_to(answered):
    sent = _answer_email(answered)
    assert sent.reply_to == [SUPPORT]
    message_id = sent.extra_headers["Message-ID"]
    assert message_id.endswith("@gas.example>")
    assert tracking.display(answered.tracking_code) in sent.subject
    # Each email to the complainant (the filing's too) is logged with its own id.
    logged = ComplaintMail.objects.filter(direction=ComplaintMailDirection.OUTGOING)
    assert logged.count() == 2
    assert logged.get(message_id=message_id).complaint == answered
    # What the mail server gets has the header once, ours (not one Django made up).
    raw = sent.message().as_string()
    assert raw.count("Message-ID:") == 1 and message_id in raw


def test_a_reply_through_dovecot_reopens_the_complaint(answered, imap_server, settings):  # noqa: F811
    settings.METER_MAIL_IN = imap_server.settings(ADDRESS=SUPPORT)
    imap_server.empty()
    message_id = _answer_email(answered).extra_headers["Message-ID"]
    body = (
        "باز هم کسی نیامد.\n\nOn Mon, 1 Dec 2026, Gas company <support@gas.example>\n"
        "wrote:\n> کنتور شما فردا آزمایش می‌شود."
    )
    imap_server.append(reply(to_message=message_id, subject="Re: something", text=body))
    # Past its deadline and escalated before: the reply starts the clock again.
    type(answered).objects.filter(pk=answered.pk).update(
        due_at=answered.filed_at, escalated_at=answered.filed_at
    )

    assert jobs.complaint_mail_poll() == 1

    answered.refresh_from_db()
    answered.ticket.refresh_from_db()
    assert answered.ticket.status == Ticket.REOPENED_STATUS
    assert answered.reopen_count == 1 and answered.resolved_at is None
    assert answered.due_at > answered.filed_at and answered.escalated_at is None
    latest = FollowUp.objects.filter(ticket=answered.ticket).latest("id")
    assert latest.comment == "باز هم کسی نیامد."  # the quote and its header cut
    assert latest.public and latest.user == answered.subscriber.user
    logged = ComplaintMail.objects.get(message_id="<reply-1@mail.example>")
    assert logged.outcome == ComplaintMailOutcome.THREADED and logged.door == "imap"
    assert imap_server.unseen() == 0  # marked seen once taken
    # Fetched again (delivered twice, or marked unseen by hand): logged once, threaded once.
    imap_server.append(reply(to_message=message_id, subject="Re: something", text=body))
    assert jobs.complaint_mail_poll() == 1
    assert ComplaintMail.objects.filter(direction=ComplaintMailDirection.INCOMING).count() == 1
    assert FollowUp.objects.filter(ticket=answered.ticket, comment=latest.comment).count() == 1


def test_the_poller_without_a_mailbox_does_nothing(settings):
    settings.METER_MAIL_IN = {"ADDRESS": SUPPORT}
    assert jobs.complaint_mail_poll() == 0


def _push(client, raw: bytes, token: str = SECRET):
    return client.post(
        "/mail/inbound/",
        data=raw,
        content_type="message/rfc822",
        headers={"X-Meter-Mail-Token": token},
    )


def test_a_reply_pushed_to_the_endpoint_threads_into_its_complaint(client, answered):
    message_id = _answer_email(answered).extra_headers["Message-ID"]
    raw = reply(to_message=message_id, subject="Re: پاسخ", text="کسی نیامد.\n-- \nعلی رضایی\n۰۹۱۲")
    assert _push(client, raw, token="wrong").status_code == 403
    assert not ComplaintMail.objects.filter(direction=ComplaintMailDirection.INCOMING).exists()

    answer = _push(client, raw)
    assert answer.status_code == 200
    assert answer.json() == {
        "outcome": "threaded",
        "repeated": False,
        "message_id": "<reply-1@mail.example>",
    }
    answered.ticket.refresh_from_db()
    assert answered.ticket.status == Ticket.REOPENED_STATUS
    assert FollowUp.objects.filter(ticket=answered.ticket).latest("id").comment == "کسی نیامد."
    # The provider retries: taken once.
    again = _push(client, raw)
    assert again.status_code == 200 and again.json()["repeated"] is True
    assert FollowUp.objects.filter(ticket=answered.ticket, comment="کسی نیامد.").count() == 1


def test_a_number_and_a_from_header_alone_never_thread(client, answered):
    """Anyone can write the complainant's address in From and a complaint's number in the
    subject: such a message is kept for an officer to read, and the complaint stays as it was."""
    code = to_persian_digits(tracking.display(answered.tracking_code))
    followups = FollowUp.objects.filter(ticket=answered.ticket).count()
    forged = reply(subject=f"پیگیری شکایت {code}", text="شکایتم را پس می‌گیرم.")
    answer = _push(client, forged)
    assert answer.status_code == 200 and answer.json()["outcome"] == "not_a_reply"
    logged = ComplaintMail.objects.get(message_id="<reply-1@mail.example>")
    assert logged.complaint == answered and logged.note == "شکایتم را پس می‌گیرم."
    # Naming a Message-ID we never sent (or one guessed from the old pattern) is no better.
    guessed = reply(
        to_message=f"<complaint{answered.pk}@gas.example>",
        subject=f"Re: {code}",
        message_id="<reply-2@mail.example>",
    )
    assert _push(client, guessed).json()["outcome"] == "not_a_reply"
    answered.ticket.refresh_from_db()
    assert answered.ticket.status == Ticket.RESOLVED_STATUS
    assert FollowUp.objects.filter(ticket=answered.ticket).count() == followups


def test_the_officer_reads_the_emails_kept_out_and_the_complainant_does_not(
    client, answered, officer
):
    from django.urls import reverse

    code = tracking.display(answered.tracking_code)
    complaint_mail.complaint_mail_receive(
        raw=reply(subject=f"شکایت {code}", text="این پیام را من نوشته‌ام."), door="http"
    )
    client.force_login(officer)
    page = client.get(reverse("admin:meter_service_complaint_change", args=[answered.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="complaint-held-mails"' in html and "این پیام را من نوشته‌ام." in html
    client.force_login(answered.subscriber.user)
    portal = client.get(reverse("portal:complaint_detail", args=[answered.tracking_code]))
    assert portal.status_code == 200 and "این پیام را من نوشته‌ام." not in portal.content.decode()


def test_our_message_ids_are_random_and_name_no_complaint(answered):
    from apps.meter_service.doctype.complaint.mail_threads import complaint_mail_headers

    ids = {
        complaint_mail_headers(complaint=answered, occurrence=f"complaint:{n}")["Message-ID"]
        for n in range(20)
    }
    assert len(ids) == 20
    for message_id in ids:
        local = message_id[1:].split("@")[0]
        random_part = local.removeprefix("complaint.")
        assert len(random_part) == 32 and int(random_part, 16) >= 0  # 128 random bits, hex


@pytest.mark.parametrize(
    "results",
    [
        "mx.gas.example; spf=pass smtp.mailfrom=mail.example; dkim=none; dmarc=fail (p=reject)",
        "mx.gas.example; spf=fail smtp.mailfrom=mail.example; dkim=none",
        "mx.gas.example; spf=softfail; dkim=fail header.d=mail.example",
    ],
)
def test_a_reply_that_failed_sender_authentication_is_not_threaded(answered, settings, results):
    settings.METER_MAIL_IN = {**settings.METER_MAIL_IN, "AUTHSERV_ID": "mx.gas.example"}
    message_id = _answer_email(answered).extra_headers["Message-ID"]
    received = complaint_mail.complaint_mail_receive(
        raw=reply(to_message=message_id, authentication=[results]), door="imap"
    )
    assert received.mail.outcome == ComplaintMailOutcome.FAILED_AUTHENTICATION
    assert received.mail.note.endswith("=fail")
    answered.ticket.refresh_from_db()
    assert answered.ticket.status == Ticket.RESOLVED_STATUS


def test_only_the_site_s_mail_server_is_believed(answered, settings):
    settings.METER_MAIL_IN = {
        **settings.METER_MAIL_IN,
        "AUTHSERV_ID": "mx.gas.example",
        "REQUIRE_AUTHENTICATED": True,
    }
    message_id = _answer_email(answered).extra_headers["Message-ID"]
    # The sender's own "pass" (another authserv-id) counts for nothing: no pass, refused.
    forged = reply(
        to_message=message_id,
        authentication=["mx.attacker.example; spf=pass; dkim=pass; dmarc=pass"],
    )
    received = complaint_mail.complaint_mail_receive(raw=forged, door="imap")
    assert received.mail.outcome == ComplaintMailOutcome.FAILED_AUTHENTICATION
    # Forwarded: SPF failed at our server but the DKIM signature held.
    genuine = reply(
        to_message=message_id,
        message_id="<reply-2@mail.example>",
        authentication=["mx.gas.example; spf=fail; dkim=pass header.d=mail.example; dmarc=pass"],
    )
    received = complaint_mail.complaint_mail_receive(raw=genuine, door="imap")
    assert received.mail.outcome == ComplaintMailOutcome.THREADED


def test_the_endpoint_is_shut_without_a_secret(client, answered, settings):
    settings.METER_MAIL_IN = {"ADDRESS": SUPPORT}
    assert _push(client, reply(), token="").status_code == 403
    assert client.get("/mail/inbound/").status_code == 405


def test_someone_else_s_reply_is_logged_and_not_threaded(answered):
    message_id = _answer_email(answered).extra_headers["Message-ID"]
    received = complaint_mail.complaint_mail_receive(
        raw=reply(to_message=message_id, sender="stranger@mail.example"), door="http"
    )
    assert received.mail.outcome == ComplaintMailOutcome.WRONG_SENDER
    assert received.mail.complaint == answered
    answered.ticket.refresh_from_db()
    assert answered.ticket.status == Ticket.RESOLVED_STATUS


def test_a_message_about_no_complaint_is_logged(answered):
    received = complaint_mail.complaint_mail_receive(
        raw=reply(subject="سلام", message_id="<lost@mail.example>"), door="http"
    )
    assert received.mail.outcome == ComplaintMailOutcome.NO_COMPLAINT
    assert received.mail.complaint is None


def test_html_only_mail_becomes_text_and_bad_attachments_are_left_out(answered):
    message_id = _answer_email(answered).extra_headers["Message-ID"]
    html = (
        "<html><head><style>p{color:red}</style></head><body><p>سلام،</p>"
        "<p>کنتور <b>هنوز</b> &amp; خراب است.<script>alert(1)</script></p>"
        "<blockquote>کنتور شما فردا آزمایش می‌شود.</blockquote></body></html>"
    )
    raw = reply(
        to_message=message_id,
        html=html,
        files=[
            ("photo.png", PNG, "image/png"),
            ("run.exe", b"MZ\x90\x00" * 8, "application/x-msdownload"),
        ],
    )
    received = complaint_mail.complaint_mail_receive(raw=raw, door="http")
    assert received.mail.outcome == ComplaintMailOutcome.THREADED
    latest = FollowUp.objects.filter(ticket=answered.ticket).latest("id")
    assert latest.comment.startswith("سلام،\n\nکنتور هنوز & خراب است.")
    assert "alert" not in latest.comment and "color" not in latest.comment
    assert "فردا" not in latest.comment
    assert "run.exe" in latest.comment  # the note on the file left out
    attachments = FollowUpAttachment.objects.filter(followup=latest)
    assert [a.mime_type for a in attachments] == ["image/png"]


def test_a_reply_to_a_closed_complaint_is_logged_as_refused(act, answered, officer):
    message_id = _answer_email(answered).extra_headers["Message-ID"]
    act(services.complaint_close, complaint=answered, actor=officer)
    count = FollowUp.objects.filter(ticket=answered.ticket).count()
    received = complaint_mail.complaint_mail_receive(raw=reply(to_message=message_id), door="imap")
    assert received.mail.outcome == ComplaintMailOutcome.REFUSED
    assert "closed" in received.mail.note or "بسته" in received.mail.note
    assert FollowUp.objects.filter(ticket=answered.ticket).count() == count


def test_a_notification_job_run_again_sends_the_same_message_id(answered):
    from apps.meter_service.doctype.complaint.mail_threads import complaint_mail_headers

    first = complaint_mail_headers(complaint=answered, occurrence="complaint:1:x:abc")
    again = complaint_mail_headers(complaint=answered, occurrence="complaint:1:x:abc")
    assert first == again and first["Reply-To"] == SUPPORT
    assert ComplaintMail.objects.filter(message_id=first["Message-ID"]).count() == 1
    assert ":" not in first["Message-ID"]  # a plain dot-atom id every mail system keeps


def test_a_message_that_cannot_be_taken_stays_unseen_and_others_go_on(imap_server):  # noqa: F811
    from apps.meter_service.integrations.mail import imap

    imap_server.empty()
    imap_server.append(reply(message_id="<bad@mail.example>", text="bad"))
    imap_server.append(reply(message_id="<good@mail.example>", text="good"))
    taken = []

    def take(raw: bytes) -> None:
        if b"<bad@" in raw:
            raise ValueError("cannot read it")
        taken.append(raw)

    assert imap.poll_unseen(take, config=imap_server.settings()) == 1
    assert len(taken) == 1 and b"<good@" in taken[0]
    assert imap_server.unseen() == 1  # the bad one, for the next poll


def test_requiring_authentication_needs_the_mail_server_named(settings):
    from apps.meter_service.checks import check_site_config

    settings.METER_MAIL_IN = {"ADDRESS": SUPPORT, "REQUIRE_AUTHENTICATED": True}
    assert "meter_service.E003" in [problem.id for problem in check_site_config(None)]
    settings.METER_MAIL_IN = {**settings.METER_MAIL_IN, "AUTHSERV_ID": "mx.gas.example"}
    assert "meter_service.E003" not in [problem.id for problem in check_site_config(None)]


def test_the_mailbox_over_ssl_is_read_only_from_a_verified_server(imap_server):  # noqa: F811
    """IMAP over SSL checks the certificate and the name (imaplib's default checks neither):
    the mailbox password goes only to the server the site names."""
    from apps.meter_service.integrations.mail import imap

    imap_server.empty()
    imap_server.append(reply(message_id="<over-ssl@mail.example>", text="over ssl"))
    over_ssl = imap_server.settings(SSL=True, PORT=imap_server.ssl_port)
    taken: list[bytes] = []
    # A certificate from an authority the system does not trust: refused before the login.
    with pytest.raises(imap.MailboxError, match="SSLCertVerificationError"):
        imap.poll_unseen(taken.append, config=over_ssl)
    # Its authority named, but the server reached by another name than the certificate's.
    with pytest.raises(imap.MailboxError, match="SSLCertVerificationError"):
        imap.poll_unseen(
            taken.append, config={**over_ssl, "HOST": "localhost", "CA_FILE": imap_server.ca_file}
        )
    assert taken == [] and imap_server.unseen() == 1
    assert imap.poll_unseen(taken.append, config={**over_ssl, "CA_FILE": imap_server.ca_file}) == 1
    assert b"<over-ssl@mail.example>" in taken[0] and imap_server.unseen() == 0
